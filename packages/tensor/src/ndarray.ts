import ndarray, { type NdArray } from "ndarray";
import type { TypedArray } from "./dtype";
import { ArgumentError } from "./errors";
import { Tensor } from "./tensor";

/**
 * Zero-copy interop with the `ndarray` package: both are (data, shape, stride, offset),
 * so conversion only renames fields. Writes through either side are seen by the other.
 */
export function toNdarray(t: Tensor): NdArray<TypedArray> {
  return ndarray(t.storage, [...t.shape], [...t.strides], t.offset);
}

/** Wrap an ndarray's typed array as a tensor, without copying. */
export function fromNdarray(nd: NdArray): Tensor {
  const data = nd.data;
  const supported =
    data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array || data instanceof Uint8Array;
  if (!supported) {
    throw new ArgumentError(
      "fromNdarray: data must be a Float32Array, Float64Array, Int32Array or Uint8Array (bool) to be shared without a copy",
    );
  }
  return new Tensor(data as TypedArray, nd.shape, nd.stride, nd.offset);
}
