/**
 * Memory: a training loop of the digits-sized MLP (64-128-10, batch 32, RMSprop) for
 * 10,000 steps (1,000 in --quick) must keep a flat heap. Memory is read after a full GC
 * before the loop, after the warm-up steps and at the end; the row's figure is the growth
 * from after warm-up to the end. "Memory" is V8's heapUsed plus `external` (the typed
 * arrays' backing stores, where minigrad's tensor data and TF.js's wasm memory live).
 *
 * Unlike the timing rows, the implementations run one after the other, not alternated:
 * the heap is shared by the whole process, so interleaving would mix their figures.
 */
import type { Config } from "../cli";
import { disposeTfBatches, initWeights, makeBatch, mgBatch, mgTrainer, tfBatch, tfTrainer, type TfBatch } from "../models";
import { memoryStats } from "@minigrad/tensor";
import { finishRow, plannedImpls, tfBackendOf, type Cell, type RowResult, type RowSpec } from "../row";
import { tf, useBackend } from "../tfjs";
import { collectGarbage, type Impl } from "../timing";
import { DIGITS_BATCH, DIGITS_MLP } from "./mlp";

const MB = 1024 * 1024;

export interface MemorySnapshot {
  heapUsedMB: number;
  externalMB: number;
  arrayBuffersMB: number;
  /** heapUsed + external */
  totalMB: number;
  tfTensors: number;
  tfBytesMB: number;
}

export interface MemoryRun {
  steps: number;
  warmupSteps: number;
  before: MemorySnapshot;
  afterWarmup: MemorySnapshot;
  end: MemorySnapshot;
  growthMB: number;
  msPerStep: number;
  firstLoss: number;
  lastLoss: number;
}

function snapshot(): MemorySnapshot {
  collectGarbage();
  const m = process.memoryUsage();
  const t = tf.memory();
  return {
    heapUsedMB: m.heapUsed / MB,
    externalMB: m.external / MB,
    arrayBuffersMB: m.arrayBuffers / MB,
    totalMB: (m.heapUsed + m.external) / MB,
    tfTensors: t.numTensors,
    tfBytesMB: t.numBytes / MB,
  };
}

const spec: RowSpec = {
  id: "heap",
  label: "heap growth, MLP loop after warm-up",
  unit: "MB",
  better: "lower",
  target: { kind: "atMost", value: 1 },
  targetText: "flat (<= 1 MB)",
  heavy: true,
  ratios: false,
};

/** Run `step` `steps` times, reading memory before, after `warmupSteps`, and at the end. */
function loop(steps: number, warmupSteps: number, step: () => number): MemoryRun {
  const before = snapshot();
  let firstLoss = NaN;
  let lastLoss = NaN;
  for (let i = 0; i < warmupSteps; i++) {
    lastLoss = step();
    if (i === 0) firstLoss = lastLoss;
  }
  const afterWarmup = snapshot();
  const t0 = performance.now();
  for (let i = warmupSteps; i < steps; i++) lastLoss = step();
  const msPerStep = (performance.now() - t0) / Math.max(1, steps - warmupSteps);
  const end = snapshot();
  return { steps, warmupSteps, before, afterWarmup, end, growthMB: end.totalMB - afterWarmup.totalMB, msPerStep, firstLoss, lastLoss };
}

export async function memoryRow(cfg: Config, onProgress: (impl: Impl) => void = () => {}): Promise<RowResult> {
  const steps = cfg.quick ? 1000 : 10_000;
  const warmupSteps = cfg.quick ? 100 : 500;
  const weights = initWeights(DIGITS_MLP, 400);
  // Eight batches in turn, as a real loop would feed different data.
  const batches = Array.from({ length: 8 }, (_, i) => makeBatch(DIGITS_MLP, DIGITS_BATCH, 401 + 2 * i));
  const { run, skipped } = plannedImpls(cfg, spec);
  const cells: Partial<Record<Impl, Cell>> = {};
  for (const [impl, reason] of Object.entries(skipped) as [Impl, string][]) cells[impl] = { kind: "skipped", reason };
  const runs: Partial<Record<Impl, MemoryRun>> = {};
  const notes: string[] = [];

  for (const impl of run) {
    onProgress(impl);
    try {
      if (impl === "minigrad") {
        const trainer = mgTrainer(DIGITS_MLP, weights);
        const data = batches.map((b) => mgBatch(DIGITS_MLP, b));
        let i = 0;
        runs[impl] = loop(steps, warmupSteps, () => trainer.step(data[i++ % data.length]));
      } else {
        const backend = tfBackendOf(impl);
        await useBackend(backend);
        const trainer = await tfTrainer(backend, DIGITS_MLP, weights);
        const data: TfBatch[] = [];
        for (const b of batches) data.push(await tfBatch(backend, DIGITS_MLP, b));
        let i = 0;
        try {
          runs[impl] = loop(steps, warmupSteps, () => trainer.step(data[i++ % data.length]));
        } finally {
          trainer.dispose();
          disposeTfBatches(data);
        }
        const r = runs[impl];
        if (r !== undefined && r.end.tfTensors !== r.afterWarmup.tfTensors) {
          notes.push(`${impl}: live TF.js tensors went from ${r.afterWarmup.tfTensors} to ${r.end.tfTensors}`);
        }
      }
      const r = runs[impl];
      if (r !== undefined) cells[impl] = { kind: "value", value: r.growthMB };
    } catch (e) {
      cells[impl] = { kind: "error", message: e instanceof Error ? e.message : String(e) };
    }
  }
  notes.push(`heap: ${steps} steps each (${warmupSteps} warm-up), one implementation after the other; heap = heapUsed + external, after a full GC`);
  // minigrad's wasm arena is outside V8's heap figures: report it (MB in use / handed out).
  const arena = memoryStats();
  notes.push(`minigrad arena at the end of this row (every row so far counts): ${(arena.inUseBytes / 2 ** 20).toFixed(1)} MB in use, ${(arena.reservedBytes / 2 ** 20).toFixed(1)} MB handed out (tensors under 1 MiB made outside tidy stay in ordinary typed arrays)`);
  return finishRow(spec, cells, notes, { steps, warmupSteps, runs, arena });
}
