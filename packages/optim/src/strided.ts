import type { TypedArray } from "@minigrad/tensor";

/** What the walker needs of a tensor: where its elements live in its storage. */
export interface StridedView {
  readonly storage: TypedArray;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * Visit the elements of several same-shape views in lockstep, row by row (a strided
 * odometer). `visit(offsets, n, steps)` gets each view's storage index of the row start,
 * the row length and each view's stride along the row. Dims laid out back to back in every
 * view are merged first, so when all views are contiguous there is a single row of `numel`
 * elements and the caller's loop runs once over flat arrays. Allocates a few small arrays
 * per call, nothing per element.
 */
export function forEachRow(
  shape: readonly number[],
  views: readonly StridedView[],
  visit: (offsets: Int32Array, n: number, steps: Int32Array) => void,
): void {
  const k = views.length;
  const dims: number[] = [];
  const strides: number[][] = views.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (size === 0) return;
    if (size === 1) continue;
    const last = dims.length - 1;
    let mergeable = last >= 0;
    for (let o = 0; o < k && mergeable; o++) mergeable = strides[o][last] === views[o].strides[d] * size;
    if (mergeable) {
      dims[last] *= size;
      for (let o = 0; o < k; o++) strides[o][last] = views[o].strides[d];
    } else {
      dims.push(size);
      for (let o = 0; o < k; o++) strides[o].push(views[o].strides[d]);
    }
  }
  const offsets = Int32Array.from(views, (v) => v.offset);
  const steps = new Int32Array(k);
  const rank = dims.length;
  if (rank === 0) {
    visit(offsets, 1, steps);
    return;
  }
  for (let o = 0; o < k; o++) steps[o] = strides[o][rank - 1];
  const n = dims[rank - 1];
  const counter = new Int32Array(rank - 1);
  for (;;) {
    visit(offsets, n, steps);
    // Advance the odometer over the outer dims, carrying into the next when one wraps.
    let d = rank - 2;
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

/** True when two elements of the view share a storage slot (an expanded view): unsafe to write. */
export function hasOverlap(view: StridedView): boolean {
  return view.shape.some((size, d) => size > 1 && view.strides[d] === 0);
}
