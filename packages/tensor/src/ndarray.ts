import ndarray, { type NdArray } from "ndarray";
import type { TypedArray } from "./dtype";
import { ArgumentError } from "./errors";
import { arena, type Block } from "./kernels/wasm/arena";
import { Tensor, checkAlive } from "./tensor";

/**
 * An ndarray over arena storage counts as one more owner of its block (as a tensor does), so
 * `dispose()` of the tensor cannot hand the block to the next tensor while the ndarray still
 * reads it; the block is released once the ndarray is collected (and its tensors disposed or
 * collected too).
 */
const ndarrayOwners =
  typeof FinalizationRegistry === "function"
    ? new FinalizationRegistry<Block>((block) => {
        if (--block.owners === 0) arena()?.release(block);
      })
    : null;

/**
 * Zero-copy interop with the `ndarray` package: both are (data, shape, stride, offset),
 * so conversion only renames fields. Writes through either side are seen by the other.
 */
export function toNdarray(t: Tensor): NdArray<TypedArray> {
  checkAlive("toNdarray", t);
  const nd = ndarray(t._data, [...t.shape], [...t.strides], t.offset);
  const block = t._block;
  if (block !== null && ndarrayOwners !== null && !block.freed) {
    block.owners++;
    ndarrayOwners.register(nd, block);
  }
  return nd;
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
