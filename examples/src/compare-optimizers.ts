/**
 * The digits MLP trained once per optimizer, from the same initial weights and on the same
 * batches (same seed): their loss curves on one chart, and a table of the final figures.
 * Each optimizer runs at its own default lr (lib/optimizers.ts) unless `--lr` sets one for all.
 *
 *   npx pnpm@10 --filter @minigrad/examples compare
 *   npx pnpm@10 --filter @minigrad/examples compare --optimizers sgd,adam --scheduler cosine --epochs 20
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseFlags } from "./lib/cli";
import {
  MINIBATCH_NAMES, OPTIMIZERS, OPTIMIZER_NAMES, SCHEDULER_NAMES, isOptimizerName, minibatchRefusals, type SchedulerName,
} from "./lib/optimizers";
import { PALETTE, lineChartSvg, type Series } from "./lib/plot";
import { writePng } from "./lib/png";
import { trainDigits } from "./lib/train-digits";

const parsed = parseFlags(
  "compare",
  "Train the digits MLP with several optimizers from the same start and plot their losses.",
  { epochs: 10, lr: 1e-3, batchSize: 32, seed: 0, out: "out" },
  {
    help: { lr: "one learning rate for every optimizer (default: each optimizer's own)" },
    choices: {
      optimizers: {
        help: "comma-separated optimizers (default: all but the full-batch rprop)",
        values: OPTIMIZER_NAMES,
        default: MINIBATCH_NAMES.join(","),
        list: true,
        refused: minibatchRefusals(),
      },
      scheduler: { help: "the learning-rate schedule of every run", values: SCHEDULER_NAMES, default: "none" },
    },
  },
);
const { flags, given } = parsed;
const names = parsed.choices.optimizers.split(",").filter(isOptimizerName);
const scheduler = parsed.choices.scheduler as SchedulerName;

/** Points of the loss curve: the mean batch loss of every fifth of an epoch. */
const POINTS_PER_EPOCH = 5;

interface Row {
  name: string;
  label: string;
  lr: number;
  loss: number;
  trainAccuracy: number;
  testAccuracy: number;
  msPerEpoch: number;
  curve: [number, number][];
}

const schedule = scheduler === "none" ? "constant lr" : scheduler;
const epochs = `${flags.epochs} epoch${flags.epochs === 1 ? "" : "s"}`;
console.log(
  `compare: ${names.length} optimizers on the digits MLP, ${epochs}, batch ${flags.batchSize}, ` +
    `seed ${flags.seed}, ${schedule}`,
);
const rows: Row[] = names.map((name) => {
  const entry = OPTIMIZERS[name];
  const lr = given.has("lr") ? flags.lr : entry.digitsLr;
  const curve: [number, number][] = [];
  let block: number[] = [];
  let steps = 1;
  const result = trainDigits(
    { ...flags, lr, optimizer: name, scheduler },
    {
      onStart: (info) => {
        steps = info.steps;
      },
      onStep: (epoch, step, _mean, _acc, _seen, batchLoss) => {
        block.push(batchLoss);
        const blockSize = Math.max(1, Math.floor(steps / POINTS_PER_EPOCH));
        if (block.length === blockSize || step === steps) {
          curve.push([epoch - 1 + step / steps, block.reduce((s, v) => s + v, 0) / block.length]);
          block = [];
        }
      },
    },
  );
  const last = result.epochs[result.epochs.length - 1];
  const row = {
    name, label: entry.label, lr, loss: last.trainLoss, trainAccuracy: last.trainAccuracy,
    testAccuracy: result.testAccuracy, msPerEpoch: result.msPerEpoch, curve,
  };
  console.log(`  ${name.padEnd(8)} done: loss ${row.loss.toFixed(4)}, test acc ${row.testAccuracy.toFixed(3)}`);
  return row;
});

const header = ["optimizer", "lr", "train loss", "train acc", "test acc", "ms/epoch"];
const cells = rows.map((r) => [
  r.label, String(r.lr), r.loss.toFixed(4), r.trainAccuracy.toFixed(3), r.testAccuracy.toFixed(3), r.msPerEpoch.toFixed(1),
]);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ");
console.log(`\nafter ${epochs} (train loss and accuracy: means over the last epoch)`);
console.log(line(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
cells.forEach((c) => console.log(line(c)));

const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), flags.out);
mkdirSync(outDir, { recursive: true });
const svgPath = join(outDir, "compare-optimizers.svg");
const series: Series[] = rows.map((r, i) => ({
  name: `${r.label}, lr ${r.lr}`,
  points: r.curve,
  color: PALETTE[i % PALETTE.length],
  // Every other curve dashed: two optimizers that barely differ (Adam, AdamW) stay both visible.
  ...(i % 2 === 1 ? { dash: "7 4" } : {}),
}));
const svg = lineChartSvg({
  title: `Digits MLP, same init and batches: ${epochs}, batch ${flags.batchSize}, ${schedule}`,
  xLabel: "epoch",
  leftLabel: `training loss (mean of each 1/${POINTS_PER_EPOCH} epoch, log scale)`,
  leftLog: true,
  legend: "outside",
  series,
});
writeFileSync(svgPath, svg);
const pngPath = await writePng(svgPath, svg);
console.log(`\nplot written to ${svgPath}${pngPath ? ` and ${pngPath}` : ""}`);
