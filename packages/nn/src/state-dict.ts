import { Tensor, TensorError, isFloating, type DType, type TypedArray } from "@minigrad/tensor";
import { typeName } from "./members";

/** What `loadStateDict` returns: the keys it could not match (always empty under strict). */
export interface LoadStateDictResult {
  /** The module's keys that the state dict did not have. */
  missingKeys: string[];
  /** The state dict's keys that the module does not have. */
  unexpectedKeys: string[];
}

/** torch prints shapes as `torch.Size([2, 3])`; minigrad as `[2, 3]`. */
function fmt(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Validate a state dict against a module's keys before anything is copied (torch checks
 * while it copies, so a failed load can leave a model half-updated; minigrad never does).
 * Throws with torch's message layout: missing keys, unexpected keys, then one line per
 * bad value. Shape mismatches and non-tensor values are errors even when not strict.
 */
export function checkStateDict(
  moduleName: string,
  targets: ReadonlyMap<string, Tensor>,
  stateDict: Record<string, Tensor>,
  strict: boolean,
): LoadStateDictResult {
  if (stateDict === null || typeof stateDict !== "object" || Array.isArray(stateDict)) {
    throw new TypeError(`Expected stateDict to be a Record<string, Tensor>, got ${typeName(stateDict)}.`);
  }
  const missingKeys: string[] = [];
  const errors: string[] = [];
  for (const [key, target] of targets) {
    if (!Object.prototype.hasOwnProperty.call(stateDict, key)) {
      missingKeys.push(key);
      continue;
    }
    const value: unknown = stateDict[key];
    if (!(value instanceof Tensor)) {
      errors.push(`While copying the parameter named "${key}", expected Tensor from checkpoint but received ${typeName(value)}`);
      continue;
    }
    // torch's wording for a copy that fails; minigrad finds these before copying anything.
    const problem = copyProblem(value, target);
    if (problem !== undefined) {
      errors.push(
        `While copying the parameter named "${key}", whose dimensions in the model are ${fmt(target.shape)} and ` +
          `whose dimensions in the checkpoint are ${fmt(value.shape)}, an exception occurred : (${problem}).`,
      );
    } else if (!sameShape(value.shape, target.shape)) {
      errors.push(
        `size mismatch for ${key}: copying a param with shape ${fmt(value.shape)} from checkpoint, ` +
          `the shape in current model is ${fmt(target.shape)}.`,
      );
    }
  }
  const unexpectedKeys = Object.keys(stateDict).filter((key) => !targets.has(key));
  if (strict) {
    const quoted = (keys: string[]) => keys.map((k) => `"${k}"`).join(", ");
    if (unexpectedKeys.length > 0) errors.unshift(`Unexpected key(s) in state_dict: ${quoted(unexpectedKeys)}. `);
    if (missingKeys.length > 0) errors.unshift(`Missing key(s) in state_dict: ${quoted(missingKeys)}. `);
  }
  if (errors.length > 0) {
    throw new TensorError(`Error(s) in loading state_dict for ${moduleName}:\n\t${errors.join("\n\t")}`);
  }
  return { missingKeys, unexpectedKeys };
}

const ARRAY_OF: Record<DType, abstract new (n: number) => TypedArray> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array,
};

/**
 * Why `t` cannot be read (or written), or undefined: disposed, an unknown dtype, storage of
 * another kind than its dtype, or storage that no longer spans its elements (a buffer
 * detached by a transfer, or a view past its end).
 */
export function tensorProblem(t: Tensor): string | undefined {
  if (t.isDisposed) return "it was disposed";
  if (!Object.hasOwn(ARRAY_OF, t.dtype)) return `it has an unknown dtype ${JSON.stringify(t.dtype)}`;
  const storage: TypedArray = t._data;
  if (!(storage instanceof ARRAY_OF[t.dtype])) return `it is ${t.dtype} but its storage is a ${typeName(storage)}`;
  if (t.numel === 0) return undefined;
  let lo = t.offset, hi = t.offset;
  t.shape.forEach((size, d) => {
    const reach = (size - 1) * t.strides[d];
    if (reach < 0) lo += reach;
    else hi += reach;
  });
  if (lo < 0 || hi >= storage.length) {
    return `it addresses elements ${lo}..${hi} of a storage of length ${storage.length} (a detached or too short buffer)`;
  }
  return undefined;
}

/** What would make `target.copy_(value)` throw or store something else than `value` holds. */
function copyProblem(value: Tensor, target: Tensor): string | undefined {
  const bad = tensorProblem(value);
  if (bad !== undefined) return `the tensor from the checkpoint: ${bad}`;
  const badTarget = tensorProblem(target);
  if (badTarget !== undefined) return `the tensor in the model: ${badTarget}`;
  if (target.shape.some((size, d) => size > 1 && target.strides[d] === 0)) {
    return "the tensor in the model is an expanded view: more than one element refers to a single memory location";
  }
  if (target.dtype === "int32" && isFloating(value.dtype)) {
    // copy_ would truncate 1.5 to 1, NaN to 0 and wrap 2^31: refuse what int32 cannot hold.
    const values = value.contiguous().toTypedArray();
    const i = values.findIndex((x) => !Number.isInteger(x) || x < -(2 ** 31) || x > 2 ** 31 - 1);
    if (i >= 0) return `value ${values[i]} (element ${i}) of a ${value.dtype} tensor cannot be converted to type int32 exactly`;
  }
  return undefined;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
