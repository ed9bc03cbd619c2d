/**
 * The main demo: a 64-128-10 MLP learns to read 8x8 handwritten digits.
 * Protocol of the PyTorch reference (data/README.md): split by index, pixels / 16,
 * RMSprop lr 1e-3, batch 32, 30 epochs, shuffled each epoch with a seeded generator.
 *
 * `--optimizer` and `--scheduler` train the same model (same seed: same init, same batches)
 * another way.
 *
 *   npx pnpm@10 --filter @minigrad/examples digits --epochs 30 --lr 1e-3
 *   npx pnpm@10 --filter @minigrad/examples digits --optimizer adam --scheduler onecycle
 *   npx pnpm@10 --filter @minigrad/examples digits --epochs 10 --checkpoint run.ckpt
 *   npx pnpm@10 --filter @minigrad/examples digits --epochs 30 --resume run.ckpt   (epochs 11..30)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseFlags } from "./lib/cli";
import {
  OPTIMIZERS, OPTIMIZER_NAMES, SCHEDULER_NAMES, isOptimizerName, minibatchRefusals, type SchedulerName,
} from "./lib/optimizers";
import { lineChartSvg } from "./lib/plot";
import { writePng } from "./lib/png";
import { EpochProgress } from "./lib/progress";
import { trainDigits } from "./lib/train-digits";

const PYTORCH_MS_PER_EPOCH = 7.3;
const PYTORCH_TEST_ACCURACY = 0.975;
const PYTORCH_LAST_LOSS = 0.044;

const parsed = parseFlags(
  "digits",
  "Train an MLP on the UCI handwritten digits (RMSprop unless --optimizer says otherwise).",
  { epochs: 30, lr: 1e-3, batchSize: 32, seed: 0, out: "out" },
  {
    help: { lr: `learning rate (default: the optimizer's, ${digitsLrs()})` },
    choices: {
      optimizer: { help: "the optimizer", values: OPTIMIZER_NAMES, default: "rmsprop", refused: minibatchRefusals() },
      scheduler: { help: "the learning-rate schedule", values: SCHEDULER_NAMES, default: "none" },
    },
    files: {
      checkpoint: "save the whole training state there after every epoch (atomically)",
      resume: "continue a run with the same flags from its checkpoint, bit for bit",
    },
  },
);
const optimizerName = parsed.choices.optimizer;
const schedulerName = parsed.choices.scheduler as SchedulerName;
if (!isOptimizerName(optimizerName)) throw new Error(`internal error: unchecked optimizer ${optimizerName}`);
const optimizer = OPTIMIZERS[optimizerName];
const flags = { ...parsed.flags, lr: parsed.given.has("lr") ? parsed.flags.lr : optimizer.digitsLr };
const reference = optimizerName === "rmsprop" && schedulerName === "none" && flags.lr === 1e-3;

/** "rmsprop 0.001, sgd 0.05, ..." for --help. */
function digitsLrs(): string {
  return OPTIMIZER_NAMES.map((name) => `${name} ${OPTIMIZERS[name].digitsLr}`).join(", ");
}

let progress: EpochProgress | null = null;
const files = {
  ...(parsed.files.checkpoint === undefined ? {} : { checkpoint: resolve(process.env.INIT_CWD ?? process.cwd(), parsed.files.checkpoint) }),
  ...(parsed.files.resume === undefined ? {} : { resume: resolve(process.env.INIT_CWD ?? process.cwd(), parsed.files.resume) }),
};
const result = trainDigits({ ...flags, ...files, optimizer: optimizerName, scheduler: schedulerName }, {
  onStart: ({ train, test, steps, model, schedule }) => {
    console.log(`digits: ${train} training and ${test} test images of 8x8 pixels, ${steps} steps per epoch`);
    console.log(model.toString());
    if (!reference) {
      console.log(`optimizer ${optimizer.label}, lr ${flags.lr}, ${schedule || "constant lr"}`);
    }
    progress = new EpochProgress(flags.epochs, steps);
    if (files.resume !== undefined) console.log(`resuming from ${files.resume}`);
  },
  onEpochStart: (epoch) => progress?.start(epoch),
  onStep: (_epoch, step, loss, acc, seen) => progress?.update(step, loss, acc, seen),
  onEpoch: (epoch, e) => {
    progress?.end(
      epoch,
      `loss ${e.trainLoss.toFixed(4)} | train acc ${e.trainAccuracy.toFixed(3)} | test acc ${e.testAccuracy.toFixed(3)} | ${e.ms.toFixed(1)} ms` +
        (schedulerName === "none" ? "" : ` | lr ${e.lr.toExponential(2)}`),
    );
  },
});

// The PyTorch figures are those of the reference protocol: RMSprop, lr 1e-3, constant.
const versus = (text: string) => (reference ? ` (${text})` : "");
console.log(`test accuracy ${result.testAccuracy.toFixed(3)}${versus(`PyTorch 1.13 reference: ${PYTORCH_TEST_ACCURACY}`)}`);
console.log(`last batch loss ${result.lastBatchLoss.toFixed(3)}${versus(`PyTorch: ${PYTORCH_LAST_LOSS}`)}`);
console.log(
  `training time ${result.msPerEpoch.toFixed(1)} ms per epoch, V8 background threads: ${v8PoolSize()}` +
    versus(`PyTorch 1.13, one thread: ${PYTORCH_MS_PER_EPOCH} ms per epoch`),
);

/**
 * The `digits` script runs Node with --v8-pool-size=1: on a 2-core machine, V8's default of four
 * background threads (its optimizing compiler and GC) preempt the training thread while the
 * step's code is being optimized, in the first epochs (examples/README.md).
 */
function v8PoolSize(): string {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  const flag = args.find((a) => a.startsWith("--v8-pool-size="));
  return flag === undefined ? "4 (Node's default)" : flag.slice("--v8-pool-size=".length);
}

const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), flags.out);
mkdirSync(outDir, { recursive: true });
const svgPath = join(outDir, "digits-training.svg");
const curve = (pick: (e: (typeof result.epochs)[number]) => number) =>
  result.epochs.map((e, i) => [result.firstEpoch + i, pick(e)] as [number, number]);
const svg = lineChartSvg({
    title:
      `minigrad MLP on UCI digits: ${optimizer.label} lr ${flags.lr}, batch ${flags.batchSize}` +
      (schedulerName === "none" ? "" : `, ${schedulerName}`),
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
