import { isGradEnabled } from "../autograd/grad-mode";
import { twice } from "../autograd/node";
import { record } from "../autograd/record";
import { checkDType, isFloating, promoteTypes, type DType } from "../dtype";
import { ArgumentError, ShapeError, fmtShape } from "../errors";
import * as k from "../kernels/elementwise";
import { checkShape, inferShape, mapDims, normalizeDim, sameShape, viewStrides, zeroArray } from "../shape";
import { Tensor, checkAlive } from "../tensor";
import { sumTo } from "./reduce";

/**
 * Movement primitives: views that share storage (reshape when the layout allows,
 * permute, expand, narrow/select/slice) and the copies (clone, cast, cat).
 * Each backward undoes its forward: a permute's is the inverse permute, an expand's a sum.
 */

// ------------------------------------------------------------------ reshape / view

/** View as `shape` (one -1 inferred), copying only when the strides cannot express it. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkAlive("reshape", x);
  const target = inferShape("reshape", x.shape, shape);
  const strides = viewStrides(x.shape, x.strides, target);
  if (strides === null) return reshapeView(clone(x), target);
  return reshapeView(x, target, strides);
}

/** Like reshape, but never copies. */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  checkAlive("view", x);
  const target = inferShape("view", x.shape, shape);
  const strides = viewStrides(x.shape, x.strides, target);
  if (strides === null) {
    throw new ShapeError(
      `view: view size is not compatible with input tensor's size and stride (shape ${fmtShape(x.shape)}, ` +
        `strides ${fmtShape(x.strides)}, target ${fmtShape(target)}): at least one dimension spans across two ` +
        "contiguous subspaces. Use .reshape(...) instead.",
    );
  }
  return reshapeView(x, target, strides);
}

function reshapeView(x: Tensor, shape: readonly number[], strides = viewStrides(x.shape, x.strides, shape)): Tensor {
  if (strides === null) throw new ShapeError(`internal error: reshape of contiguous ${fmtShape(x.shape)} failed`);
  const inShape = x.shape;
  return record(x._view(shape, strides, x.offset), "ViewBackward", [x], twice((g) => [reshape(g, inShape)]));
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkAlive("unsqueeze", x);
  const d = normalizeDim("unsqueeze", dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

/** Remove size-1 dims: all of them, or only `dim` (a no-op when that dim is not 1, as torch). */
export function squeeze(x: Tensor, dim?: number): Tensor {
  checkAlive("squeeze", x);
  if (dim === undefined) return reshape(x, x.shape.filter((s) => s !== 1));
  const d = normalizeDim("squeeze", dim, x.ndim);
  if (x.shape[d] !== 1) return x;
  return reshape(x, x.shape.filter((_, i) => i !== d));
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkAlive("flatten", x);
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim("flatten", startDim, x.ndim);
  const e = normalizeDim("flatten", endDim, x.ndim);
  if (s > e) throw new ArgumentError(`flatten: start_dim (${startDim}) cannot come after end_dim (${endDim})`);
  const inner = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, s), inner, ...x.shape.slice(e + 1)]);
}

// ------------------------------------------------------------------ permute / transpose

/** Reorder dims: a view with permuted shape and strides; backward applies the inverse order. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkAlive("permute", x);
  const n = x.ndim;
  if (dims.length !== n) {
    throw new ArgumentError(
      `permute: number of dims don't match (tensor has ${n} dims ${fmtShape(x.shape)}, got ${fmtShape(dims)})`,
    );
  }
  // Plain loops rather than map/Set: a view is made per transpose of every matmul's backward.
  const shape: number[] = [], strides: number[] = [], inverse: number[] = [];
  for (let i = 0; i < n; i++) inverse.push(-1);
  for (let i = 0; i < n; i++) {
    const d = normalizeDim("permute", dims[i], n);
    if (inverse[d] !== -1) throw new ArgumentError(`permute: repeated dim in ${fmtShape(dims)}`);
    inverse[d] = i;
    shape.push(x.shape[d]);
    strides.push(x.strides[d]);
  }
  return record(x._view(shape, strides, x.offset), "PermuteBackward", [x], twice((g) => [permute(g, inverse)]));
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkAlive("transpose", x);
  const a = normalizeDim("transpose", dim0, x.ndim);
  const b = normalizeDim("transpose", dim1, x.ndim);
  if (a === b) return x; // includes 0-d tensors, where both dims wrap to 0
  const order: number[] = [];
  for (let i = 0; i < x.ndim; i++) order.push(i === a ? b : i === b ? a : i);
  return permute(x, order);
}

// ------------------------------------------------------------------ expand

/** Broadcast to `shape` without copying (stride 0 on new or size-1 dims; -1 keeps a size). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkAlive("expand", x);
  if (shape.length < x.ndim) {
    throw new ShapeError(
      `expand: the number of sizes provided (${shape.length}) must be greater or equal to the number of ` +
        `dimensions in the tensor (${x.ndim})`,
    );
  }
  const lead = shape.length - x.ndim;
  const outShape = zeroArray(shape.length);
  const strides = zeroArray(shape.length);
  for (let i = 0; i < shape.length; i++) {
    const want = shape[i];
    if (i < lead) {
      if (want < 0) throw new ShapeError(`expand: the expanded size ${want} is not allowed in a leading, non-existing dimension`);
      outShape[i] = want;
      strides[i] = 0;
      continue;
    }
    const have = x.shape[i - lead];
    if (want === -1 || want === have) {
      outShape[i] = have;
      strides[i] = x.strides[i - lead];
    } else if (have === 1) {
      checkShape("expand", [want]);
      outShape[i] = want;
      strides[i] = 0;
    } else {
      throw new ShapeError(
        `expand: the expanded size of the tensor (${want}) must match the existing size (${have}) at ` +
          `non-singleton dimension ${i}. Target sizes: ${fmtShape(shape)}. Tensor sizes: ${fmtShape(x.shape)}`,
      );
    }
  }
  if (sameShape(outShape, x.shape)) return x;
  const inShape = x.shape;
  return record(x._view(outShape, strides, x.offset), "ExpandBackward", [x], twice((g) => [sumTo(g, inShape)]));
}

// ------------------------------------------------------------------ narrow / select / slice

/**
 * A strided sub-view along one dim: `length` elements from `start`, every `step`-th.
 * Backward writes the gradient into the same positions of a zero tensor of the input's shape.
 */
function subView(name: string, x: Tensor, d: number, start: number, length: number, step: number, drop: boolean): Tensor {
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape[d] = length;
  strides[d] = x.strides[d] * step;
  if (drop) {
    shape.splice(d, 1);
    strides.splice(d, 1);
  }
  const out = x._view(shape, strides, x.offset + start * x.strides[d]);
  const inShape = x.shape;
  return record(out, name, [x], twice((g) => {
    const z = Tensor.empty(inShape, g.dtype);
    // Under createGraph (grad mode on) a recorded copy into the view (CopySlices), else the kernel.
    if (isGradEnabled()) subView(name, z, d, start, length, step, drop).copy_(g);
    else copyInto(subView(name, z, d, start, length, step, drop), g);
    return [z];
  }));
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkAlive("narrow", x);
  const d = normalizeDim("narrow", dim, x.ndim);
  const size = x.shape[d];
  if (!Number.isInteger(start) || start < -size || start > size) {
    throw new ArgumentError(`narrow: start (${start}) out of range for dimension ${d} of size ${size}`);
  }
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(length) || length < 0 || s + length > size) {
    throw new ArgumentError(`narrow: start (${s}) + length (${length}) exceeds dimension size (${size}).`);
  }
  return subView("NarrowBackward", x, d, s, length, 1, false);
}

export function select(x: Tensor, dim: number, index: number): Tensor {
  checkAlive("select", x);
  const d = normalizeDim("select", dim, x.ndim);
  const size = x.shape[d];
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new ArgumentError(
      `select: index ${index} out of range for tensor of size ${fmtShape(x.shape)} at dimension ${d}`,
    );
  }
  return subView("SelectBackward", x, d, index < 0 ? index + size : index, 1, 1, true);
}

/** Python-style slice along `dim`: negative bounds wrap, out-of-range bounds clamp, step > 0. */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  checkAlive("slice", x);
  const d = normalizeDim("slice", dim, x.ndim);
  if (!Number.isInteger(step) || step <= 0) throw new ArgumentError(`slice: step must be a positive integer, got ${step}`);
  // As narrow and select: a bound is an integer (or null/undefined for the end of the dim).
  if ((start !== undefined && start !== null && !Number.isInteger(start)) || (end !== undefined && end !== null && !Number.isInteger(end))) {
    throw new ArgumentError(
      `slice: start and end must be integers, got start ${String(start)} and end ${String(end)} for dimension ${d} of ${fmtShape(x.shape)}`,
    );
  }
  const size = x.shape[d];
  const bound = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const s = bound(start ?? 0);
  const e = Math.max(bound(end ?? size), s);
  return subView("SliceBackward", x, d, s, Math.ceil((e - s) / step), step, false);
}

// ------------------------------------------------------------------ copies

/** Write src (same shape) into the view dst, converting numbers to dst's dtype. Not recorded. */
export function copyInto(dst: Tensor, src: Tensor): void {
  if (dst.dtype === "bool" && src.dtype !== "bool") {
    k.mapBinary(k.ne, dst, src, scalarZero(src.dtype));
  } else {
    k.mapUnary(k.copy, dst, src);
  }
}

function scalarZero(dtype: DType): Tensor {
  return Tensor.empty([], dtype);
}

/** A contiguous copy; d/dx = identity. */
export function clone(x: Tensor): Tensor {
  checkAlive("clone", x);
  const out = Tensor.empty(x.shape, x.dtype);
  copyInto(out, x);
  return record(out, "CloneBackward", [x], twice((g) => [g]));
}

/** Convert to another dtype (this tensor if it already has it); gradients cast back. */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkAlive("to", x);
  if (x.dtype === dtype) return x;
  const out = Tensor.empty(x.shape, checkDType("to", dtype));
  copyInto(out, x);
  if (!isFloating(dtype)) return out;
  const from = x.dtype;
  return record(out, "ToCopyBackward", [x], twice((g) => [cast(g, from)]));
}

/** Join tensors along an existing dim; shapes must match elsewhere. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new ArgumentError("cat: expected a non-empty list of Tensors");
  }
  const first = tensors[0];
  const d = normalizeDim("cat", dim, first.ndim);
  let dtype = first.dtype;
  let total = 0;
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ArgumentError(`cat: expected a list of Tensors, entry ${i} is not a Tensor`);
    checkAlive("cat", t);
    const matches = t.ndim === first.ndim && t.shape.every((s, j) => j === d || s === first.shape[j]);
    if (!matches) {
      throw new ShapeError(
        `cat: sizes of tensors must match except in dimension ${d}: got ${fmtShape(first.shape)} at entry 0 ` +
          `and ${fmtShape(t.shape)} at entry ${i}`,
      );
    }
    dtype = promoteTypes(dtype, t.dtype);
    total += t.shape[d];
  });
  const shape = [...first.shape];
  shape[d] = total;
  const out = Tensor.empty(shape, dtype);
  const inputs = tensors.map((t) => cast(t, dtype));
  const sizes = inputs.map((t) => t.shape[d]);
  let at = 0;
  for (const t of inputs) {
    copyInto(out._view(t.shape, out.strides, at * out.strides[d]), t);
    at += t.shape[d];
  }
  return record(out, "CatBackward", inputs, twice((g, _, needs) => {
    let start = 0;
    return sizes.map((size, i) => {
      const piece = needs[i] ? narrow(g, d, start, size) : null;
      start += size;
      return piece;
    });
  }));
}

/** Join tensors of one shape along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new ArgumentError("stack: expected a non-empty list of Tensors");
  }
  const shape = tensors[0].shape;
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor) || !sameShape(t.shape, shape)) {
      throw new ShapeError(
        `stack: expects each tensor to be equal size, but got ${fmtShape(shape)} at entry 0 and ` +
          `${t instanceof Tensor ? fmtShape(t.shape) : typeof t} at entry ${i}`,
      );
    }
  });
  for (const t of tensors) checkAlive("stack", t);
  const d = normalizeDim("stack", dim, shape.length + 1);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}
