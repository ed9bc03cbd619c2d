import { noGrad } from "../autograd/grad-mode";
import { twice } from "../autograd/node";
import { record } from "../autograd/record";
import { isFloating, type TypedArray } from "../dtype";
import { ArgumentError, DTypeError, ShapeError, fmtShape } from "../errors";
import { contiguousStrides, normalizeDim } from "../shape";
import { Tensor, checkAlive } from "../tensor";
import { clone } from "./movement";

/**
 * torch.gather and torch.scatter_add along one dim, with an int32 index of the same rank:
 *   gather:      out[i][j][k] = x[i][index[i][j][k]][k]             (dim = 1)
 *   scatterAdd:  out = self; out[i][index[i][j][k]][k] += src[i][j][k]
 * Each is the other's backward (gather's gradient adds back at the indices it read), so both
 * are differentiable again under createGraph.
 */

/**
 * The offset, in a contiguous tensor of shape `into`, of every position of `shape` (row-major),
 * with dim d's coordinate replaced by the index value there when `index` (that many int32
 * values) is given: scatterAdd's and gather's targets, and src's elements under an index.
 */
function offsetsOf(shape: readonly number[], into: readonly number[], d = -1, index?: Int32Array, indexAt = 0): Int32Array {
  const strides = contiguousStrides(into), rank = shape.length;
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Int32Array(n);
  const counter = new Array<number>(rank).fill(0);
  for (let p = 0; p < n; p++) {
    let offset = 0;
    for (let a = 0; a < rank; a++) offset += (a === d && index !== undefined ? index[indexAt + p] : counter[a]) * strides[a];
    out[p] = offset;
    for (let a = rank - 1; a >= 0; a--) {
      if (++counter[a] < shape[a]) break;
      counter[a] = 0;
    }
  }
  return out;
}

/** The offsets in x (contiguous, shape `xShape`) that `index` selects along d, each checked. */
function targets(op: string, xShape: readonly number[], index: Tensor, d: number): Int32Array {
  const ix = index.contiguous();
  const idx = ix._data as Int32Array, at = ix.offset;
  const size = index.ndim === 0 ? 1 : xShape[d];
  for (let p = 0; p < ix.numel; p++) {
    const v = idx[at + p];
    if (v < 0 || v >= size) throw new ArgumentError(`${op}: index ${v} is out of bounds for dimension ${d} with size ${size}`);
  }
  return offsetsOf(index.shape, xShape, d, idx, at);
}

function checkIndex(op: string, x: Tensor, dim: number, index: Tensor, other?: Tensor): number {
  checkAlive(op, x);
  if (!(index instanceof Tensor) || index.dtype !== "int32") {
    throw new DTypeError(`${op}: expected an int32 index tensor, got ${index instanceof Tensor ? index.dtype : typeof index}`);
  }
  const rank = Math.max(x.ndim, 1);
  const d = normalizeDim(op, dim, rank);
  if (index.ndim !== x.ndim && !(x.ndim === 0 && index.ndim <= 1)) {
    throw new ShapeError(`${op}: Index tensor must have the same number of dimensions as input tensor (index ${fmtShape(index.shape)}, input ${fmtShape(x.shape)})`);
  }
  for (let a = 0; a < index.ndim; a++) {
    if (a !== d && index.shape[a] > (x.ndim === 0 ? 1 : x.shape[a])) {
      throw new ShapeError(`${op}: Size does not match at dimension ${a} expected index ${fmtShape(index.shape)} to be smaller than self ${fmtShape(x.shape)} apart from dimension ${d}`);
    }
    if (other !== undefined && index.shape[a] > other.shape[a]) {
      throw new ShapeError(`${op}: Expected index ${fmtShape(index.shape)} to be smaller than src ${fmtShape(other.shape)}`);
    }
  }
  return d;
}

/** torch.gather(x, dim, index); d/dx = scatterAdd(zeros, dim, index, g) */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const op = "gather";
  const d = checkIndex(op, x, dim, index);
  const src = contiguous(x);
  const at = targets(op, x.shape, index, d);
  const out = Tensor._uninitialized(index.shape, x.dtype);
  const o = out._data, s = src._data;
  for (let p = 0; p < at.length; p++) o[p] = s[at[p]];
  if (!isFloating(x.dtype)) return out;
  const inShape = x.shape;
  return record(out, "GatherBackward", [x], twice((g) => [scatterAdd(Tensor.empty(inShape, g.dtype), d, index, g)]));
}

/** torch.scatter_add(self, dim, index, src), out of place; d/dself = g, d/dsrc = g.gather(dim, index) */
export function scatterAdd(self: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const op = "scatterAdd";
  if (!(src instanceof Tensor)) throw new ArgumentError(`${op}: src must be a Tensor, got ${typeof src}`);
  checkAlive(op, src);
  if (src.dtype !== self.dtype) throw new DTypeError(`${op}: Expected self.dtype to be equal to src.dtype (${self.dtype} != ${src.dtype})`);
  const d = checkIndex(op, self, dim, index, src);
  const at = targets(op, self.shape, index, d);
  const out = noGrad(() => clone(self));
  const o = out._data;
  const values = gatherSrc(src, index.shape);
  for (let p = 0; p < at.length; p++) o[at[p]] += values[p];
  if (!isFloating(self.dtype)) return out;
  return record(out, "ScatterAddBackward", [self, src], twice((g, _saved, needs) => [
    needs[0] ? g : null,
    needs[1] ? gather(g, d, index) : null,
  ]));
}

/** src's elements at the positions of an index of `shape` (src may be larger along every dim). */
function gatherSrc(src: Tensor, shape: readonly number[]): TypedArray {
  const c = contiguous(src);
  const n = shape.reduce((a, b) => a * b, 1);
  if (shape.every((s, a) => s === c.shape[a])) return c._data.subarray(0, n);
  const at = offsetsOf(shape, c.shape), data = c._data;
  const out = new Float64Array(n);
  for (let p = 0; p < n; p++) out[p] = data[at[p]];
  return out;
}

/** x itself when contiguous from offset 0, else a copy made without recording (the ops record their own node). */
const contiguous = (x: Tensor): Tensor => (x.isContiguous && x.offset === 0 ? x : noGrad(() => clone(x)));
