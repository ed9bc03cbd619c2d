import {
  ArgumentError, DTypeError, ShapeError, Tensor, isFloating, softmaxRow, softmaxRows, softmaxScratch, type FloatArray, type TypedArray,
} from "@minigrad/tensor";

/** How a loss combines its per-element values, as torch's `reduction`. */
export type Reduction = "mean" | "sum" | "none";

export function checkReduction(reduction: unknown): Reduction {
  if (reduction === "mean" || reduction === "sum" || reduction === "none") return reduction;
  throw new ArgumentError(`${String(reduction)} is not a valid value for reduction`);
}

/** Apply a reduction to per-element losses (composite: autograd derives its backward). */
export function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === "mean") return loss.mean();
  if (reduction === "sum") return loss.sum();
  return loss;
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** The values in row-major order: a zero-copy window when contiguous, else a copy. */
export function dense(t: Tensor): TypedArray {
  if (t.isContiguous) return t._data.subarray(t.offset, t.offset + t.numel);
  return t.toTypedArray();
}

export function checkFloating(op: string, name: string, t: Tensor): void {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected ${name} to be a Tensor`);
  if (!isFloating(t.dtype)) throw new DTypeError(`${op}: expected ${name} to be a floating point tensor, got ${t.dtype}`);
}

/**
 * The layout of a class-dim op (nll, cross entropy): input (C), (N, C) or (N, C, d1, ...),
 * with classes along dim 1. Element (n, c, s) sits at n*C*S + c*S + s, and row r = n*S + s
 * is also the flat index of its target in (N, d1, ...).
 */
export interface ClassLayout {
  batch: number;
  classes: number;
  /** Product of the dims after the class dim (1 for 1-D and 2-D inputs). */
  inner: number;
  /** batch * inner: one loss per row. */
  rows: number;
  /** The shape of the targets and of an unreduced loss. */
  targetShape: number[];
}

export function classLayout(op: string, input: Tensor): ClassLayout {
  checkFloating(op, "input", input);
  if (input.ndim === 0) throw new ShapeError(`${op}: input must have at least 1 dimension (the classes), got a 0-d tensor`);
  const unbatched = input.ndim === 1;
  const batch = unbatched ? 1 : input.shape[0];
  const classes = unbatched ? input.shape[0] : input.shape[1];
  const inner = input.shape.slice(2).reduce((p, s) => p * s, 1);
  const targetShape = unbatched ? [] : [input.shape[0], ...input.shape.slice(2)];
  return { batch, classes, inner, rows: batch * inner, targetShape };
}

/** Check integer class-index targets against the layout; returns them as an Int32Array. */
export function classTargets(op: string, input: Tensor, target: Tensor, layout: ClassLayout): Int32Array {
  if (!(target instanceof Tensor)) throw new TypeError(`${op}: expected target to be a Tensor`);
  if (target.dtype !== "int32") {
    throw new DTypeError(`${op}: expected int32 class indices as target, got ${target.dtype}`);
  }
  const want = layout.targetShape;
  if (target.ndim !== want.length || target.shape.some((s, i) => s !== want[i])) {
    throw new ShapeError(
      `${op}: expected target of shape ${fmtShape(want)} for input of shape ${fmtShape(input.shape)}, ` +
        `got ${fmtShape(target.shape)}`,
    );
  }
  return dense(target) as Int32Array;
}

/** Class weights: a float tensor of one value per class, as Float64 for the loops. */
export function classWeights(op: string, weight: Tensor | null | undefined, classes: number): Float64Array | null {
  if (weight === undefined || weight === null) return null;
  checkFloating(op, "weight", weight);
  if (weight.ndim !== 1 || weight.numel !== classes) {
    throw new ShapeError(
      `${op}: weight tensor should be defined either for all ${classes} classes or no classes but got weight ` +
        `tensor of shape: ${fmtShape(weight.shape)}`,
    );
  }
  return Float64Array.from(dense(weight));
}

/** The target of row r, or throws if it is neither a class nor the ignored index. */
export function checkedTarget(op: string, t: number, classes: number, ignoreIndex: number): number {
  if (t !== ignoreIndex && (t < 0 || t >= classes)) throw new ArgumentError(`${op}: Target ${t} is out of bounds.`);
  return t;
}

/**
 * log-softmax over the class dim of a class layout, into a new contiguous tensor of the
 * input's dtype. Stable for any scale: the row max is subtracted before exp.
 */
export function logSoftmaxRows(input: Tensor, { batch, classes, inner }: ClassLayout): Tensor {
  const out = Tensor.empty(input.shape, input.dtype);
  const o = out._data as FloatArray;
  const x = dense(input);
  // classes last (N, C): contiguous rows, the case @minigrad/tensor's kernels (wasm) cover
  if (inner === 1) {
    softmaxRows(o, x as FloatArray, batch, classes, true);
    return out;
  }
  const scratch = softmaxScratch(classes);
  // float32 rows round like torch's kernel (see @minigrad/tensor's softmaxRow).
  const single = input.dtype === "float32";
  for (let n = 0; n < batch; n++) {
    for (let s = 0; s < inner; s++) softmaxRow(o, x, n * classes * inner + s, classes, inner, true, single, scratch);
  }
  return out;
}

/** Index of class 0 of row r (row r = n * inner + s). */
export function rowBase(r: number, { classes, inner }: ClassLayout): number {
  const n = Math.floor(r / inner);
  return n * classes * inner + (r - n * inner);
}

/** The loss tensor: per-row losses ('none'), their sum, or the sum over the denominator. */
export function reduced(
  losses: Float64Array,
  total: number,
  denom: number,
  reduction: Reduction,
  layout: ClassLayout,
  input: Tensor,
): Tensor {
  if (reduction === "none") {
    const out = Tensor.empty(layout.targetShape, input.dtype);
    out._data.set(losses);
    return out;
  }
  const out = Tensor.empty([], input.dtype);
  out._data[0] = reduction === "mean" ? total / denom : total;
  return out;
}
