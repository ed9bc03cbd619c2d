/**
 * A tiny classifier on Fisher's iris: 4 measurements -> 3 species. Features are
 * standardized with the training set's mean and standard deviation; the test set is
 * every 5th flower (10 of each species). Prints a confusion matrix at the end.
 *
 *   npx pnpm@10 --filter @minigrad/examples iris -- --epochs 60
 */
import { Linear, Sequential, Tanh, functional as F } from "@minigrad/nn";
import { RMSprop } from "@minigrad/optim";
import { Generator, manualSeed, noGrad } from "@minigrad/tensor";
import { parseTrainFlags } from "./lib/cli";
import { loadIris, splitByIndex, take } from "./lib/data";
import { EpochProgress } from "./lib/progress";

const flags = parseTrainFlags("iris", "Train a small classifier on Fisher's iris and print its confusion matrix.", {
  epochs: 60, lr: 1e-2, batchSize: 16, seed: 0, out: "out",
});
manualSeed(flags.seed);
const shuffler = new Generator(flags.seed + 1);

const data = loadIris();
const { train, test } = splitByIndex(data, 5);
// Standardize with training statistics only, so the test set stays unseen.
const mean = train.x.mean(0, true);
const std = train.x.var(0, true).sqrt();
const normalize = (x: typeof train.x) => x.sub(mean).div(std);
const trainX = normalize(train.x);
const testX = normalize(test.x);

const model = new Sequential(new Linear(4, 16), new Tanh(), new Linear(16, 3));
const optimizer = new RMSprop(model.parameters(), { lr: flags.lr });
const n = train.y.shape[0];
const steps = Math.ceil(n / flags.batchSize);
const progress = new EpochProgress(flags.epochs, steps);

for (let epoch = 1; epoch <= flags.epochs; epoch++) {
  progress.start(epoch);
  const order = shuffler.randperm(n);
  let lossSum = 0;
  for (let step = 0; step < steps; step++) {
    const rows = order.subarray(step * flags.batchSize, Math.min((step + 1) * flags.batchSize, n));
    const batch = take({ x: trainX, y: train.y, classes: data.classes }, rows);
    optimizer.zeroGrad();
    const loss = F.crossEntropy(model.forward(batch.x), batch.y);
    loss.backward();
    optimizer.step();
    lossSum += loss.item() * rows.length;
    const seen = Math.min((step + 1) * flags.batchSize, n);
    progress.update(step + 1, lossSum / seen, NaN, seen);
  }
  const acc = noGrad(() => model.forward(testX).argmax(1).eq(test.y).sum().item() / test.y.shape[0]);
  progress.end(epoch, `loss ${(lossSum / n).toFixed(4)} | test acc ${acc.toFixed(3)}`);
}

// Confusion matrix: rows are the true species, columns the predicted ones.
const predicted = noGrad(() => model.forward(testX).argmax(1)).toTypedArray();
const truth = test.y.toTypedArray();
const k = data.classes.length;
const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
truth.forEach((t, i) => counts[t][predicted[i]]++);
const width = Math.max(...data.classes.map((c) => c.length)) + 2;
console.log(`\nconfusion matrix on ${truth.length} test flowers (rows: true species, columns: predicted)`);
console.log(" ".repeat(width) + data.classes.map((c) => c.padStart(width)).join(""));
counts.forEach((row, i) => console.log(data.classes[i].padEnd(width) + row.map((v) => String(v).padStart(width)).join("")));
const correct = counts.reduce((s, row, i) => s + row[i], 0);
console.log(`test accuracy ${(correct / truth.length).toFixed(3)}`);
