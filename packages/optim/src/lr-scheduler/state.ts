import { typeName } from "../errors";

/** A value in a scheduler's state dict: plain data (numbers, strings, booleans, null, arrays, objects). */
export type SchedulerStateValue =
  | number
  | string
  | boolean
  | null
  | SchedulerStateValue[]
  | { [key: string]: SchedulerStateValue };

/**
 * A scheduler's state, as torch's `scheduler.state_dict()`: every attribute but the
 * optimizer (and functions), under torch's names in camelCase (`lastEpoch`, `baseLrs`,
 * `_stepCount`, `_lastLr`, `tMax`, ...). Plain data: `JSON.stringify` keeps it, except
 * ±Infinity (ReduceLROnPlateau's `best`), which `stateDictToJSON`-style tagging or a
 * replacer must carry.
 */
export type SchedulerStateDict = { [key: string]: SchedulerStateValue };

function copyValue(value: SchedulerStateValue): SchedulerStateValue {
  if (Array.isArray(value)) return value.map(copyValue);
  if (typeof value === "object" && value !== null) {
    const out: { [key: string]: SchedulerStateValue } = {};
    for (const [k, v] of Object.entries(value)) out[k] = copyValue(v);
    return out;
  }
  return value;
}

function isStateValue(value: unknown): value is SchedulerStateValue {
  if (value === null || typeof value === "number" || typeof value === "string" || typeof value === "boolean") {
    return true;
  }
  if (Array.isArray(value)) return value.every(isStateValue);
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value as object).every(isStateValue);
  }
  return false;
}

/** Every own enumerable data attribute of `owner` except `skip` (deep copies): torch's `__dict__` minus the optimizer. */
export function snapshotState(owner: object, skip: readonly string[] = []): SchedulerStateDict {
  const out: SchedulerStateDict = {};
  for (const [key, value] of Object.entries(owner)) {
    if (key === "optimizer" || skip.includes(key) || value === undefined || typeof value === "function") continue;
    if (!isStateValue(value)) continue;
    out[key] = copyValue(value);
  }
  return out;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * torch's `__dict__.update(state_dict)`, checked first: every key must be one of the
 * scheduler's state keys and hold the same kind of value (a number for a number, an array
 * for an array; null may replace or be replaced by anything, as torch's `best` starts None).
 * Nothing changes when a check fails.
 */
export function restoreState(owner: object, stateDict: SchedulerStateDict, skip: readonly string[] = []): void {
  if (typeof stateDict !== "object" || stateDict === null || Array.isArray(stateDict)) {
    throw new TypeError(`${owner.constructor.name}.loadStateDict: expected a state dict object, got ${typeName(stateDict)}`);
  }
  const current = snapshotState(owner, skip);
  const entries = Object.entries(stateDict).filter(([key]) => !skip.includes(key));
  for (const [key, value] of entries) {
    if (!Object.hasOwn(current, key)) {
      throw new TypeError(`${owner.constructor.name}.loadStateDict: unexpected key "${key}"`);
    }
    if (!isStateValue(value)) {
      throw new TypeError(`${owner.constructor.name}.loadStateDict: "${key}" is a ${typeName(value)}, not plain data`);
    }
    const [was, now] = [kindOf(current[key]), kindOf(value)];
    if (was !== now && was !== "null" && now !== "null") {
      throw new TypeError(`${owner.constructor.name}.loadStateDict: "${key}" should be a ${was}, got a ${now}`);
    }
  }
  const target = owner as Record<string, unknown>;
  for (const [key, value] of entries) target[key] = copyValue(value);
}
