/**
 * The main demo: a 64-128-10 MLP learns to read 8x8 handwritten digits.
 * Protocol of the PyTorch reference (data/README.md): split by index, pixels / 16,
 * RMSprop lr 1e-3, batch 32, 30 epochs, shuffled each epoch with a seeded generator.
 *
 *   npx pnpm@10 --filter @minigrad/examples digits -- --epochs 30 --lr 1e-3
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Linear, ReLU, Sequential, functional as F } from "@minigrad/nn";
import { RMSprop } from "@minigrad/optim";
import { Generator, manualSeed, noGrad, type Tensor } from "@minigrad/tensor";
import { parseTrainFlags } from "./lib/cli";
import { loadDigits, splitByIndex, take, type Dataset } from "./lib/data";
import { lineChartSvg } from "./lib/plot";
import { EpochProgress } from "./lib/progress";

const PYTORCH_MS_PER_EPOCH = 7.3;
const PYTORCH_TEST_ACCURACY = 0.975;

const flags = parseTrainFlags("digits", "Train an MLP on the UCI handwritten digits with RMSprop.", {
  epochs: 30, lr: 1e-3, batchSize: 32, seed: 0, out: "out",
});

manualSeed(flags.seed); // the model's init draws from the default generator
const shuffler = new Generator(flags.seed + 1);

const { train, test } = splitByIndex(loadDigits(), 5);
console.log(`digits: ${train.y.shape[0]} training and ${test.y.shape[0]} test images of 8x8 pixels`);

const model = new Sequential(new Linear(64, 128), new ReLU(), new Linear(128, 10));
const optimizer = new RMSprop(model.parameters(), { lr: flags.lr });
console.log(model.toString());

/** Fraction of rows whose largest logit is the label. */
function accuracy(logits: Tensor, labels: Tensor): number {
  return logits.argmax(1).eq(labels).sum().item() / labels.shape[0];
}

function evaluate(data: Dataset): { loss: number; accuracy: number } {
  return noGrad(() => {
    const logits = model.forward(data.x);
    return { loss: F.crossEntropy(logits, data.y).item(), accuracy: accuracy(logits, data.y) };
  });
}

const n = train.y.shape[0];
const steps = Math.ceil(n / flags.batchSize);
const progress = new EpochProgress(flags.epochs, steps);
const history = { trainLoss: [] as [number, number][], trainAcc: [] as [number, number][], testAcc: [] as [number, number][] };
let trainingMs = 0;
let lastLoss = NaN;

for (let epoch = 1; epoch <= flags.epochs; epoch++) {
  progress.start(epoch);
  const order = shuffler.randperm(n);
  let lossSum = 0;
  let correct = 0;
  const started = performance.now();
  for (let step = 0; step < steps; step++) {
    const batch = take(train, order.subarray(step * flags.batchSize, Math.min((step + 1) * flags.batchSize, n)));
    optimizer.zeroGrad();
    const logits = model.forward(batch.x);
    const loss = F.crossEntropy(logits, batch.y);
    loss.backward();
    optimizer.step();
    lastLoss = loss.item();
    lossSum += lastLoss * batch.y.shape[0];
    correct += noGrad(() => accuracy(logits, batch.y)) * batch.y.shape[0];
    const seen = Math.min((step + 1) * flags.batchSize, n);
    progress.update(step + 1, lossSum / seen, correct / seen, (seen / (performance.now() - started)) * 1000);
  }
  const epochMs = performance.now() - started;
  trainingMs += epochMs;
  const testResult = evaluate(test);
  history.trainLoss.push([epoch, lossSum / n]);
  history.trainAcc.push([epoch, correct / n]);
  history.testAcc.push([epoch, testResult.accuracy]);
  progress.end(
    epoch,
    `loss ${(lossSum / n).toFixed(4)} | train acc ${(correct / n).toFixed(3)} | test acc ${testResult.accuracy.toFixed(3)} | ${epochMs.toFixed(1)} ms`,
  );
}

const final = evaluate(test);
const msPerEpoch = trainingMs / flags.epochs;
console.log(`test accuracy ${final.accuracy.toFixed(3)} (PyTorch 1.13 reference: ${PYTORCH_TEST_ACCURACY})`);
console.log(`last batch loss ${lastLoss.toFixed(3)} (PyTorch: 0.044)`);
console.log(
  `training time ${msPerEpoch.toFixed(1)} ms per epoch (PyTorch 1.13, one thread: ${PYTORCH_MS_PER_EPOCH} ms per epoch)`,
);

const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), flags.out);
mkdirSync(outDir, { recursive: true });
const svgPath = join(outDir, "digits-training.svg");
writeFileSync(
  svgPath,
  lineChartSvg({
    title: `minigrad MLP on UCI digits: RMSprop lr ${flags.lr}, batch ${flags.batchSize}`,
    xLabel: "epoch",
    leftLabel: "cross-entropy loss",
    rightLabel: "accuracy",
    rightRange: [0, 1],
    series: [
      { name: "train loss", points: history.trainLoss, color: "#d62728" },
      { name: "train accuracy", points: history.trainAcc, color: "#1f77b4", axis: "right" },
      { name: "test accuracy", points: history.testAcc, color: "#2ca02c", axis: "right" },
    ],
  }),
);
console.log(`plot written to ${svgPath}`);
