import { Linear, ReLU, Sequential, functional as F } from "@minigrad/nn";
import { RMSprop } from "@minigrad/optim";
import { Generator, manualSeed, noGrad, type Tensor } from "@minigrad/tensor";
import { loadDigits, splitByIndex, take, type Dataset } from "./data";

/** The reference protocol's settings (see data/README.md). */
export interface DigitsSettings {
  epochs: number;
  lr: number;
  batchSize: number;
  seed: number;
}

/** What the training loop reports after every step and every epoch. */
export interface DigitsHooks {
  onStart?: (info: { train: number; test: number; steps: number; model: Sequential }) => void;
  onEpochStart?: (epoch: number) => void;
  onStep?: (epoch: number, step: number, meanLoss: number, accuracy: number, seen: number) => void;
  onEpoch?: (epoch: number, summary: EpochSummary) => void;
}

export interface EpochSummary {
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  ms: number;
}

export interface DigitsResult {
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
 * training rows shuffled every epoch by a generator seeded from `seed`.
 */
export function trainDigits(settings: DigitsSettings, hooks: DigitsHooks = {}): DigitsResult {
  manualSeed(settings.seed); // the model's init draws from the default generator
  const shuffler = new Generator(settings.seed + 1);
  const { train, test } = splitByIndex(loadDigits(), 5);
  const model = new Sequential(new Linear(64, 128), new ReLU(), new Linear(128, 10));
  const optimizer = new RMSprop(model.parameters(), { lr: settings.lr });
  const n = train.y.shape[0];
  const steps = Math.ceil(n / settings.batchSize);
  hooks.onStart?.({ train: n, test: test.y.shape[0], steps, model });

  const evaluate = (data: Dataset) => noGrad(() => accuracy(model.forward(data.x), data.y));
  const epochs: EpochSummary[] = [];
  let lastBatchLoss = NaN;
  for (let epoch = 1; epoch <= settings.epochs; epoch++) {
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
      lastBatchLoss = loss.item();
      ms += performance.now() - started;
      lossSum += lastBatchLoss * size;
      correct += accuracy(logits, batch.y) * size;
      const seen = Math.min((step + 1) * settings.batchSize, n);
      hooks.onStep?.(epoch, step + 1, lossSum / seen, correct / seen, seen);
      started = performance.now();
    }
    const summary = { trainLoss: lossSum / n, trainAccuracy: correct / n, testAccuracy: evaluate(test), ms };
    epochs.push(summary);
    hooks.onEpoch?.(epoch, summary);
  }
  return {
    testAccuracy: evaluate(test),
    lastBatchLoss,
    msPerEpoch: epochs.reduce((s, e) => s + e.ms, 0) / Math.max(epochs.length, 1),
    epochs,
  };
}
