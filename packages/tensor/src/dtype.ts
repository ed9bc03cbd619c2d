import { ARENA_ALWAYS_BYTES, ARENA_MIN_BYTES, arena } from "./kernels/wasm/arena";
import { tidyDepth } from "./memory";
import { smallArray } from "./slab";
import { ArgumentError, DTypeError } from "./errors";

/** The element types a tensor can hold, named as in torch (without the `torch.` prefix). */
export type DType = "float32" | "float64" | "int32" | "bool";

/** The typed array behind each dtype. `bool` is stored as 0/1 bytes. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Typed arrays that hold floating point values: the only ones autograd and optimizers touch. */
export type FloatArray = Float32Array | Float64Array;

export const DEFAULT_DTYPE: DType = "float32";

/** True for float32 and float64, the dtypes that can require grad, as torch's is_floating_point. */
export function isFloating(dtype: DType): dtype is "float32" | "float64" {
  return dtype === "float32" || dtype === "float64";
}

/**
 * Allocate storage of `length` elements for `dtype`, zero-filled unless `zero` is false (for
 * outputs a kernel overwrites entirely). Large float storage comes from the wasm arena
 * (kernels/wasm/arena.ts) while it has room, so the wasm kernels can work on it in place;
 * small storage is a view on a shared buffer (slab.ts).
 */
export function allocate(dtype: DType, length: number, zero = true): TypedArray {
  switch (dtype) {
    // Inside a scope the GC registration waits for the scope's end (memory.ts), which disposes most.
    case "float32": return (useArena(length * 4) ? arena()?.allocate(Float32Array, length, zero, tidyDepth() === 0) : null) ?? smallArray(Float32Array, length);
    case "float64": return (useArena(length * 8) ? arena()?.allocate(Float64Array, length, zero, tidyDepth() === 0) : null) ?? smallArray(Float64Array, length);
    case "int32": return smallArray(Int32Array, length);
    case "bool": return smallArray(Uint8Array, length);
    default: throw unknownDType("allocate", dtype);
  }
}

function unknownDType(op: string, dtype: unknown): DTypeError {
  const shown = typeof dtype === "string" ? `"${dtype}"` : String(dtype);
  return new DTypeError(`${op}: unknown dtype ${shown}; expected one of float32, float64, int32, bool`);
}

/**
 * `dtype` itself if it is one of minigrad's dtypes, else a DTypeError naming the op and the
 * dtypes there are ("float16", "int64" or "Float32" from a user, a JSON file or an `as` cast).
 */
export function checkDType(op: string, dtype: unknown): DType {
  if (dtype === "float32" || dtype === "float64" || dtype === "int32" || dtype === "bool") return dtype;
  throw unknownDType(op, dtype);
}

/**
 * torch's checked conversion of a number stored into an int32 tensor: fractions truncate
 * toward zero, but NaN, infinities and values outside [-2^31, 2^31) throw.
 */
export function checkInt32(op: string, value: number): void {
  if (!(value > -2147483649 && value < 2147483648)) {
    throw new ArgumentError(`${op}: value cannot be converted to type int32 without overflow (got ${value})`);
  }
}

/** A zero-filled typed array for `dtype` with a buffer of its own. */
export function ownArray(dtype: DType, length: number): TypedArray {
  switch (dtype) {
    case "float32": return new Float32Array(length);
    case "float64": return new Float64Array(length);
    case "int32": return new Int32Array(length);
    case "bool": return new Uint8Array(length);
    default: throw unknownDType("ownArray", dtype);
  }
}

/**
 * Which storage goes to the arena: from 1 MiB always (there a fresh typed array costs the
 * most, in page faults, and the wasm kernels gain the most); from 16 KiB inside tidy() or a
 * backward pass, whose end frees blocks for reuse at once. Outside tidy, blocks come back only through the garbage
 * collector, between tasks, so the many mid-sized tensors of a synchronous training loop stay
 * with ordinary typed arrays, whose memory V8 and malloc recycle sooner.
 */
function useArena(bytes: number): boolean {
  return bytes >= ARENA_ALWAYS_BYTES || (bytes >= ARENA_MIN_BYTES && tidyDepth() > 0);
}

/** The dtype a typed array stores (Uint8Array is read as bool). */
export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  return "bool";
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** torch's type promotion between two tensors: bool < int32 < float32 < float64. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * torch's result type of a binary op between two tensors (result_type): dimensioned tensors
 * take precedence over 0-d ones, and a 0-d tensor (a wrapped number included) changes the
 * dtype only if it is of a higher category (bool < integer < floating); then the two are
 * promoted. So float32 [2] + float64 0-d is float32, int32 [2] + float64 0-d is float64.
 */
export function resultType(a: DType, aDims: number, b: DType, bDims: number): DType {
  if (a === b) return a;
  if ((aDims === 0) === (bDims === 0)) return promoteTypes(a, b);
  const higher = aDims === 0 ? b : a; // the dimensioned one
  const lower = aDims === 0 ? a : b;
  if (isFloating(higher)) return higher;
  if (higher === "bool" || isFloating(lower)) return promoteTypes(higher, lower);
  return higher;
}

/**
 * The dtype of `tensor op scalar`: a Python-like number never widens a floating tensor
 * (float32 + 2.5 stays float32), but a fractional number turns an integer tensor into
 * the default float dtype, as torch does.
 */
export function promoteWithScalar(dtype: DType, value: number): DType {
  if (isFloating(dtype)) return dtype;
  if (!Number.isInteger(value)) return DEFAULT_DTYPE;
  return dtype === "bool" ? "int32" : dtype;
}
