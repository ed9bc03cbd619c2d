import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { randn, tensor } from "@minigrad/tensor";
import { SafetensorsError, deserialize, serialize } from "@minigrad/nn";
import { loadSafetensors, readSafetensorsHeader, removeStaleTemps, saveSafetensors } from "@minigrad/nn/node";
import { rawFile, sameTensor } from "./helpers/safetensors";

const dir = mkdtempSync(join(tmpdir(), "minigrad-safetensors-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("saveSafetensors / loadSafetensors", () => {
  it("round-trip through a file, metadata and dtypes included, leaving no temp file", async () => {
    const path = join(dir, "model.safetensors");
    const sd = { "fc1.weight": randn([4, 3]), "fc1.bias": randn([4]).to("float64"), idx: tensor([1, 2], { dtype: "int32" }) };
    await saveSafetensors(path, sd, { metadata: { epoch: "3" }, dtypes: { idx: "I64" } });
    expect(readFileSync(path)).toEqual(Buffer.from(serialize(sd, { metadata: { epoch: "3" }, dtypes: { idx: "I64" } })));
    const back = await loadSafetensors(path);
    expect(Object.keys(back)).toEqual(Object.keys(sd));
    for (const [k, t] of Object.entries(sd)) sameTensor(back[k], t, k);
    const header = await readSafetensorsHeader(path);
    expect(header.metadata.epoch).toBe("3");
    expect(header.tensors.get("idx")?.dtype).toBe("I64");
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    // Overwriting replaces the file.
    await saveSafetensors(path, { only: tensor([7]) });
    expect(Object.keys(await loadSafetensors(path))).toEqual(["only"]);
  });

  it("reads only the header and the tensors asked for: a 4 GiB sparse file loads one small tensor at once", async () => {
    const path = join(dir, "sparse.safetensors");
    const big = 2 ** 30; // F32 elements: 4 GiB of data, never read
    const header = JSON.stringify({
      small: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      huge: { dtype: "F32", shape: [big], data_offsets: [8, 8 + 4 * big] },
    });
    const head = rawFile(header, new Uint8Array(new Float32Array([1.5, -2]).buffer));
    const handle = await open(path, "w");
    await handle.write(head, 0, head.length, 0);
    await handle.truncate(head.length + 4 * big); // a hole: no disk used, and reading it would take seconds
    await handle.close();
    const t0 = performance.now();
    const got = await loadSafetensors(path, { keys: ["small"] });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(got.small.toArray()).toEqual([1.5, -2]);
    expect((await readSafetensorsHeader(path)).tensors.get("huge")?.shape).toEqual([big]);
    await expect(loadSafetensors(path, { keys: ["nope"] })).rejects.toThrow(/has no tensor named "nope" \(it has "small", "huge"\)/);
    await rm(path);
  });

  it("refuses a bad file with the same SafetensorsError as deserialize", async () => {
    const path = join(dir, "bad.safetensors");
    const cases = [
      rawFile("{}", new Uint8Array(0), 1000),
      rawFile('{"w":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}', new Uint8Array([1, 9])),
      new Uint8Array(3),
    ];
    for (const bytes of cases) {
      writeFileSync(path, bytes);
      let expected: unknown;
      try {
        deserialize(bytes);
      } catch (e) {
        expected = e;
      }
      expect(expected).toBeInstanceOf(SafetensorsError);
      await expect(loadSafetensors(path)).rejects.toThrow((expected as Error).message);
    }
  });

  it("removes temp files of writers that were killed, not those of live ones", async () => {
    const path = join(dir, "ck.safetensors");
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const deadPid = Number(dead.stdout);
    const stale = `.ck.safetensors.${deadPid}.0123456789ab.tmp`;
    const live = `.ck.safetensors.${process.ppid}.0123456789ab.tmp`;
    const other = `.other.safetensors.${deadPid}.0123456789ab.tmp`;
    for (const f of [stale, live, other]) writeFileSync(join(dir, f), "partial");
    await saveSafetensors(path, { w: tensor([1]) });
    const left = readdirSync(dir);
    expect(left).not.toContain(stale);
    expect(left).toContain(live);
    expect(left).toContain(other);
    expect(await removeStaleTemps(join(dir, "other.safetensors"))).toEqual([other]);
    await rm(join(dir, live));
  });
});
