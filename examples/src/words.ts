/**
 * A character-level language model learns to spell English words (issue 15), makemore-style:
 * each word of the SCOWL list framed by '.', Embedding(27, 32) -> LSTM(32, 128) -> Linear(128,
 * 27) predicts the next letter, trained with Adam on batches of padded words; then it makes up
 * new words. examples/reference/words.py runs the same model on the same words in PyTorch; its
 * validation losses are printed next to minigrad's.
 *
 *   npx pnpm@10 --filter @minigrad/examples words
 *   npx pnpm@10 --filter @minigrad/examples words --epochs 20 --words 8192 --seed 3
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseFlags } from "./lib/cli";
import { lineChartSvg, type Series } from "./lib/plot";
import { writePng } from "./lib/png";
import { EpochProgress } from "./lib/progress";
import { WORDS_DEFAULTS, trainWords } from "./lib/train-words";

/** What examples/reference/words.py writes (PyTorch 1.13, one thread, seeds 0..4). */
interface Reference {
  torch: string;
  protocol: { epochs: number; wordsPerEpoch: number; lr: number; batchSize: number; embeddingDim: number; hiddenSize: number };
  seeds: number[];
  /** Index 0 is before training, then one per epoch. */
  validationLoss: { mean: number[]; min: number[]; max: number[] };
  msPerEpoch: number;
}

const reference = JSON.parse(readFileSync(new URL("../reference/words.json", import.meta.url), "utf8")) as Reference;

const parsed = parseFlags(
  "words",
  "Train a character-level LSTM language model on 63849 English words with Adam, then sample new words.\n" +
    `The default run (${WORDS_DEFAULTS.epochs} epochs of ${WORDS_DEFAULTS.wordsPerEpoch} words, about ${(
      (WORDS_DEFAULTS.epochs * WORDS_DEFAULTS.wordsPerEpoch) / 57464
    ).toFixed(1)} passes over the training words) takes about 30 s on a quiet 2-core machine:\n` +
    "about 1.5 s per epoch of training and 0.6 s of validation. An epoch is --words words, not a full pass.",
  { epochs: WORDS_DEFAULTS.epochs, lr: WORDS_DEFAULTS.lr, batchSize: WORDS_DEFAULTS.batchSize, seed: WORDS_DEFAULTS.seed, out: "out" },
  {
    help: {
      epochs: `epochs of --words training words each, each followed by a validation pass (default ${WORDS_DEFAULTS.epochs})`,
      batchSize: `words per optimizer step (default ${WORDS_DEFAULTS.batchSize})`,
      seed: `seed of the init, the order of the training words and the samples (default ${WORDS_DEFAULTS.seed}; the split is fixed)`,
    },
    counts: {
      words: { help: "training words per epoch (the next ones of a shuffled pass, reshuffled when it runs out)", default: WORDS_DEFAULTS.wordsPerEpoch },
      samples: { help: "new words to sample at the end", default: WORDS_DEFAULTS.samples },
    },
  },
);
const { flags } = parsed;
const settings = { ...flags, wordsPerEpoch: parsed.counts.words, samples: parsed.counts.samples };
const p = reference.protocol;
// PyTorch's figures hold for this run when the protocol is the same (any seed: they are a mean over seeds).
const comparable = settings.wordsPerEpoch === p.wordsPerEpoch && settings.lr === p.lr && settings.batchSize === p.batchSize;
const seedRange = `seeds ${reference.seeds[0]}-${reference.seeds[reference.seeds.length - 1]}`;
const versus = (epoch: number): string => {
  const v = reference.validationLoss;
  if (!comparable || epoch >= v.mean.length) return "";
  return ` (PyTorch ${v.mean[epoch].toFixed(4)}, ${v.min[epoch].toFixed(3)}-${v.max[epoch].toFixed(3)})`;
};

let progress: EpochProgress | null = null;
const result = trainWords(settings, {
  onStart: ({ train, validation, steps, model, initialLoss }) => {
    console.log(
      `words: ${train} training and ${validation} validation words; ${settings.wordsPerEpoch} words per epoch, ` +
        `${steps} steps of ${settings.batchSize}, Adam lr ${settings.lr}`,
    );
    console.log(model.toString());
    console.log(
      `validation loss per letter, before training ${initialLoss.toFixed(4)} (uniform: ln 27 = ${Math.log(27).toFixed(4)})${versus(0)}`,
    );
    if (comparable) console.log(`in parentheses: PyTorch ${reference.torch}, same model and words, mean and range over ${seedRange}`);
    else console.log(`(not the reference protocol: PyTorch's figures are for --words ${p.wordsPerEpoch} --lr ${p.lr} --batch-size ${p.batchSize})`);
    progress = new EpochProgress(flags.epochs, steps, { unit: "words", accuracy: false });
  },
  onEpochStart: (epoch) => progress?.start(epoch),
  onStep: (_epoch, step, loss, seen) => progress?.update(step, loss, NaN, seen),
  onEpoch: (epoch, e) => {
    progress?.end(epoch, `train loss ${e.trainLoss.toFixed(4)} | ${(e.ms / 1000).toFixed(1)} s`);
    console.log(`  validation loss ${e.validationLoss.toFixed(4)}${versus(epoch)} | validation ${(e.validationMs / 1000).toFixed(1)} s`);
  },
});

const last = result.epochs[result.epochs.length - 1];
console.log(`validation loss ${result.initialLoss.toFixed(4)} -> ${last.validationLoss.toFixed(4)}${versus(result.epochs.length)}`);
const wordsPerSecond = (settings.wordsPerEpoch / result.msPerEpoch) * 1000;
console.log(
  `training time ${(result.msPerEpoch / 1000).toFixed(2)} s per epoch (${Math.round(wordsPerSecond)} words/s)` +
    (comparable ? ` (PyTorch ${reference.torch}, one thread, Debian's build: ${(reference.msPerEpoch / 1000).toFixed(2)} s)` : ""),
);

console.log(`\n${result.samples.length} new words (seed ${flags.seed}; * = already in the word list, ${result.novel} are not):`);
const shown = result.samples.map((w, i) => (result.inWordList[i] ? `${w}*` : w));
const columns = 5;
const widths = Array.from({ length: columns }, (_, c) => Math.max(0, ...shown.filter((_, i) => i % columns === c).map((w) => w.length)) + 2);
for (let i = 0; i < shown.length; i += columns) {
  console.log("  " + shown.slice(i, i + columns).map((w, c) => w.padEnd(widths[c])).join("").trimEnd());
}

const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), flags.out);
mkdirSync(outDir, { recursive: true });
const svgPath = join(outDir, "words-loss.svg");
const series: Series[] = [
  { name: "minigrad train", points: result.epochs.map((e, i) => [i + 1, e.trainLoss] as [number, number]), color: "#d62728" },
  {
    name: "minigrad validation",
    points: [[0, result.initialLoss] as [number, number], ...result.epochs.map((e, i) => [i + 1, e.validationLoss] as [number, number])],
    color: "#1f77b4",
  },
];
if (comparable) {
  const ref = reference.validationLoss.mean.slice(0, result.epochs.length + 1);
  series.push({ name: `PyTorch validation (${reference.seeds.length} seeds)`, points: ref.map((v, i) => [i, v] as [number, number]), color: "#2ca02c", dash: "6 4" });
}
const svg = lineChartSvg({
  title: `minigrad LSTM on words: Adam lr ${flags.lr}, ${settings.wordsPerEpoch} words/epoch`,
  xLabel: "epoch",
  leftLabel: "cross entropy per letter",
  series,
});
writeFileSync(svgPath, svg);
const pngPath = await writePng(svgPath, svg);
console.log(`\nplot written to ${svgPath}${pngPath ? ` and ${pngPath}` : ""}`);
