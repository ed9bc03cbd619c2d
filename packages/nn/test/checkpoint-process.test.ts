import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultGenerator, manualSeed, type Tensor } from "@minigrad/tensor";
import { loadCheckpoint, loadSafetensors, saveCheckpoint } from "@minigrad/nn/node";
import { bundleForNode } from "./helpers/bundle";
import { killLoopModel, makeRun, trainSteps } from "./helpers/checkpoint-train";
import { elementBits } from "./helpers/safetensors";

const dir = mkdtempSync(join(tmpdir(), "minigrad-ckpt-proc-"));
const child = join(dir, "child.mjs");
beforeAll(() => bundleForNode(fileURLToPath(new URL("./helpers/checkpoint-child.ts", import.meta.url)), child), 60_000);
const live = new Set<ChildProcess>();
afterAll(async () => {
  for (const proc of live) proc.kill("SIGKILL"); // after a failed assertion, no loop is left running
  await rm(dir, { recursive: true, force: true });
});

/** A kill-loop child, with the highest step it reported saving so far. */
function startLoop(path: string) {
  const proc = spawn(process.execPath, [child, "kill-loop", path], { stdio: ["ignore", "pipe", "inherit"] });
  live.add(proc);
  proc.once("exit", () => live.delete(proc));
  const state = { seen: 0 };
  let buffered = "";
  let saved: (ok: boolean) => void = () => undefined;
  const firstSave = new Promise<boolean>((resolve) => (saved = resolve));
  proc.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      const m = /^saved (\d+)$/.exec(line);
      if (m !== null) state.seen = Math.max(state.seen, Number(m[1]));
    }
    if (state.seen > 0) saved(true);
  });
  // "close": the process exited and everything it wrote to stdout has been read.
  const closed = new Promise((resolve) => proc.once("close", resolve));
  proc.once("exit", () => saved(false));
  return { proc, state, firstSave, closed };
}

describe("checkpoints survive SIGKILL", () => {
  it("a child saving in a loop, killed at random moments 200 times: the last good checkpoint always loads", async () => {
    const LANES = 2; // the two cores: two children at a time, each on its own file
    const KILLS = 200;
    let rng = 12345;
    const random = () => ((rng = (Math.imul(rng, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const lastSaved = new Map<string, number>();
    let kills = 0;
    let torn = 0;
    let midWrite = 0;
    const lane = async (path: string): Promise<void> => {
      while (kills < KILLS) {
        kills++;
        const { proc, state, firstSave, closed } = startLoop(path);
        expect(await firstSave, "the child saved a checkpoint").toBe(true);
        // Somewhere in the next saves: serializing, writing, fsync, rename or between them.
        await new Promise((resolve) => setTimeout(resolve, random() * 20));
        proc.kill("SIGKILL");
        await closed;
        const seen = state.seen;
        if (readdirSync(dir).some((f) => f.startsWith(`.${basename(path)}.`) && f.endsWith(".tmp"))) midWrite++;
        // The file is a whole checkpoint: the last one reported, or one whose rename landed just before the kill.
        const { model, optimizer } = killLoopModel();
        const { step } = await loadCheckpoint(path, { model, optimizer, generator: null });
        const last = Math.max(lastSaved.get(path) ?? 0, seen);
        expect(step === last || step === last + 1, `loaded step ${step}, last reported ${last}`).toBe(true);
        if (step !== last) torn++;
        lastSaved.set(path, step as number);
        for (const p of model.parameters()) expect(p.amin().item() === step && p.amax().item() === step).toBe(true);
        expect(optimizer.stateDict().state[0].step).toBe(step);
      }
    };
    const paths = Array.from({ length: LANES }, (_, i) => join(dir, `loop${i}.ckpt`));
    await Promise.all(paths.map(lane));
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    // Killed writers leave temp files; readers ignore them and the next save removes them.
    const temps = () => readdirSync(dir).filter((f) => f.endsWith(".tmp"));
    const { model, optimizer } = killLoopModel();
    for (const path of paths) {
      await loadCheckpoint(path, { model, optimizer, generator: null });
      await saveCheckpoint(path, { model, optimizer });
    }
    expect(temps()).toEqual([]);
    // Many kills land inside a write (a temp file was left: 61 of 200 in a run), some right after
    // a rename (the file is one step ahead of what the child printed: 25).
    expect(midWrite, `${midWrite} kills mid-write, ${torn} after a rename`).toBeGreaterThan(KILLS / 10);
  }, 120_000);
});

describe("a resumed run is the uninterrupted run", () => {
  it("2N steps straight == N steps, checkpoint, a new process resumes and runs N: every parameter equal by bits (dropout and batches from the generator)", async () => {
    const N = 6;
    manualSeed(2024);
    const straight = makeRun();
    trainSteps(straight, 2 * N);

    manualSeed(2024);
    const first = makeRun();
    trainSteps(first, N);
    const path = join(dir, "resume.ckpt");
    await saveCheckpoint(path, { ...first, step: N, generator: defaultGenerator });
    const out = join(dir, "resumed.safetensors");
    const r = spawnSync(process.execPath, [child, "resume", path, String(N), out], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const resumed = await loadSafetensors(out);
    const want = straight.model.stateDict();
    expect(Object.keys(resumed)).toEqual(Object.keys(want));
    for (const [k, t] of Object.entries(want)) expect(elementBits(resumed[k]), k).toEqual(elementBits(t as Tensor));
    // Without the generator's state the resumed run would differ (the test can tell).
    manualSeed(2024);
    const naive = makeRun();
    trainSteps(naive, N);
    manualSeed(7);
    trainSteps(naive, N);
    expect(Object.entries(naive.model.stateDict()).some(([k, t]) => elementBits(t).join() !== elementBits(want[k]).join())).toBe(true);
    expect(existsSync(path)).toBe(true);
  }, 60_000);
});
