import { Tensor, TensorError } from "@minigrad/tensor";
import { typeName } from "./members";

/** What `loadStateDict` returns: the keys it could not match (always empty under strict). */
export interface LoadStateDictResult {
  missingKeys: string[];
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

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
