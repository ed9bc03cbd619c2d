/**
 * A small CNN learns to read 8x8 handwritten digits (issue 15): conv 3x3 (16) -> relu -> max
 * pool 2 -> conv 3x3 (32) -> relu -> max pool 2 -> linear, RMSprop lr 2e-3 annealed to 0
 * (cosine) over 30 epochs, batch 32, the MLP demo's split. examples/reference/digits_cnn.py
 * runs the same protocol in PyTorch; its figures are printed next to minigrad's.
 *
 *   npx pnpm@10 --filter @minigrad/examples digits-cnn
 *   npx pnpm@10 --filter @minigrad/examples digits-cnn --epochs 10 --seed 3
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseTrainFlags } from "./lib/cli";
import { lineChartSvg } from "./lib/plot";
import { writePng } from "./lib/png";
import { EpochProgress } from "./lib/progress";
import { trainDigitsCnn } from "./lib/train-digits-cnn";

/** examples/reference/digits_cnn.py (PyTorch 1.13, one thread, this project's 2-core VM quiet, seeds 0..4). */
const PYTORCH = { testAccuracy: 0.986, minTestAccuracy: 0.983, msPerEpoch: 42 };

const flags = parseTrainFlags(
  "digits-cnn",
  "Train a small CNN (Conv2d, MaxPool2d, Linear) on the UCI handwritten digits with RMSprop.",
  { epochs: 30, lr: 2e-3, batchSize: 32, seed: 0, out: "out" },
);
const reference = flags.epochs === 30 && flags.lr === 2e-3 && flags.batchSize === 32;

let progress: EpochProgress | null = null;
const result = trainDigitsCnn(flags, {
  onStart: ({ train, test, steps, model }) => {
    console.log(`digits-cnn: ${train} training and ${test} test images of 1x8x8 pixels, ${steps} steps per epoch`);
    console.log(model.toString());
    progress = new EpochProgress(flags.epochs, steps);
  },
  onEpochStart: (epoch) => progress?.start(epoch),
  onStep: (_epoch, step, loss, acc, seen) => progress?.update(step, loss, acc, seen),
  onEpoch: (epoch, e) => {
    progress?.end(
      epoch,
      `loss ${e.trainLoss.toFixed(4)} | train acc ${e.trainAccuracy.toFixed(3)} | test acc ${e.testAccuracy.toFixed(3)} | ` +
        `${e.ms.toFixed(1)} ms | lr ${e.lr.toExponential(2)}`,
    );
  },
});

const versus = (text: string) => (reference ? ` (${text})` : "");
console.log(
  `test accuracy ${result.testAccuracy.toFixed(3)}` +
    versus(`PyTorch 1.13, same protocol: ${PYTORCH.testAccuracy} over seeds 0..4, lowest ${PYTORCH.minTestAccuracy}`),
);
console.log(`last batch loss ${result.lastBatchLoss.toFixed(3)}`);
console.log(`training time ${result.msPerEpoch.toFixed(1)} ms per epoch${versus(`PyTorch, one thread: ${PYTORCH.msPerEpoch} ms`)}`);

const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), flags.out);
mkdirSync(outDir, { recursive: true });
const svgPath = join(outDir, "digits-cnn-training.svg");
const curve = (pick: (e: (typeof result.epochs)[number]) => number) => result.epochs.map((e, i) => [i + 1, pick(e)] as [number, number]);
const svg = lineChartSvg({
  title: `minigrad CNN on UCI digits: RMSprop lr ${flags.lr} (cosine), batch ${flags.batchSize}`,
  xLabel: "epoch",
  leftLabel: "cross-entropy loss",
  rightLabel: "accuracy",
  rightRange: [0, 1],
  leftFromZero: true,
  series: [
    { name: "train loss", points: curve((e) => e.trainLoss), color: "#d62728" },
    { name: "train accuracy", points: curve((e) => e.trainAccuracy), color: "#1f77b4", axis: "right" },
    { name: "test accuracy", points: curve((e) => e.testAccuracy), color: "#2ca02c", axis: "right" },
  ],
});
writeFileSync(svgPath, svg);
const pngPath = await writePng(svgPath, svg);
console.log(`plot written to ${svgPath}${pngPath ? ` and ${pngPath}` : ""}`);
