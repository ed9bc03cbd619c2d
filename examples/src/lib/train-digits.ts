import { readFileSync } from "node:fs";
import { Linear, ReLU, Sequential, deserializeCheckpoint, safetensorsHeader, functional as F } from "@minigrad/nn";
import { saveCheckpointSync } from "@minigrad/nn/node";
import { Generator, manualSeed, noGrad, type Tensor } from "@minigrad/tensor";
import { loadDigits, splitByIndex, take, type Dataset } from "./data";
import { OPTIMIZERS, createSchedule, type OptimizerName, type SchedulerName } from "./optimizers";

/** The reference protocol's settings (see data/README.md). */
export interface DigitsSettings {
  epochs: number;
  lr: number;
  batchSize: number;
  seed: number;
  /** Default "rmsprop" (the reference protocol); `lr` is passed to it as is. */
  optimizer?: OptimizerName;
  /** Default "none": the lr stays `lr`. */
  scheduler?: SchedulerName;
  /** Save a checkpoint (model, optimizer, schedule, shuffler, epoch) to this file after every epoch. */
  checkpoint?: string;
  /** Continue from this checkpoint (of a run with the same settings) at the epoch after its own. */
  resume?: string;
}

/** What the training loop reports after every step and every epoch. */
export interface DigitsHooks {
  onStart?: (info: { train: number; test: number; steps: number; model: Sequential; schedule: string }) => void;
  onEpochStart?: (epoch: number) => void;
  onStep?: (epoch: number, step: number, meanLoss: number, accuracy: number, seen: number, batchLoss: number) => void;
  onEpoch?: (epoch: number, summary: EpochSummary) => void;
}

export interface EpochSummary {
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  ms: number;
  /** The lr at the end of the epoch. */
  lr: number;
}

export interface DigitsResult {
  /** The first epoch trained (1, or the one after a resumed checkpoint's). */
  firstEpoch: number;
  testAccuracy: number;
  lastBatchLoss: number;
  msPerEpoch: number;
  epochs: EpochSummary[];
}

/** Fraction of rows whose largest logit is the label. */
export function accuracy(logits: Tensor, labels: Tensor): number {
  return noGrad(() => logits.argmax(1).eq(labels).sum().item() / labels.shape[0]);
}

/**
 * A 64-128-10 MLP trained on the UCI digits with RMSprop, as the PyTorch reference:
 * split by index (every 5th image is a test image), pixels / 16, cross entropy,
 * training rows shuffled every epoch by a generator seeded from `seed`. Another optimizer
 * or a learning-rate schedule changes only the update: the same seed gives the same
 * initial weights and the same batches.
 */
export function trainDigits(settings: DigitsSettings, hooks: DigitsHooks = {}): DigitsResult {
  manualSeed(settings.seed); // the model's init draws from the default generator
  const shuffler = new Generator(settings.seed + 1);
  const { train, test } = splitByIndex(loadDigits(), 5);
  const model = new Sequential(new Linear(64, 128), new ReLU(), new Linear(128, 10));
  const optimizer = OPTIMIZERS[settings.optimizer ?? "rmsprop"].create(model.parameters(), settings.lr);
  const n = train.y.shape[0];
  const steps = Math.ceil(n / settings.batchSize);
  const schedule = createSchedule(settings.scheduler ?? "none", optimizer, { epochs: settings.epochs, stepsPerEpoch: steps });
  // What a checkpoint must match to be resumed: everything that shapes the run.
  const run = {
    optimizer: settings.optimizer ?? "rmsprop", scheduler: settings.scheduler ?? "none",
    lr: String(settings.lr), batchSize: String(settings.batchSize), seed: String(settings.seed), epochs: String(settings.epochs),
  };
  const targets = { model, optimizer, generator: shuffler, ...(schedule.scheduler ? { scheduler: schedule.scheduler } : {}) };
  let firstEpoch = 1;
  if (settings.resume !== undefined) {
    const bytes = readFileSync(settings.resume);
    const saved = safetensorsHeader(bytes).metadata; // checked before anything is loaded
    for (const [key, value] of Object.entries(run)) {
      // Without a schedule a run may be extended by more epochs; a schedule's shape depends on them.
      if (key === "epochs" && run.scheduler === "none") continue;
      const was = saved[`digits.${key}`];
      if (was !== value) throw new Error(`--resume ${settings.resume}: that run had ${key} ${was}, this one has ${value}`);
    }
    firstEpoch = (deserializeCheckpoint(bytes, targets).epoch ?? 0) + 1;
  }
  const metadata = Object.fromEntries(Object.entries(run).map(([k, v]) => [`digits.${k}`, v]));
  hooks.onStart?.({ train: n, test: test.y.shape[0], steps, model, schedule: schedule.label });

  const evaluate = (data: Dataset) => noGrad(() => accuracy(model.forward(data.x), data.y));
  const epochs: EpochSummary[] = [];
  let lastBatchLoss = NaN;
  for (let epoch = firstEpoch; epoch <= settings.epochs; epoch++) {
    hooks.onEpochStart?.(epoch);
    // Timed: what the PyTorch reference times (shuffle, batch, zero grads, forward, loss,
    // backward, step); the running accuracy and the progress display are not.
    let ms = 0;
    let started = performance.now();
    const order = shuffler.randperm(n);
    let lossSum = 0;
    let correct = 0;
    for (let step = 0; step < steps; step++) {
      const batch = take(train, order.subarray(step * settings.batchSize, Math.min((step + 1) * settings.batchSize, n)));
      const size = batch.y.shape[0];
      optimizer.zeroGrad();
      const logits = model.forward(batch.x);
      const loss = F.crossEntropy(logits, batch.y);
      loss.backward();
      optimizer.step();
      schedule.afterBatch();
      lastBatchLoss = loss.item();
      ms += performance.now() - started;
      lossSum += lastBatchLoss * size;
      correct += accuracy(logits, batch.y) * size;
      const seen = Math.min((step + 1) * settings.batchSize, n);
      hooks.onStep?.(epoch, step + 1, lossSum / seen, correct / seen, seen, lastBatchLoss);
      started = performance.now();
    }
    started = performance.now();
    schedule.afterEpoch();
    ms += performance.now() - started;
    const summary = {
      trainLoss: lossSum / n, trainAccuracy: correct / n, testAccuracy: evaluate(test), ms, lr: schedule.lr(),
    };
    epochs.push(summary);
    if (settings.checkpoint !== undefined) saveCheckpointSync(settings.checkpoint, { ...targets, epoch, metadata });
    hooks.onEpoch?.(epoch, summary);
  }
  return {
    firstEpoch,
    testAccuracy: evaluate(test),
    lastBatchLoss,
    msPerEpoch: epochs.reduce((s, e) => s + e.ms, 0) / Math.max(epochs.length, 1),
    epochs,
  };
}
