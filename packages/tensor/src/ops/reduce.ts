import { twice } from "../autograd/node";
import { record } from "../autograd/record";
import { isFloating, type FloatArray } from "../dtype";
import { DTypeError, ShapeError, fmtShape } from "../errors";
import { argmaxRows, reduceInto, type ReduceKind } from "../kernels/reduce";
import { softmaxRows } from "../kernels/softmax";
import { contiguousStrides, mapDims, normalizeDim, normalizeDims, numelOf } from "../shape";
import { Tensor, checkAlive } from "../tensor";
import { cast, clone, expand, permute, reshape } from "./movement";

/**
 * Reductions. sum/amax/amin are primitives; mean and var are composites of them.
 * softmax/logSoftmax are primitives too: one stable kernel forward, one formula backward.
 */

type Dims = number | readonly number[] | undefined;

/** The shape kept by a reduction with keepdim (reduced dims set to 1). */
function keptShape(shape: readonly number[], dims: readonly number[]): number[] {
  return mapDims(shape.length, (i) => (dims.includes(i) ? 1 : shape[i]));
}

/** max/min/argmax have no identity: a reduced dim must not be empty (other dims may be, as torch). */
function checkNonEmpty(name: string, x: Tensor, dim: Dims | number, dims: readonly number[]): void {
  if (x.numel !== 0) return;
  if (dim === undefined) {
    throw new ShapeError(
      `${name}: Expected reduction dim to be specified for input.numel() == 0 (shape ${fmtShape(x.shape)}). ` +
        "Specify the reduction dim with the 'dim' argument.",
    );
  }
  for (const d of dims) {
    if (x.shape[d] === 0) throw new ShapeError(`${name}: Expected reduction dim ${d} to have non-zero size (shape ${fmtShape(x.shape)}).`);
  }
}

/** Number of elements a reduction over dims combines (a 0-d tensor's dim counts as size 1). */
function reducedCount(x: Tensor, dims: readonly number[]): number {
  return x.ndim === 0 ? 1 : dims.reduce((p, d) => p * x.shape[d], 1);
}

function reduce(kind: ReduceKind, name: string, x: Tensor, dim: Dims, keepdim: boolean): Tensor {
  checkAlive(name, x);
  const dims = normalizeDims(name, dim, x.ndim);
  const kept = keptShape(x.shape, dims);
  if (kind !== "sum") checkNonEmpty(name, x, dim, dims);
  const acc = accumulator(numelOf(kept));
  const strides = contiguousStrides(kept);
  const accStrides = mapDims(kept.length, (i) => (dims.includes(i) ? 0 : strides[i]));
  reduceInto(kind, acc, accStrides, x);
  const outShape = keepdim ? kept : x.shape.filter((_, i) => !dims.includes(i));
  // sum counts bools (torch gives int64, minigrad int32); amax/amin of bools stay bool, as torch.
  const out = Tensor.empty(outShape, x.dtype === "bool" && kind === "sum" ? "int32" : x.dtype);
  if (out.dtype === "int32") checkInt32Sums(name, x, acc, out.numel);
  out._data.set(acc);
  return out;
}

/**
 * torch sums integers into int64; minigrad has no int64, so an int32 (or bool) sum that does not
 * fit int32 throws instead of wrapping (the float64 accumulator holds it exactly up to 2^53).
 */
function checkInt32Sums(name: string, x: Tensor, acc: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = acc[i];
    if (v > 2147483647 || v < -2147483648) {
      throw new DTypeError(
        `${name}: the sum ${v} of an ${x.dtype} tensor of shape ${fmtShape(x.shape)} does not fit int32 ` +
          "(torch gives int64, which minigrad does not have): cast to float64 first (x.double().sum())",
      );
    }
  }
}

let accumulators = new Float64Array(64);

/**
 * Float64 slots for `reduce`, reused across calls (reduceInto calls nothing back, and the
 * slots are copied into the output before the next use): a fresh Float64Array per reduction
 * cost ~1 us, more than summing a bias gradient.
 */
function accumulator(n: number): Float64Array {
  if (accumulators.length < n) accumulators = new Float64Array(Math.max(n, 2 * accumulators.length));
  return accumulators.subarray(0, n);
}

/** Sum over dims (all by default); backward spreads the gradient back: an expand. */
export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const out = reduce("sum", "sum", x, dim, keepdim);
  const inShape = x.shape;
  const kept = keptShape(inShape, normalizeDims("sum", dim, x.ndim));
  return record(out, "SumBackward", [x], twice((g) => [expand(reshape(g, kept), inShape)]));
}

/** Sum a broadcast gradient back down to `shape` (the backward of expand). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  if (dims.length === 0) return reshape(g, shape);
  return reshape(sum(g, dims, true), shape);
}

/** max over dims; the gradient is shared evenly among the tied maxima (as torch.amax). */
export function amax(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extremum("max", "amax", x, dim, keepdim);
}

export function amin(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extremum("min", "amin", x, dim, keepdim);
}

function extremum(kind: "max" | "min", name: string, x: Tensor, dim: Dims, keepdim: boolean): Tensor {
  const out = reduce(kind, name, x, dim, keepdim);
  const dims = normalizeDims(name, dim, x.ndim);
  const kept = keptShape(x.shape, dims);
  const backward = name === "amax" ? "AmaxBackward" : "AminBackward";
  return record(out, backward, [x], twice((g, [x, out]) => {
    const hit = cast(x.eq(expand(reshape(out, kept), x.shape)), g.dtype);
    const count = sum(hit, dims, true);
    return [hit.div(count).mul(expand(reshape(g, kept), x.shape))];
  }), [x, out]);
}

export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  checkAlive("mean", x);
  if (!isFloating(x.dtype)) {
    throw new DTypeError(`mean: could not infer output dtype. Input dtype must be floating point, got ${x.dtype}`);
  }
  const dims = normalizeDims("mean", dim, x.ndim);
  return sum(x, dims, keepdim).div(reducedCount(x, dims));
}

/** Variance over dims: sum((x - mean)^2) / (n - 1), or / n when unbiased is false. */
export function variance(x: Tensor, dim?: Dims, keepdim = false, unbiased = true): Tensor {
  checkAlive("var", x);
  const dims = normalizeDims("var", dim, x.ndim);
  const n = reducedCount(x, dims);
  const centered = x.sub(mean(x, dims, true));
  return sum(centered.mul(centered), dims, keepdim).div(Math.max(unbiased ? n - 1 : n, 0));
}

/** Index of the largest value along dim (of the flattened tensor when dim is omitted). */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  checkAlive("argmax", x);
  if (dim === undefined) {
    const flat = argmax(reshape(x.detach(), [-1]), 0);
    return keepdim ? reshape(flat, mapDims(x.ndim, () => 1)) : flat;
  }
  const d = normalizeDim("argmax", dim, x.ndim);
  checkNonEmpty("argmax", x, dim, [d]);
  const n = x.ndim === 0 ? 1 : x.shape[d];
  const out = Tensor.empty(x.shape.filter((_, i) => i !== d), "int32");
  if (out.numel === 0) return keepdim ? reshape(out, keptShape(x.shape, [d])) : out;
  const rows = moveLastContiguous(x.detach(), d);
  argmaxRows(out._data as Int32Array, rows._data, rows.numel / n, n);
  return keepdim ? reshape(out, keptShape(x.shape, [d])) : out;
}

/** The order of dims that moves d last and keeps the others in order. */
function lastOrder(ndim: number, d: number): number[] {
  return [...Array.from({ length: ndim }, (_, i) => i).filter((i) => i !== d), d];
}

/** A contiguous copy of x with dim d moved last, so kernels can work row by row. */
function moveLastContiguous(x: Tensor, d: number): Tensor {
  const moved = x.ndim === 0 || d === x.ndim - 1 ? x : permute(x, lastOrder(x.ndim, d));
  return moved.isContiguous && moved.offset === 0 && moved._data.length === moved.numel ? moved : clone(moved);
}

function softmaxLike(x: Tensor, dim: number, log: boolean): Tensor {
  checkAlive(log ? "logSoftmax" : "softmax", x);
  const xf = isFloating(x.dtype) ? x : cast(x, "float32");
  const d = normalizeDim(log ? "logSoftmax" : "softmax", dim, x.ndim);
  const rows = moveLastContiguous(xf.detach(), d);
  const n = x.ndim === 0 ? 1 : x.shape[d];
  const out = Tensor.empty(rows.shape, xf.dtype);
  if (rows.numel > 0) softmaxRows(out._data as FloatArray, rows._data as FloatArray, rows.numel / n, n, log);
  // Rows were computed with dim d last: put it back (one copy, so the output owns its storage).
  const order = lastOrder(x.ndim, d);
  const inverse = mapDims(order.length, (i) => order.indexOf(i));
  const y = x.ndim === 0 || d === x.ndim - 1 ? out : clone(permute(out, inverse));
  return log
    ? record(y, "LogSoftmaxBackward", [xf], twice((g, [y]) => [g.sub(y.exp().mul(sum(g, d, true)))]), [y])
    : record(y, "SoftmaxBackward", [xf], twice((g, [y]) => [y.mul(g.sub(sum(g.mul(y), d, true)))]), [y]);
}

/** softmax along dim, stable for any scale; d/dx: y * (g - sum(g * y)). */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxLike(x, dim, false);
}

/** log(softmax(x)) along dim, without the round trip through exp; d/dx: g - softmax * sum(g). */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return softmaxLike(x, dim, true);
}
