import { Tensor, tensor, type DType } from "@minigrad/tensor";
import { typeName } from "./errors";
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
  shape: number[];
  dtype: DType;
  data: (number | SpecialNumber)[];
}

/** A state dict as JSON: tensors become `{ "$tensor": TensorJSON }`, special numbers `{ "$number": "NaN" }`. */
export interface StateDictJSON {
  state: { [id: string]: { [key: string]: JSONValue } };
  paramGroups: ({ [key: string]: JSONValue } & { params: number[] })[];
}

const TENSOR_TAG = "$tensor";
const NUMBER_TAG = "$number";
const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];
const SPECIALS: Record<SpecialNumber, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };

function encodeNumber(x: number): number | SpecialNumber {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return Object.is(x, -0) ? "-0" : x;
}

function decodeNumber(x: unknown, where: string): number {
  if (typeof x === "number") return x;
  if (typeof x === "string" && x in SPECIALS) return SPECIALS[x as SpecialNumber];
  throw new TypeError(`stateDictFromJSON: ${where} is not a number: ${JSON.stringify(x)}`);
}

function encode(value: unknown, where: string): JSONValue {
  if (value instanceof Tensor) {
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
      if (v !== undefined) out[k] = encode(v, `${where}.${k}`);
    }
    return out;
  }
  throw new TypeError(`stateDictToJSON: cannot write ${where}, a ${typeName(value)}, as JSON`);
}

function decodeTensor(json: unknown, where: string): Tensor {
  const t = json as Partial<TensorJSON> | null;
  if (!isGroupObject(t) || !Array.isArray(t.shape) || !Array.isArray(t.data) || !DTYPES.includes(t.dtype as DType)) {
    throw new TypeError(`stateDictFromJSON: ${where} is not a tensor ({ shape, dtype, data })`);
  }
  const shape = t.shape;
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError(`stateDictFromJSON: ${where} has a bad shape`);
  }
  const numel = shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== numel) {
    throw new TypeError(`stateDictFromJSON: ${where} has ${t.data.length} values for shape [${shape.join(", ")}]`);
  }
  const data = t.data.map((x, i) => decodeNumber(x, `${where} value ${i}`));
  return tensor(data, { shape, dtype: t.dtype });
}

function decode(json: unknown, where: string): unknown {
  if (Array.isArray(json)) return json.map((v, i) => decode(v, `${where}[${i}]`));
  if (!isGroupObject(json)) return json;
  const keys = Object.keys(json);
  if (keys.length === 1 && keys[0] === TENSOR_TAG) return decodeTensor(json[TENSOR_TAG], where);
  if (keys.length === 1 && keys[0] === NUMBER_TAG) return decodeNumber(json[NUMBER_TAG], where);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) out[k] = decode(v, `${where}.${k}`);
  return out;
}

/**
 * A state dict as plain JSON data, so that `JSON.parse(JSON.stringify(stateDictToJSON(sd)))`
 * read by `stateDictFromJSON` gives back an equal state dict: same ids, options, `step`s and
 * tensors (shape, dtype and every value bit for bit, including -0, ±Infinity and NaN).
 */
export function stateDictToJSON(stateDict: OptimizerStateDict): StateDictJSON {
  return encode(stateDict, "stateDict") as unknown as StateDictJSON;
}

/** The inverse of `stateDictToJSON`: takes the parsed JSON, returns a state dict to load. */
export function stateDictFromJSON(json: unknown): OptimizerStateDict {
  const sd = decode(json, "stateDict");
  const { state, paramGroups } = (isGroupObject(sd) ? sd : {}) as Record<string, unknown>;
  if (!isGroupObject(state) || !Array.isArray(paramGroups)) {
    throw new TypeError("stateDictFromJSON: expected { state, paramGroups }");
  }
  return sd as OptimizerStateDict;
}
