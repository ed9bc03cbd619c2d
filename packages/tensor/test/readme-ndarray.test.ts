import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import ndarray from "ndarray";
import { fromNdarray, tensor, type Tensor } from "@minigrad/tensor";

/** The README's ndarray snippet, run as written (bare package imports resolved from this package). */
const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
const section = readme.split(/^## /m).find((s) => s.startsWith("Zero-copy interop with `ndarray`\n"));
const code = section?.match(/```ts\n([\s\S]*?)```/)?.[1];
const require = createRequire(fileURLToPath(new URL("../package.json", import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), "minigrad-readme-ndarray-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("README: zero-copy interop with ndarray", () => {
  it("runs an ndarray-ops function on a tensor's view and the tensor sees the change", async () => {
    expect(code, "README.md has a ts block under the ndarray section").toBeDefined();
    const file = join(dir, "snippet.ts");
    const source = (code as string).replace(/from "(ndarray(?:-ops)?)"/g, (_, name: string) => `from ${JSON.stringify(pathToFileURL(require.resolve(name)).href)}`);
    writeFileSync(file, `${source}\nexport { t, scaled, shifted, nd, u, doubled };\n`);
    const ran = (await import(/* @vite-ignore */ file)) as { t: Tensor; scaled: unknown; shifted: unknown; u: Tensor; doubled: number };
    expect(ran.scaled).toEqual([[1, 20, 3], [4, 50, 6]]);
    expect(ran.shifted).toEqual([[2, 21, 4], [5, 51, 7]]);
    expect(ran.doubled).toBe(4);
    expect(ran.u.dtype).toBe("float64");
    expect(ran.u.toArray()).toEqual([[2, 4], [6, 8]]);
  });

  it("refuses ndarray data a tensor cannot share", () => {
    expect(() => fromNdarray(ndarray([1, 2, 3]))).toThrow(/fromNdarray: data must be a Float32Array, Float64Array, Int32Array or Uint8Array/);
    expect(() => fromNdarray(ndarray(new Int16Array(2)))).toThrow(/without a copy/);
    expect(fromNdarray(ndarray(new Uint8Array([0, 1]))).dtype).toBe("bool");
    expect(tensor([1]).toNdarray().data).toBeInstanceOf(Float32Array);
  });
});
