import { ArgumentError, ShapeError, fmtShape } from "./errors";

/** Number of elements of a shape (1 for a 0-d tensor). */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The shape and strides of every 0-d tensor: shared (no caller writes to a 0-length array). */
const NO_DIMS: number[] = [];

/**
 * A packed array of n zeros. Shapes and strides are always made this way (never with
 * `new Array(n)`, which is holey, nor frozen): V8 then sees one array kind in every shape
 * function, instead of deoptimizing the code it optimized for one kind when another shows up.
 */
export function zeroArray(n: number): number[] {
  if (n === 0) return NO_DIMS;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(0);
  return out;
}

/** [f(0), f(1), ..., f(n-1)] as a packed array (see zeroArray; `Array.prototype.map` in optimized code makes holey ones). */
export function mapDims(n: number, f: (i: number) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(f(i));
  return out;
}

/** Row-major strides: the last dim moves fastest. */
export function contiguousStrides(shape: readonly number[]): readonly number[] {
  const strides = zeroArray(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= Math.max(shape[i], 1);
  }
  return strides;
}

/** True when the elements lie in row-major order without gaps (size-1 dims may have any stride). */
export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Turn a possibly negative dim into an index in [0, ndim), or throw naming the op. */
export function normalizeDim(op: string, dim: number, ndim: number): number {
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new ArgumentError(
      `${op}: dimension out of range (expected to be in range of [${lo}, ${hi}], but got ${dim})`,
    );
  }
  return dim < 0 ? Math.max(dim + ndim, 0) : dim;
}

/**
 * Normalize a dim argument of a reduction: omitted, or an empty list (as torch 1.13),
 * means every dim. Sorted, duplicates rejected.
 */
export function normalizeDims(op: string, dim: number | readonly number[] | undefined, ndim: number): number[] {
  if (dim === undefined || (typeof dim !== "number" && dim.length === 0)) return mapDims(ndim, (i) => i);
  const list = typeof dim === "number" ? [dim] : dim;
  const dims = mapDims(list.length, (i) => normalizeDim(op, list[i], ndim));
  const seen = new Set<number>();
  for (const d of dims) {
    if (seen.has(d)) throw new ArgumentError(`${op}: dim ${d} appears multiple times in the list of dims`);
    seen.add(d);
  }
  return dims.sort((a, b) => a - b);
}

/** NumPy broadcasting: align trailing dims; each pair must match or contain a 1. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = zeroArray(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** 2^53: past it a number no longer counts elements exactly. */
const MAX_ELEMENTS = 9007199254740992;

/**
 * Check a user-given shape (from code or JSON): an array of non-negative integers below 2^53
 * whose product (of the nonzero sizes, so [1e300, 0] too) stays within 2^53 elements.
 */
export function checkShape(op: string, shape: readonly number[]): void {
  if (!Array.isArray(shape)) {
    throw new ArgumentError(`${op}: shape must be an array of sizes, got ${shape === null ? "null" : typeof shape}`);
  }
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) {
      throw new ArgumentError(
        `${op}: invalid shape ${fmtShape(shape)}: sizes must be non-negative integers below 2^53, got ${String(d)}`,
      );
    }
    if (d !== 0) n *= d;
  }
  if (n > MAX_ELEMENTS) {
    throw new ArgumentError(`${op}: invalid shape ${fmtShape(shape)}: more than 2^53 elements (${n})`);
  }
}

/** Resolve one `-1` in a target shape and check the element count matches. */
export function inferShape(op: string, from: readonly number[], to: readonly number[]): number[] {
  const total = numelOf(from);
  let inferred = -1;
  let known = 1;
  to.forEach((d, i) => {
    if (d === -1) {
      if (inferred >= 0) throw new ShapeError(`${op}: only one dimension can be inferred in ${fmtShape(to)}`);
      inferred = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: invalid shape dimension ${d} in ${fmtShape(to)}`);
    } else known *= d;
  });
  const out = [...to];
  if (inferred >= 0) {
    if (known === 0 || total % known !== 0) {
      throw new ShapeError(`${op}: shape ${fmtShape(to)} is invalid for input of size ${total}`);
    }
    out[inferred] = total / known;
  } else if (known !== total) {
    throw new ShapeError(`${op}: shape ${fmtShape(to)} is invalid for input of size ${total}`);
  }
  return out;
}

/**
 * Strides that let a tensor of (shape, strides) be viewed as newShape without copying,
 * or null when the memory layout does not allow it (then reshape copies, as torch).
 * Dims are grouped into chunks that are contiguous with each other; each chunk of the
 * old shape must map onto whole dims of the new one.
 */
export function viewStrides(
  shape: readonly number[],
  strides: readonly number[],
  newShape: readonly number[],
): readonly number[] | null {
  const numel = numelOf(shape);
  if (numel === 0 || shape.length === 0) return contiguousStrides(newShape);
  const out = zeroArray(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBase = strides[strides.length - 1];
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d];
    // A chunk ends where the next-outer dim is not laid out right after this one.
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return out;
}
