import type { DType, Tensor, TypedArray } from "@minigrad/tensor";

/**
 * Errors thrown by optimizers, with PyTorch's wording. Where torch raises `TypeError`
 * (a wrong kind of argument) minigrad throws the built-in `TypeError`; where it raises
 * `ValueError` (a right kind of argument with a bad value) it throws `OptimizerError`.
 */
export class OptimizerError extends Error {
  /** "OptimizerError": the class, for `err.name` checks and stack traces. */
  override name = "OptimizerError";
}

/** How a value's type appears in messages: `Tensor`, `number`, `Array`, `Map`, `null`. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  if (Array.isArray(value)) return "Array";
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === "string" && ctor.name !== "" ? ctor.name : "Object";
}

/** `[2, 3]`: how shapes appear in messages (as in @minigrad/tensor). */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

const ARRAY_OF: Record<DType, abstract new (n: number) => TypedArray> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array,
};

/**
 * Why `t` cannot be read or written, or undefined when it can: disposed, an unknown dtype,
 * storage of another kind than its dtype, or storage that no longer spans its elements (a
 * buffer detached by a transfer, or a view past its end). Checked before anything changes.
 */
export function tensorProblem(t: Tensor): string | undefined {
  if (t.isDisposed) return "was disposed";
  if (!Object.hasOwn(ARRAY_OF, t.dtype)) return `has an unknown dtype ${JSON.stringify(t.dtype)}`;
  const storage: TypedArray = t._data;
  if (!(storage instanceof ARRAY_OF[t.dtype])) return `is ${t.dtype} but its storage is a ${typeName(storage)}`;
  if (t.numel === 0) return undefined;
  let lo = t.offset, hi = t.offset;
  t.shape.forEach((size, d) => {
    const reach = (size - 1) * t.strides[d];
    if (reach < 0) lo += reach;
    else hi += reach;
  });
  if (lo < 0 || hi >= storage.length) {
    return `addresses elements ${lo}..${hi} of a storage of length ${storage.length} (a detached or too short buffer)`;
  }
  return undefined;
}

/** `t` if usable, else an `OptimizerError` naming `what` (e.g. "parameter 2 of group 0") and its shape. */
export function checkTensor(t: Tensor, what: string): Tensor {
  const problem = tensorProblem(t);
  if (problem !== undefined) throw new OptimizerError(`${what} (shape ${fmtShape(t.shape)}) ${problem}`);
  return t;
}
