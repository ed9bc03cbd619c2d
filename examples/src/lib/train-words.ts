import { Embedding, LSTM, Linear, Module, functional as F } from "@minigrad/nn";
import { Adam } from "@minigrad/optim";
import { Generator, Tensor, manualSeed, noGrad, tidy } from "@minigrad/tensor";
import { loadWords } from "./data";

/** '.' starts and ends every word (makemore's framing); 'a'..'z' are 1..26. */
export const VOCAB = ".abcdefghijklmnopqrstuvwxyz";
/** The target of padded positions: crossEntropy skips it (`ignoreIndex`). */
export const PAD = -1;
/** The split does not depend on `--seed`: every run is validated on the same words. */
export const SPLIT_SEED = 0;
/** One word in ten is a validation word. */
export const VALIDATION_EVERY = 10;

/** The protocol's settings (examples/reference/words.py runs the same in PyTorch). */
export interface WordsSettings {
  epochs: number;
  /** Training words per epoch, taken in order from a shuffled pass over the training words (reshuffled when one runs out). */
  wordsPerEpoch: number;
  lr: number;
  batchSize: number;
  seed: number;
  /** Size of each letter's embedding. */
  embeddingDim?: number;
  /** Size of the LSTM's hidden state. */
  hiddenSize?: number;
  /** How many new words to sample at the end. */
  samples?: number;
}

/** Train and validation words, split once by a generator seeded with `SPLIT_SEED`. */
export interface WordSplit {
  train: string[];
  validation: string[];
}

/**
 * Shuffle the word list with `Generator(seed).randperm` and make every `VALIDATION_EVERY`-th
 * word of the shuffled list (positions 0, 10, 20, ...) a validation word; each part keeps the
 * shuffled order.
 */
export function splitWords(words: readonly string[], seed = SPLIT_SEED): WordSplit {
  const order = new Generator(seed).randperm(words.length);
  const train: string[] = [];
  const validation: string[] = [];
  order.forEach((i, k) => (k % VALIDATION_EVERY === 0 ? validation : train).push(words[i]));
  return { train, validation };
}

/** A batch of words as (batch, longest + 1) int32 inputs ('.' then the letters) and targets (the letters then '.', then PAD). */
export interface WordBatch {
  input: Tensor;
  target: Tensor;
  /** Positions with a target (letters plus one end token per word). */
  tokens: number;
}

/** Encode `words` as one batch, padded to the longest: inputs with '.', targets with PAD. */
export function encodeBatch(words: readonly string[]): WordBatch {
  const t = Math.max(...words.map((w) => w.length)) + 1;
  const input = new Int32Array(words.length * t); // padding positions read '.', their targets are PAD
  const target = new Int32Array(words.length * t).fill(PAD);
  let tokens = 0;
  words.forEach((word, b) => {
    for (let j = 0; j < word.length; j++) {
      const id = VOCAB.indexOf(word[j]);
      if (id < 1) throw new Error(`encodeBatch: "${word}" has a character outside a-z`);
      input[b * t + j + 1] = id;
      target[b * t + j] = id;
    }
    target[b * t + word.length] = 0;
    tokens += word.length + 1;
  });
  return { input: new Tensor(input, [words.length, t]), target: new Tensor(target, [words.length, t]), tokens };
}

/** Embedding -> LSTM -> Linear over the 27 tokens: the next letter's logits at every position. */
export class CharLSTM extends Module {
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  readonly head: Linear;

  constructor(embeddingDim: number, hiddenSize: number) {
    super();
    this.embedding = new Embedding(VOCAB.length, embeddingDim);
    this.lstm = new LSTM(embeddingDim, hiddenSize, { batchFirst: true });
    this.head = new Linear(hiddenSize, VOCAB.length);
  }

  /** `input` (batch, seq) token ids, optional LSTM state: logits (batch, seq, 27) and the new state. */
  step(input: Tensor, state?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    const [out, next] = this.lstm.forward(this.embedding.forward(input), state);
    return [this.head.forward(out), next];
  }

  forward(input: Tensor): Tensor {
    return this.step(input)[0];
  }
}

/** Mean cross entropy per target token, and the sum, of one batch (padding ignored). */
function batchLoss(model: CharLSTM, batch: WordBatch, reduction: "mean" | "sum"): Tensor {
  const logits = model.forward(batch.input);
  return F.crossEntropy(logits.reshape([-1, VOCAB.length]), batch.target.reshape([-1]), { ignoreIndex: PAD, reduction });
}

/**
 * The mean loss per token over `words`, without gradients, in batches of `batchSize` words
 * of similar length (sorted, so that little of each batch is padding; the mean is the same).
 */
export function evaluate(model: CharLSTM, words: readonly string[], batchSize = 512): number {
  const sorted = [...words].sort((a, b) => a.length - b.length);
  let sum = 0;
  let tokens = 0;
  noGrad(() => {
    for (let i = 0; i < sorted.length; i += batchSize) {
      const batch = encodeBatch(sorted.slice(i, i + batchSize));
      sum += tidy(() => batchLoss(model, batch, "sum").item());
      tokens += batch.tokens;
    }
  });
  return sum / tokens;
}

/**
 * `count` new words, one token at a time from the model's softmax (temperature 1) with draws
 * from `generator`, each until the end token or `maxLength` letters. A word has a letter at
 * least: an end token drawn first (likely only from a barely trained model) starts the word
 * over, up to 100 times.
 */
export function sampleWords(model: CharLSTM, count: number, generator: Generator, maxLength = 24): string[] {
  const sampleOne = (): string =>
    tidy(() => {
      let word = "";
      let token = 0;
      let state: [Tensor, Tensor] | null = null;
      while (word.length < maxLength) {
        const [logits, next]: [Tensor, [Tensor, Tensor]] = model.step(new Tensor(new Int32Array([token]), [1, 1]), state);
        state = next;
        const probs = F.softmax(logits.reshape([VOCAB.length]), 0).storage;
        token = draw(probs, generator.nextDouble());
        if (token === 0) break;
        word += VOCAB[token];
      }
      return word;
    });
  const words: string[] = [];
  noGrad(() => {
    for (let n = 0; n < count; n++) {
      let word = sampleOne();
      for (let tries = 1; word === "" && tries < 100; tries++) word = sampleOne();
      words.push(word);
    }
  });
  return words;
}

/** The index where the cumulative sum of `probs` passes `u` in [0, 1). */
function draw(probs: ArrayLike<number>, u: number): number {
  let acc = 0;
  for (let i = 0; i < probs.length; i++) {
    acc += probs[i];
    if (u < acc) return i;
  }
  return probs.length - 1; // rounding left the sum just under u
}

/** One epoch's figures. */
export interface WordsEpoch {
  /** Mean loss per token over the epoch's training words (as they were when their batch trained). */
  trainLoss: number;
  /** Mean loss per token over the validation words after the epoch. */
  validationLoss: number;
  /** Training time: batching, forward, loss, backward and the step (validation left out). */
  ms: number;
  /** Time of the validation pass. */
  validationMs: number;
}

/** What the training loop reports. */
export interface WordsHooks {
  onStart?: (info: { train: number; validation: number; steps: number; model: CharLSTM; initialLoss: number }) => void;
  onEpochStart?: (epoch: number) => void;
  onStep?: (epoch: number, step: number, meanLoss: number, seen: number) => void;
  onEpoch?: (epoch: number, summary: WordsEpoch) => void;
}

export interface WordsResult {
  /** The validation loss before training (about ln 27 = 3.30). */
  initialLoss: number;
  epochs: WordsEpoch[];
  samples: string[];
  /** For each sample, whether it is in the word list (train or validation). */
  inWordList: boolean[];
  /** How many samples are not in the word list. */
  novel: number;
  msPerEpoch: number;
}

/** The defaults of the example and of examples/reference/words.py. */
export const WORDS_DEFAULTS = { epochs: 10, wordsPerEpoch: 4096, lr: 1e-2, batchSize: 64, seed: 0, embeddingDim: 32, hiddenSize: 128, samples: 20 } as const;

/**
 * The character-level language model trained with Adam on minibatches of padded words:
 * layers initialised from `manualSeed(seed)`, training words drawn in the order of
 * `Generator(seed + 1)`'s permutations, samples drawn from `Generator(seed + 2)`.
 */
export function trainWords(settings: WordsSettings, hooks: WordsHooks = {}): WordsResult {
  const { embeddingDim = WORDS_DEFAULTS.embeddingDim, hiddenSize = WORDS_DEFAULTS.hiddenSize, samples = WORDS_DEFAULTS.samples } = settings;
  const all = loadWords();
  const { train, validation } = splitWords(all);
  manualSeed(settings.seed);
  const model = new CharLSTM(embeddingDim, hiddenSize);
  const optimizer = new Adam(model.parameters(), { lr: settings.lr });
  const shuffler = new Generator(settings.seed + 1);
  const steps = Math.ceil(settings.wordsPerEpoch / settings.batchSize);
  const initialLoss = evaluate(model, validation);
  hooks.onStart?.({ train: train.length, validation: validation.length, steps, model, initialLoss });

  let order = shuffler.randperm(train.length);
  let next = 0;
  const nextWords = (count: number): string[] => {
    const words: string[] = [];
    while (words.length < count) {
      if (next === order.length) {
        order = shuffler.randperm(train.length);
        next = 0;
      }
      words.push(train[order[next++]]);
    }
    return words;
  };

  const epochs: WordsEpoch[] = [];
  for (let epoch = 1; epoch <= settings.epochs; epoch++) {
    hooks.onEpochStart?.(epoch);
    let ms = 0;
    let lossSum = 0;
    let tokens = 0;
    let seen = 0;
    for (let step = 0; step < steps; step++) {
      const started = performance.now();
      const size = Math.min(settings.batchSize, settings.wordsPerEpoch - seen);
      const batch = encodeBatch(nextWords(size));
      const loss = tidy(() => {
        optimizer.zeroGrad();
        const l = batchLoss(model, batch, "mean");
        l.backward();
        optimizer.step();
        return l.item();
      });
      ms += performance.now() - started;
      lossSum += loss * batch.tokens;
      tokens += batch.tokens;
      seen += size;
      hooks.onStep?.(epoch, step + 1, lossSum / tokens, seen);
    }
    const started = performance.now();
    const validationLoss = evaluate(model, validation);
    const summary = { trainLoss: lossSum / tokens, validationLoss, ms, validationMs: performance.now() - started };
    epochs.push(summary);
    hooks.onEpoch?.(epoch, summary);
  }
  const sampled = sampleWords(model, samples, new Generator(settings.seed + 2));
  const known = new Set(all);
  const inWordList = sampled.map((w) => known.has(w));
  return {
    initialLoss,
    epochs,
    samples: sampled,
    inWordList,
    novel: inWordList.filter((k) => !k).length,
    msPerEpoch: epochs.reduce((s, e) => s + e.ms, 0) / Math.max(epochs.length, 1),
  };
}
