import { isGradEnabled } from "../autograd/grad-mode";
import { twice } from "../autograd/node";
import { record } from "../autograd/record";
import { scatterAdd } from "./gather";
import { isFloating, type FloatArray, type TypedArray } from "../dtype";
import { ArgumentError, DTypeError, ShapeError, fmtShape } from "../errors";
import { normalizeDim } from "../shape";
import { Tensor, checkAlive } from "../tensor";
import { clone } from "./movement";

/**
 * torch.index_select: the slices of `x` at `index` (int32, 0-d or 1-D) along `dim`, copied
 * into a new tensor whose size along dim is the number of indices (repeats allowed):
 *   out[..., j, ...] = x[..., index[j], ...]
 * Backward adds each gradient slice back at its index (index_add into zeros), so a
 * repeated index collects the sum.
 *
 * Viewed as (outer, size, inner) around dim, a slice is `inner` contiguous elements: a
 * batch of rows (dim 0) is one copy per row.
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkAlive("indexSelect", x);
  const op = "indexSelect";
  if (!(index instanceof Tensor) || index.dtype !== "int32") {
    throw new DTypeError(`${op}: expected an int32 index tensor, got ${index instanceof Tensor ? index.dtype : typeof index}`);
  }
  if (index.ndim > 1) {
    throw new ShapeError(`${op}: Index is supposed to be a vector (0-d or 1-D), got shape ${fmtShape(index.shape)}`);
  }
  const d = normalizeDim(op, dim, Math.max(x.ndim, 1));
  const size = x.ndim === 0 ? 1 : x.shape[d];
  const indices = index.contiguous();
  const idx = indices._data as Int32Array;
  const at = indices.offset;
  const k = indices.numel;
  for (let j = 0; j < k; j++) {
    const i = idx[at + j];
    if (i < 0 || i >= size) {
      throw new ArgumentError(`${op}: index out of range in self (index ${i}, dimension ${dim} of size ${size})`);
    }
  }
  const outShape = x.ndim === 0 ? [] : x.shape.map((s, i) => (i === d ? k : s));
  const src = x.isContiguous ? x : clone(x);
  const inner = x.shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const outer = x.shape.slice(0, d).reduce((a, b) => a * b, 1);
  const out = Tensor._uninitialized(outShape, x.dtype);
  gatherSlices(out._data, src._data, src.offset, idx, at, k, outer, size, inner);

  const inShape = x.shape, dtype = x.dtype;
  if (!isFloating(dtype)) return out;
  return record(out, "IndexSelectBackward", [x], twice((g) => {
    if (isGradEnabled()) {
      // createGraph: the same sum in recorded ops, a scatterAdd of g at the index spread over g's shape
      if (inShape.length === 0) return [g.sum().reshape([])];
      const spread = outShape.map((s, i) => (i === d ? s : 1));
      const at = indices.reshape(spread).expand(outShape).contiguous();
      return [scatterAdd(Tensor.empty(inShape, dtype), d, at, g)];
    }
    const grad = Tensor.empty(inShape, dtype);
    const gc = g.contiguous();
    scatterAddSlices(grad._data as FloatArray, gc._data as FloatArray, gc.offset, idx, at, k, outer, size, inner);
    return [grad];
  }));
}

/**
 * out[o, j, :] = src[o, idx[j], :] for every o < outer, j < k (slices of `inner` elements).
 * float32 (a batch of features) gets a loop of its own, so V8 compiles its loads for one
 * type (~4x faster than a loop that sees every dtype, or than a subarray + set per slice).
 */
function gatherSlices(
  out: TypedArray, src: TypedArray, srcOffset: number, idx: Int32Array, at: number,
  k: number, outer: number, size: number, inner: number,
): void {
  if (out instanceof Float32Array && src instanceof Float32Array) {
    gatherFloat32(out, src, srcOffset, idx, at, k, outer, size, inner);
    return;
  }
  for (let o = 0, dst = 0; o < outer; o++) {
    const base = srcOffset + o * size * inner;
    for (let j = 0; j < k; j++, dst += inner) {
      const from = base + idx[at + j] * inner;
      for (let t = 0; t < inner; t++) out[dst + t] = src[from + t];
    }
  }
}

function gatherFloat32(
  out: Float32Array, src: Float32Array, srcOffset: number, idx: Int32Array, at: number,
  k: number, outer: number, size: number, inner: number,
): void {
  for (let o = 0, dst = 0; o < outer; o++) {
    const base = srcOffset + o * size * inner;
    for (let j = 0; j < k; j++, dst += inner) {
      const from = base + idx[at + j] * inner;
      for (let t = 0; t < inner; t++) out[dst + t] = src[from + t];
    }
  }
}

/** grad[o, idx[j], :] += g[o, j, :]: the gather's backward (grad starts at zero). */
function scatterAddSlices(
  grad: FloatArray, g: FloatArray, gOffset: number, idx: Int32Array, at: number,
  k: number, outer: number, size: number, inner: number,
): void {
  for (let o = 0, from = gOffset; o < outer; o++) {
    const base = o * size * inner;
    for (let j = 0; j < k; j++, from += inner) {
      const to = base + idx[at + j] * inner;
      for (let t = 0; t < inner; t++) grad[to + t] += g[from + t];
    }
  }
}
