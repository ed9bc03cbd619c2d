import { dtypeOf, ownArray, type DType, type TypedArray } from "./dtype";
import { TensorError, fmtShape } from "./errors";
import * as k from "./kernels/elementwise";
import { nested, type NestedArray } from "./nested";
import { contiguousStrides, isContiguous, numelOf } from "./shape";
import { track } from "./memory";
import { ARENA_MIN_BYTES, arena, type Block } from "./kernels/wasm/arena";

/**
 * The memory side of a tensor, which `Tensor` (tensor.ts) extends with autograd and the ops:
 * a strided view over typed-array storage, element (i, j, ...) at
 * `storage[offset + i*strides[0] + j*strides[1] + ...]`, and its lifetime (dispose, the
 * arena block it holds, tidy scopes: memory.ts).
 */

/** Shared by a tensor and all its views: bumped by every in-place op on any of them. */
export interface VersionCounter {
  value: number;
}

function disposedError(op: string, t: TensorBase): TensorError {
  return new TensorError(
    `${op}: a tensor of shape ${fmtShape(t.shape)} (${t.dtype}) was disposed (by dispose() or tidy()) and cannot be used any more`,
  );
}

/**
 * @internal Throw the disposed-tensor error naming `op` and `t`'s shape if `t` was disposed.
 * Ops call it at their entry (one field test); `storage` itself still refuses a disposed tensor.
 */
export function checkAlive(op: string, t: TensorBase): void {
  if (t._disposed) throw disposedError(op, t);
}

/** Storage, shape and lifetime of a tensor; see `Tensor`, the class to use. */
export class TensorBase {
  private readonly _array: TypedArray;
  /** The size of each dim (`[]` for a 0-d tensor), as torch's `.shape`. */
  readonly shape: readonly number[];
  /** Elements to step in `storage` per index of each dim; 0 on expanded dims. */
  readonly strides: readonly number[];
  /** Index in `storage` of the first element (views start past 0). */
  readonly offset: number;
  /** The element type: float32, float64, int32 or bool. */
  readonly dtype: DType;
  /** @internal shared with views of the same storage. */
  _version: VersionCounter;
  /** @internal the arena block of the storage, while this tensor counts as one of its owners */
  _block: Block | null = null;
  /** @internal exempt from tidy scopes (see memory.ts) */
  _kept = false;
  /** @internal see dispose() */
  _disposed = false;

  constructor(
    storage: TypedArray,
    shape: readonly number[],
    strides: readonly number[] = contiguousStrides(shape),
    offset = 0,
    dtype?: DType,
  ) {
    this._array = storage;
    // Not copied: every caller hands over a fresh array (readonly keeps users from mutating it).
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    this.dtype = dtype ?? dtypeOf(storage);
    this._version = { value: 0 };
    // Arena storage is freed once its last tensor is disposed: count this one.
    if (storage.byteLength >= ARENA_MIN_BYTES) {
      const block = arena()?.blockOf(storage);
      if (block !== undefined) {
        block.owners++;
        this._block = block;
      }
    }
    track(this);
  }

  /**
   * The typed array holding the elements (shared with views). Throws once disposed.
   *
   * Safe to keep across `dispose()`: once handed out, an arena block (the storage of large
   * float tensors) is no longer reused when its tensors are disposed, only once the garbage
   * collector finds this array unreachable, so the array never shows another tensor's values.
   */
  get storage(): TypedArray {
    if (this._disposed) throw disposedError("storage", this);
    if (this._block !== null) this._block.exposed = true;
    return this._array;
  }

  /**
   * @internal The storage as library code reads it: like `storage`, but not marked handed
   * out, so `dispose()` can return its arena block at once. Never give it to user code.
   */
  get _data(): TypedArray {
    if (this._disposed) throw disposedError("storage", this);
    return this._array;
  }

  /**
   * Declare this tensor dead: its storage returns to the arena for reuse once no other tensor
   * (view) over it is alive, instead of whenever the garbage collector runs. Using it
   * afterwards throws. Idempotent. See also `tidy` and `keep`.
   */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    const block = this._block;
    this._block = null;
    if (block === null || --block.owners > 0) return;
    // Storage handed out by `storage` may still be read: the collector returns it, not dispose.
    if (block.exposed) arena()?.watch(this._array, block);
    else arena()?.release(block);
  }

  /** @internal see memory.ts: its arena block outlives the scope that made it */
  _watchBlock(): void {
    if (this._block !== null && !this._disposed) arena()?.watch(this._array, this._block);
  }

  /** True once `dispose()` was called on this tensor (directly or by a tidy scope). */
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The number of dims, `shape.length`, as torch's `.ndim`. */
  get ndim(): number {
    return this.shape.length;
  }

  /** The number of elements, the product of `shape` (1 for a 0-d tensor), as torch's numel(). */
  get numel(): number {
    return numelOf(this.shape);
  }

  /** Bumped by every in-place op on this tensor or a view of its storage. */
  get version(): number {
    return this._version.value;
  }

  /** True when the elements lie in row-major order without gaps (size-1 dims' strides aside). */
  get isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  /** The value of a one-element tensor. */
  item(): number {
    checkAlive("item", this);
    if (this.numel !== 1) {
      throw new TensorError(`item: a Tensor with ${this.numel} elements cannot be converted to a scalar`);
    }
    return this._data[this.offset];
  }

  /** The values in row-major order as a fresh typed array of this dtype, alone in its buffer. */
  toTypedArray(): TypedArray {
    checkAlive("toTypedArray", this);
    // Not allocate(): its small storage shares a buffer (slab.ts), and callers may hash or transfer `.buffer`.
    const out = ownArray(this.dtype, this.numel);
    k.mapUnary(k.copy, { _data: out, shape: this.shape, strides: contiguousStrides(this.shape), offset: 0 }, this);
    return out;
  }

  /** Nested arrays of numbers (bool as 0/1); a number for a 0-d tensor. */
  toArray(): NestedArray {
    checkAlive("toArray", this);
    return nested(this.toTypedArray(), this.shape);
  }
}
