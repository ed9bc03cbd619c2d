/**
 * The same two-layer MLP (Linear, ReLU, Linear; cross entropy; RMSprop) in minigrad and in
 * TF.js, started from identical weights, so both do the same arithmetic on the same data.
 *
 * RMSprop: lr 1e-3, alpha (TF.js: decay) 0.99, eps 1e-8, no momentum. The two differ in
 * one place: TF.js adds eps inside the square root, minigrad (as PyTorch) after it.
 */
import { Linear, ReLU, Sequential, functional as F } from "@minigrad/nn";
import { RMSprop } from "@minigrad/optim";
import { noGrad, tensor, type Tensor } from "@minigrad/tensor";
import { labelsI32, randnF32, uniformF32 } from "./data";
import { tf, useBackend, type TfBackend } from "./tfjs";

export const LR = 1e-3;
export const ALPHA = 0.99;
export const EPS = 1e-8;

export interface MlpShape {
  input: number;
  hidden: number;
  output: number;
}

/** Weights in torch's layout (weight [out, in]) with torch's default Linear init range. */
export interface MlpWeights {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

export function initWeights({ input, hidden, output }: MlpShape, seed: number): MlpWeights {
  const k1 = 1 / Math.sqrt(input);
  const k2 = 1 / Math.sqrt(hidden);
  return {
    w1: uniformF32(hidden * input, seed, -k1, k1),
    b1: uniformF32(hidden, seed + 1, -k1, k1),
    w2: uniformF32(output * hidden, seed + 2, -k2, k2),
    b2: uniformF32(output, seed + 3, -k2, k2),
  };
}

/** A batch of inputs (standard normal) and class labels. */
export interface Batch {
  x: Float32Array;
  y: Int32Array;
  size: number;
}

export function makeBatch(shape: MlpShape, size: number, seed: number): Batch {
  return { x: randnF32(size * shape.input, seed), y: labelsI32(size, seed + 1, shape.output), size };
}

/** [rows, cols] -> [cols, rows] */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

export interface Trainer<B> {
  /** One optimizer step on a batch (zero grads, forward, backward, step); returns the loss. */
  step(batch: B): number;
  dispose(): void;
}

export interface MgBatch {
  x: Tensor;
  y: Tensor;
}

export function mgBatch(shape: MlpShape, b: Batch): MgBatch {
  return { x: tensor(b.x, { shape: [b.size, shape.input] }), y: tensor(b.y, { shape: [b.size], dtype: "int32" }) };
}

/** minigrad: Sequential(Linear, ReLU, Linear), F.crossEntropy, RMSprop. */
export function mgTrainer(shape: MlpShape, w: MlpWeights): Trainer<MgBatch> {
  const fc1 = new Linear(shape.input, shape.hidden);
  const fc2 = new Linear(shape.hidden, shape.output);
  noGrad(() => {
    fc1.weight.copy_(tensor(w.w1, { shape: [shape.hidden, shape.input] }));
    fc1.bias?.copy_(tensor(w.b1, { shape: [shape.hidden] }));
    fc2.weight.copy_(tensor(w.w2, { shape: [shape.output, shape.hidden] }));
    fc2.bias?.copy_(tensor(w.b2, { shape: [shape.output] }));
  });
  const model = new Sequential(fc1, new ReLU(), fc2);
  const optimizer = new RMSprop(model.parameters(), { lr: LR, alpha: ALPHA, eps: EPS });
  return {
    step({ x, y }) {
      optimizer.zeroGrad();
      const loss = F.crossEntropy(model.forward(x), y);
      loss.backward();
      optimizer.step();
      return loss.item();
    },
    dispose() {},
  };
}

export interface TfBatch {
  x: tf.Tensor2D;
  /** one-hot labels, the form tf.losses.softmaxCrossEntropy takes */
  y: tf.Tensor2D;
}

export async function tfBatch(backend: TfBackend, shape: MlpShape, b: Batch): Promise<TfBatch> {
  await useBackend(backend);
  return tf.tidy(() => ({
    x: tf.tensor2d(b.x, [b.size, shape.input]),
    y: tf.oneHot(tf.tensor1d(b.y, "int32"), shape.output).toFloat() as tf.Tensor2D,
  }));
}

export function disposeTfBatches(batches: readonly TfBatch[]): void {
  for (const b of batches) tf.dispose([b.x, b.y]);
}

/**
 * TF.js: the idiomatic layout (x W + b with W [in, out]), softmaxCrossEntropy (mean over
 * the batch) and tf.train.rmsprop through optimizer.minimize, on `backend`'s variables.
 */
export async function tfTrainer(backend: TfBackend, shape: MlpShape, w: MlpWeights): Promise<Trainer<TfBatch>> {
  await useBackend(backend);
  const variable = (data: Float32Array, dims: number[]): tf.Variable => {
    const init = tf.tensor(data, dims, "float32");
    const v = tf.variable(init);
    init.dispose(); // the variable holds its own reference to the data
    return v;
  };
  const vars = [
    variable(transpose(w.w1, shape.hidden, shape.input), [shape.input, shape.hidden]),
    variable(w.b1, [shape.hidden]),
    variable(transpose(w.w2, shape.output, shape.hidden), [shape.hidden, shape.output]),
    variable(w.b2, [shape.output]),
  ];
  const [w1, b1, w2, b2] = vars;
  const optimizer = tf.train.rmsprop(LR, ALPHA, 0, EPS, false);
  return {
    step({ x, y }) {
      const cost = optimizer.minimize(() => {
        const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
        const logits = tf.add(tf.matMul(h, w2), b2);
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      }, true, vars);
      if (cost === null) throw new Error("tfjs: minimize returned no cost");
      const loss = cost.dataSync()[0];
      cost.dispose();
      return loss;
    },
    dispose() {
      optimizer.dispose();
      tf.dispose(vars);
    },
  };
}
