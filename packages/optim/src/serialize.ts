import { Tensor, tensor, type DType } from "@minigrad/tensor";
import { OptimizerError, typeName } from "./errors";
import { isGroupObject } from "./param-groups";
import type { OptimizerStateDict } from "./state-dict";

/** Any value `JSON.stringify` writes and `JSON.parse` reads back unchanged. */
export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

/** A number JSON cannot write (NaN, ±Infinity) or would write lossily (-0 becomes 0). */
export type SpecialNumber = "NaN" | "Infinity" | "-Infinity" | "-0";

/**
 * A tensor in a JSON checkpoint: row-major values, as the conformance fixtures store them.
 * Values are doubles, which `JSON.stringify` prints in a form that parses back to the same
 * double, so every float32 and float64 value round-trips bit for bit. Special values are
 * strings (NaN payloads are not kept: every NaN reads back as the canonical NaN).
 */
export interface TensorJSON {
  /** The tensor's size along each dimension. */
  shape: number[];
  /** The tensor's dtype: float32, float64, int32 or bool. */
  dtype: DType;
  /** Every element, row-major; NaN, ±Infinity and -0 as strings. */
  data: (number | SpecialNumber)[];
}

/** A state dict as JSON: tensors become `{ "$tensor": TensorJSON }`, special numbers `{ "$number": "NaN" }`. */
export interface StateDictJSON {
  /** `OptimizerStateDict.state` encoded: ids as string keys, tensors and special numbers tagged. */
  state: { [id: string]: { [key: string]: JSONValue } };
  /** `OptimizerStateDict.paramGroups` encoded: options tagged as in state, params as ids. */
  paramGroups: ({ [key: string]: JSONValue } & { params: number[] })[];
}

/** A module's state dict, as `model.stateDict()` returns it: tensors by torch's keys (`fc1.weight`). */
export type ModuleStateDict = Record<string, Tensor>;

/** A module's state dict as JSON: every value a `{ "$tensor": TensorJSON }`. */
export type ModuleStateDictJSON = { [key: string]: { $tensor: TensorJSON } };

const TENSOR_TAG = "$tensor";
const NUMBER_TAG = "$number";
const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];
// A Map, not an object: `"constructor" in {}` is true, and JSON strings must never reach a prototype.
const SPECIALS: ReadonlyMap<string, number> = new Map<SpecialNumber, number>([
  ["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity], ["-0", -0],
]);
const TENSOR_KEYS = ["shape", "dtype", "data"];
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function encodeNumber(x: number): number | SpecialNumber {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return Object.is(x, -0) ? "-0" : x;
}

function decodeNumber(x: unknown, where: string, fn: string): number {
  if (typeof x === "number") return x;
  const special = typeof x === "string" ? SPECIALS.get(x) : undefined;
  if (special !== undefined) return special;
  const known = [...SPECIALS.keys()].map((k) => `"${k}"`).join(", ");
  throw new TypeError(`${fn}: ${where} is not a number (nor one of ${known}): ${JSON.stringify(x) ?? String(x)}`);
}

/** `where.key` (`stateDict.state.0`), or `where["key"]` for keys like `fc1.weight`. */
function child(where: string, key: string): string {
  return /^[A-Za-z_$0-9][\w$]*$/.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`;
}

function encode(value: unknown, where: string): JSONValue {
  if (value instanceof Tensor) {
    if (value.isDisposed) throw new OptimizerError(`stateDictToJSON: ${where} was disposed`);
    const data = Array.from(value.toTypedArray(), encodeNumber);
    return { [TENSOR_TAG]: { shape: [...value.shape], dtype: value.dtype, data } };
  }
  if (typeof value === "number") {
    const encoded = encodeNumber(value);
    return typeof encoded === "number" ? encoded : { [NUMBER_TAG]: encoded };
  }
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map((v, i) => encode(v, `${where}[${i}]`));
  if (isGroupObject(value)) {
    const out: { [key: string]: JSONValue } = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === TENSOR_TAG || k === NUMBER_TAG) {
        throw new TypeError(`stateDictToJSON: ${where} uses the reserved key '${k}'`);
      }
      if (v !== undefined) out[k] = encode(v, child(where, k));
    }
    return out;
  }
  throw new TypeError(`stateDictToJSON: cannot write ${where}, a ${typeName(value)}, as JSON`);
}

function decodeTensor(json: unknown, where: string, fn: string): Tensor {
  // Own properties only, exactly these three: nothing is read through a prototype.
  const own = isGroupObject(json) ? json : undefined;
  const keys = own === undefined ? [] : Object.keys(own);
  if (own === undefined || keys.length !== 3 || !TENSOR_KEYS.every((k) => Object.hasOwn(own, k))) {
    throw new TypeError(`${fn}: ${where} is not a tensor ({ shape, dtype, data })`);
  }
  const { shape, dtype, data } = own;
  if (typeof dtype !== "string" || !(DTYPES as readonly string[]).includes(dtype)) {
    throw new TypeError(`${fn}: ${where} is not a tensor ({ shape, dtype, data }): unknown dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || !Array.isArray(data)) {
    throw new TypeError(`${fn}: ${where} is not a tensor ({ shape, dtype, data })`);
  }
  if (!shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new TypeError(`${fn}: ${where} has a bad shape ${JSON.stringify(shape)}`);
  }
  const dims = shape as number[];
  const numel = dims.reduce((a, b) => a * b, 1);
  if (data.length !== numel) {
    throw new TypeError(`${fn}: ${where} has ${data.length} values for shape [${dims.join(", ")}]`);
  }
  const values = data.map((x, i) => decodeValue(x, dtype as DType, `${where} value ${i}`, fn));
  return tensor(values, { shape: dims, dtype: dtype as DType });
}

/** One element of a tensor: what its dtype can hold exactly, or a TypeError (never a silent wrap). */
function decodeValue(x: unknown, dtype: DType, where: string, fn: string): number {
  if (dtype === "float32" || dtype === "float64") return decodeNumber(x, where, fn);
  const ok = dtype === "bool" ? x === 0 || x === 1 : Number.isInteger(x) && (x as number) >= INT32_MIN && (x as number) <= INT32_MAX;
  if (!ok) throw new TypeError(`${fn}: ${where} is not a ${dtype} value: ${JSON.stringify(x) ?? String(x)}`);
  return x as number;
}

function decode(json: unknown, where: string, fn: string): unknown {
  if (Array.isArray(json)) return json.map((v, i) => decode(v, `${where}[${i}]`, fn));
  if (!isGroupObject(json)) return json;
  const keys = Object.keys(json);
  const tag = keys.find((k) => k === TENSOR_TAG || k === NUMBER_TAG);
  if (tag !== undefined) {
    // stateDictToJSON never writes a tag next to other keys: such an object is not ours.
    if (keys.length !== 1) {
      throw new TypeError(`${fn}: ${where} has the reserved key '${tag}' next to other keys (${keys.join(", ")})`);
    }
    if (tag === TENSOR_TAG) return decodeTensor(json[tag], where, fn);
    // stateDictToJSON tags only the specials; a plain number is written as itself.
    if (typeof json[tag] !== "string") throw new TypeError(`${fn}: ${where} is not a number: ${JSON.stringify(json)}`);
    return decodeNumber(json[tag], where, fn);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) {
    const at = child(where, k);
    // JSON.parse makes "__proto__" an own key; assigning it would replace out's prototype.
    if (k === "__proto__") throw new TypeError(`${fn}: ${at} is not allowed (it would replace a prototype)`);
    out[k] = decode(v, at, fn);
  }
  return out;
}

/**
 * A state dict as plain JSON data, so that `JSON.parse(JSON.stringify(stateDictToJSON(sd)))`
 * read by `stateDictFromJSON` gives back an equal state dict: same ids, options, `step`s and
 * tensors (shape, dtype and every value bit for bit, including -0, ±Infinity and NaN).
 * Takes an optimizer's state dict or a module's (`model.stateDict()`, read back by
 * `moduleStateDictFromJSON`).
 */
export function stateDictToJSON(stateDict: OptimizerStateDict): StateDictJSON;
export function stateDictToJSON(stateDict: ModuleStateDict): ModuleStateDictJSON;
export function stateDictToJSON(stateDict: OptimizerStateDict | ModuleStateDict): StateDictJSON | ModuleStateDictJSON {
  if (!isGroupObject(stateDict)) {
    throw new TypeError(`stateDictToJSON: expected a state dict (an object), but got ${typeName(stateDict)}`);
  }
  return encode(stateDict, "stateDict") as unknown as StateDictJSON | ModuleStateDictJSON;
}

/** The inverse of `stateDictToJSON`: takes the parsed JSON, returns a state dict to load. */
export function stateDictFromJSON(json: unknown): OptimizerStateDict {
  const sd = decode(json, "stateDict", "stateDictFromJSON");
  const { state, paramGroups } = (isGroupObject(sd) ? sd : {}) as Record<string, unknown>;
  if (!isGroupObject(state) || !Array.isArray(paramGroups)) {
    throw new TypeError("stateDictFromJSON: expected { state, paramGroups }");
  }
  return sd as OptimizerStateDict;
}

/**
 * A module's state dict from what `stateDictToJSON(model.stateDict())` wrote (after
 * `JSON.parse`): every value must be a tensor. Pass the result to `model.loadStateDict`.
 */
export function moduleStateDictFromJSON(json: unknown): ModuleStateDict {
  const fn = "moduleStateDictFromJSON";
  if (!isGroupObject(json)) throw new TypeError(`${fn}: expected an object of tensors, but got ${typeName(json)}`);
  const sd = decode(json, "stateDict", fn) as Record<string, unknown>;
  for (const [key, value] of Object.entries(sd)) {
    if (!(value instanceof Tensor)) {
      throw new TypeError(`${fn}: ${child("stateDict", key)} is not a tensor but ${typeName(value)}`);
    }
  }
  return sd as ModuleStateDict;
}
