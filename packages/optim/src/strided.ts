import type { TypedArray } from "@minigrad/tensor";

// Walking strided params row by row uses the tensor package's odometer, `forEachRow`.

/** What the walker needs of a tensor: where its elements live in its storage. */
export interface StridedView {
  readonly storage: TypedArray;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** True when two elements of the view share a storage slot (an expanded view): unsafe to write. */
export function hasOverlap(view: StridedView): boolean {
  return view.shape.some((size, d) => size > 1 && view.strides[d] === 0);
}
