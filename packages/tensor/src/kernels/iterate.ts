import type { TypedArray } from "../dtype";

/**
 * A strided view over a typed array: element (i, j, ...) lives at
 * `offset + i*strides[0] + j*strides[1] + ...`. Tensors satisfy this interface, so
 * kernels take them directly; kernels never import Tensor and know nothing of autograd.
 */
export interface View {
  /**
   * The typed array holding the elements (possibly more than this view covers): a tensor's
   * storage as library code reads it (Tensor's `_data`; users read `storage`).
   */
  readonly _data: TypedArray;
  /** The size of each dim. */
  readonly shape: readonly number[];
  /** Elements to step in `_data` per index of each dim (0 on broadcast dims). */
  readonly strides: readonly number[];
  /** Index in `_data` of element (0, 0, ...). */
  readonly offset: number;
}

/**
 * Visit a shape row by row for several operands at once (a strided odometer).
 * `visit(offsets, n, innerStrides)` gets each operand's offset of the row start,
 * the row length and each operand's stride along the row. Dims that are laid out
 * back to back in every operand are merged first, so contiguous data is one long row.
 * Offsets and counters are allocated once per call, never per element.
 */
export function forEachRow(
  shape: readonly number[],
  operandStrides: readonly (readonly number[])[],
  operandOffsets: readonly number[],
  visit: (offsets: Int32Array, n: number, innerStrides: Int32Array) => void,
): void {
  const k = operandStrides.length;
  // The common case first: every operand laid out contiguously (strides of size-1 dims do
  // not matter), so the whole shape is one row; nothing to collapse.
  const count = contiguousCount(shape, operandStrides);
  if (count === 0) return;
  if (count > 0) {
    visit(Int32Array.from(operandOffsets), count, new Int32Array(k).fill(1));
    return;
  }
  // Collapse: drop size-1 dims, merge dim i into i+1 when every operand allows it.
  const dims: number[] = [];
  const strides: number[][] = operandStrides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (size === 0) return;
    if (size === 1) continue;
    const last = dims.length - 1;
    let mergeable = last >= 0;
    for (let o = 0; o < k && mergeable; o++) {
      mergeable = strides[o][last] === operandStrides[o][d] * size;
    }
    if (mergeable) {
      dims[last] *= size;
      for (let o = 0; o < k; o++) strides[o][last] = operandStrides[o][d];
    } else {
      dims.push(size);
      for (let o = 0; o < k; o++) strides[o].push(operandStrides[o][d]);
    }
  }
  const offsets = Int32Array.from(operandOffsets);
  const inner = new Int32Array(k);
  const rank = dims.length;
  if (rank === 0) {
    visit(offsets, 1, inner);
    return;
  }
  for (let o = 0; o < k; o++) inner[o] = strides[o][rank - 1];
  const n = dims[rank - 1];
  const outer = rank - 1;
  const counter = new Int32Array(outer);
  for (;;) {
    visit(offsets, n, inner);
    // Advance the odometer over the outer dims; carry into the next dim when one wraps.
    let d = outer - 1;
    for (; d >= 0; d--) {
      counter[d]++;
      for (let o = 0; o < k; o++) offsets[o] += strides[o][d];
      if (counter[d] < dims[d]) break;
      for (let o = 0; o < k; o++) offsets[o] -= strides[o][d] * dims[d];
      counter[d] = 0;
    }
    if (d < 0) return;
  }
}

/**
 * The element count if every operand's strides are the contiguous ones for `shape` (ignoring
 * dims of size 1), else -1.
 */
function contiguousCount(shape: readonly number[], operandStrides: readonly (readonly number[])[]): number {
  let count = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d];
    if (size !== 1) {
      for (let o = 0; o < operandStrides.length; o++) if (operandStrides[o][d] !== count) return size === 0 ? 0 : -1;
    }
    count *= size;
  }
  return count;
}

/** Elements of a view (1 for 0-d). */
export function countOf(shape: readonly number[]): number {
  let n = 1;
  for (let d = 0; d < shape.length; d++) n *= shape[d];
  return n;
}

function isDense(view: View): boolean {
  let expected = 1;
  for (let d = view.shape.length - 1; d >= 0; d--) {
    const size = view.shape[d];
    if (size === 1) continue;
    if (view.strides[d] !== expected) return false;
    expected *= size;
  }
  return true;
}

/**
 * How a view broadcast to `n` elements can be walked as one flat row: step 1 when it
 * is contiguous with all n elements, step 0 when it holds a single value (a broadcast
 * scalar), -1 when it needs the strided odometer. (A broadcastable view with the same
 * element count differs from the target shape only by size-1 dims, so its row-major
 * order is the target's.)
 */
export function flatStep(view: View, n: number): number {
  const count = countOf(view.shape);
  if (count === 1) return 0;
  return count === n && isDense(view) ? 1 : -1;
}

/**
 * The strides that walk `view` over the (larger) broadcast `shape`: 0 along dims the
 * view lacks or has as size 1. Lets kernels broadcast constants without expand views.
 */
export function broadcastStrides(view: View, shape: readonly number[]): number[] {
  const lead = shape.length - view.shape.length;
  const out: number[] = []; // packed (see shape.ts's zeroArray)
  for (let d = 0; d < shape.length; d++) {
    const i = d - lead;
    out.push(i < 0 || (view.shape[i] === 1 && shape[d] !== 1) ? 0 : view.strides[i]);
  }
  return out;
}


/**
 * When `view` is a dense block that repeats along the leading dims of `shape` (a bias [n]
 * added to [batch, n], or expanded to it), the length of the repeating block; else -1. Such
 * an operand is walked as `n / block` flat rows that all restart at the view's offset.
 */
export function repeatBlock(view: View, shape: readonly number[]): number {
  const lead = shape.length - view.shape.length;
  let block = 1;
  let d = shape.length - 1;
  // The block: trailing dims the view has in full, laid out densely...
  for (; d >= lead; d--) {
    const size = view.shape[d - lead];
    if (size !== shape[d] || (size !== 1 && view.strides[d - lead] !== block)) break;
    block *= size;
  }
  // ...repeated along every dim before them: absent, of size 1, or expanded (stride 0).
  for (; d >= lead; d--) {
    if (view.shape[d - lead] !== 1 && view.strides[d - lead] !== 0) return -1;
  }
  return block;
}
