/**
 * Training steps: the 784-256-10 MLP (batch 64), the digits-sized 64-128-10 MLP (batch 32),
 * and a digits epoch (1437 training images, batch 32: 45 steps) against PyTorch's 7.3 ms.
 * Each step is zero grads, forward, cross entropy, backward and an RMSprop update, and
 * ends with the loss read back as a number.
 */
import type { Config } from "../cli";
import {
  disposeTfBatches, initWeights, makeBatch, mgBatch, mgTrainer, tfBatch, tfTrainer,
  type Batch, type MlpShape, type TfBatch, type Trainer,
} from "../models";
import { finishRow, measureRow, plannedImpls, tfBackendOf, type RowResult, type RowSpec } from "../row";
import { useBackend } from "../tfjs";
import type { Contender } from "../timing";

export const MNIST_MLP: MlpShape = { input: 784, hidden: 256, output: 10 };
export const DIGITS_MLP: MlpShape = { input: 64, hidden: 128, output: 10 };
/** The digits demo's training split (1797 images, every 5th held out) and batch size. */
export const DIGITS_TRAIN = 1437;
export const DIGITS_BATCH = 32;
const PYTORCH_DIGITS_EPOCH_MS = 7.3;

const mnistSpec: RowSpec = {
  id: "mlp784",
  label: "MLP 784-256-10 b64 step (fwd+bwd+RMSprop)",
  unit: "ms",
  better: "lower",
  target: { kind: "atMost", value: 5 },
  targetText: "<= 5 ms",
  heavy: true,
  quickSkipsCpu: true,
  reference: { pytorch: 0.97, tfjsWasm: 15.3, tfjsCpu: 114, jsPytorch: 238 },
};

const digitsStepSpec: RowSpec = {
  id: "digitsStep",
  label: "MLP 64-128-10 b32 step (digits-sized)",
  unit: "ms",
  better: "lower",
  target: { kind: "none" },
  targetText: "(see epoch)",
  heavy: false,
  reference: { pytorch: PYTORCH_DIGITS_EPOCH_MS / Math.ceil(DIGITS_TRAIN / DIGITS_BATCH) },
};

const digitsEpochSpec: RowSpec = {
  id: "digitsEpoch",
  label: "digits epoch: 45 steps, 1437 images b32",
  unit: "ms",
  better: "lower",
  target: { kind: "atMost", value: PYTORCH_DIGITS_EPOCH_MS },
  targetText: "<= 7.3 ms (PyTorch)",
  heavy: true,
  // Steady state: V8 takes ~1,000 steps (about 20 epochs) to optimize every function a
  // training step runs; 3 warm-up epochs would time minigrad half-compiled.
  warmup: 25,
  reference: { pytorch: PYTORCH_DIGITS_EPOCH_MS },
};

/**
 * Contenders that run `batches` (all of them, in order) per timed sample; the row's figure is
 * the sample's time, or with `perStep` the sample's time per batch.
 */
async function stepRow(cfg: Config, spec: RowSpec, shape: MlpShape, batches: readonly Batch[], seed: number, perStep = false): Promise<RowResult> {
  const weights = initWeights(shape, seed);
  const { run, skipped } = plannedImpls(cfg, spec);
  const contenders: Contender[] = [];
  const firstLoss: Record<string, number> = {};
  const lastLoss: Record<string, number> = {};
  const cleanup: (() => void)[] = [];

  /** One timed pass over the batches; records the first and last loss of each implementation. */
  function timeEpoch<B>(impl: string, trainer: { step(batch: B): number }, data: readonly B[]): { ms: number } {
    let loss = NaN;
    const t0 = performance.now();
    for (const b of data) {
      loss = trainer.step(b);
      firstLoss[impl] ??= loss; // the loss of the very first step, from identical weights
    }
    const ms = performance.now() - t0;
    lastLoss[impl] = loss;
    return { ms };
  }

  for (const impl of run) {
    if (impl === "minigrad") {
      const trainer = mgTrainer(shape, weights);
      const data = batches.map((b) => mgBatch(shape, b));
      contenders.push({
        impl,
        run: () => timeEpoch(impl, trainer, data),
      });
    } else {
      const backend = tfBackendOf(impl);
      const trainer: Trainer<TfBatch> = await tfTrainer(backend, shape, weights);
      const data: TfBatch[] = [];
      for (const b of batches) data.push(await tfBatch(backend, shape, b));
      cleanup.push(() => {
        trainer.dispose();
        disposeTfBatches(data);
      });
      contenders.push({
        impl,
        before: () => useBackend(backend),
        run: () => timeEpoch(impl, trainer, data),
      });
    }
  }
  try {
    const { cells } = await measureRow(cfg, spec, contenders, (ms) => (perStep ? ms / batches.length : ms), skipped);
    const notes: string[] = [];
    const mg = firstLoss.minigrad;
    for (const impl of ["tfjs-wasm", "tfjs-cpu"]) {
      const other = firstLoss[impl];
      if (mg !== undefined && other !== undefined && Math.abs(mg - other) > 1e-3 * Math.max(1, Math.abs(mg))) {
        notes.push(`${spec.id}: first loss differs: minigrad ${mg}, ${impl} ${other}`);
      }
    }
    return finishRow(spec, cells, notes, { firstLoss, lastLoss, batches: batches.length, batchSizes: [...new Set(batches.map((b) => b.size))] });
  } finally {
    for (const c of cleanup) c();
  }
}

/**
 * Steps as a training loop runs them: a sample is MLP_STEPS consecutive steps on different
 * batches, and the figure is ms per step. (A sample of one step measured a step right after
 * another library's run: its caches evicted, and the garbage TF.js cpu leaves being collected
 * on the other core while it runs. That is nobody's training loop; minigrad's step measured
 * ~2.0 ms that way against ~1.3 ms in a loop.)
 */
const MLP_STEPS = 8;

export async function mnistMlpRow(cfg: Config): Promise<RowResult> {
  const batches = Array.from({ length: MLP_STEPS }, (_, i) => makeBatch(MNIST_MLP, 64, 101 + 2 * i));
  return stepRow(cfg, mnistSpec, MNIST_MLP, batches, 100, true);
}

export async function digitsStepRow(cfg: Config): Promise<RowResult> {
  return stepRow(cfg, digitsStepSpec, DIGITS_MLP, [makeBatch(DIGITS_MLP, DIGITS_BATCH, 201)], 200);
}

/** 44 batches of 32 and a last one of 29: the digits demo's epoch, without shuffling. */
export async function digitsEpochRow(cfg: Config): Promise<RowResult> {
  const batches: Batch[] = [];
  for (let start = 0, i = 0; start < DIGITS_TRAIN; start += DIGITS_BATCH, i++) {
    batches.push(makeBatch(DIGITS_MLP, Math.min(DIGITS_BATCH, DIGITS_TRAIN - start), 300 + 2 * i));
  }
  return stepRow(cfg, digitsEpochSpec, DIGITS_MLP, batches, 200);
}
