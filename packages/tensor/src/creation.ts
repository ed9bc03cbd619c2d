import {
  DEFAULT_DTYPE, checkDType, checkInt32, dtypeOf, isFloating, type DType, type FloatArray, type TypedArray,
} from "./dtype";
import { ArgumentError, DTypeError, ShapeError, TensorError, fmtShape } from "./errors";
import { defaultGenerator, type Generator } from "./random";
import { checkShape, numelOf } from "./shape";
import { Tensor } from "./tensor";

/** Options of the creation functions. */
export interface TensorOptions {
  /** The element type; float32 unless the function says otherwise (arange, randint, tensor). */
  dtype?: DType;
  /** Make the result a leaf that requires grad (floating dtypes only); false by default. */
  requiresGrad?: boolean;
}

/** Options of `tensor()`: a flat array or typed array needs its `shape`. */
export interface TensorDataOptions extends TensorOptions {
  /** The shape of flat or typed-array data, in row-major order; required for flat arrays. */
  shape?: readonly number[];
}

/** Nested arrays of numbers (or booleans), as `tensor()` accepts them. */
export type NestedData = number | boolean | readonly NestedData[];

/** Options of the random creation functions. */
export interface RandomOptions extends TensorOptions {
  /** The stream to draw from; `defaultGenerator` (reseeded by `manualSeed`) by default. */
  generator?: Generator;
}

function finish(t: Tensor, options: TensorOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** `options.dtype` checked (a DTypeError naming the op for an unknown one), or `fallback`. */
function dtypeOption(op: string, options: TensorOptions, fallback: DType): DType {
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`${op}: options must be an object such as { dtype: "float32" }, got ${String(options)}`);
  }
  return options.dtype === undefined ? fallback : checkDType(op, options.dtype);
}

const BYTES_PER_ELEMENT: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

/**
 * A new zero-filled tensor for a creation op; storage the engine cannot allocate (more than a
 * typed array holds, or than memory has) is a TensorError naming the op, the shape and the bytes.
 */
function make(op: string, shape: readonly number[], dtype: DType): Tensor {
  try {
    return Tensor.empty(shape, dtype);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const bytes = numelOf(shape) * BYTES_PER_ELEMENT[dtype];
    throw new TensorError(
      `${op}: can't allocate memory for a ${dtype} tensor of shape ${fmtShape(shape)}: ` +
        `you tried to allocate ${bytes} bytes (${e.message})`,
    );
  }
}

/** What a number becomes in a bool tensor: true unless 0 (NaN is true, as in torch). */
function boolValue(v: number): number {
  return v !== 0 ? 1 : 0;
}

/**
 * Make a tensor from a number, nested arrays, or a flat array / typed array with
 * `options.shape`. Always copies the data (use `fromNdarray` or `new Tensor` to wrap
 * storage without copying). The dtype defaults to float32, or to the typed array's own.
 */
export function tensor(data: NestedData | ArrayLike<number> | TypedArray, options: TensorDataOptions = {}): Tensor {
  let shape: number[];
  let flat: ArrayLike<number>;
  let dtype = options.dtype === undefined ? undefined : dtypeOption("tensor", options, DEFAULT_DTYPE);
  if (ArrayBuffer.isView(data)) {
    dtype ??= dtypeOf(data as TypedArray);
    flat = data as TypedArray;
    shape = options.shape ? [...options.shape] : [flat.length];
  } else if (options.shape !== undefined) {
    if (!Array.isArray(data)) throw new ArgumentError("tensor: with `shape`, data must be a flat array or typed array");
    flat = (data as unknown[]).map((v, i) => toNumber(v, [i]));
    shape = [...options.shape];
  } else {
    shape = inferShape(data as NestedData);
    flat = flatten(data as NestedData, shape);
    if (dtype === undefined && shape.length > 0 && isAllBoolean(data as NestedData)) dtype = "bool";
    if (dtype === undefined && typeof data === "boolean") dtype = "bool";
  }
  checkShape("tensor", shape);
  if (numelOf(shape) !== flat.length) {
    throw new ShapeError(`tensor: shape ${fmtShape(shape)} needs ${numelOf(shape)} values, got ${flat.length}`);
  }
  const t = make("tensor", shape, dtype ?? DEFAULT_DTYPE);
  const storage = t._data;
  if (storage instanceof Uint8Array) for (let i = 0; i < flat.length; i++) storage[i] = boolValue(flat[i]);
  else if (storage instanceof Int32Array) {
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (!(v > -2147483649 && v < 2147483648)) {
        throw new ArgumentError(`tensor: value cannot be converted to type int32 without overflow (got ${v} at flat index ${i})`);
      }
      storage[i] = v;
    }
  } else storage.set(flat);
  return finish(t, options);
}

function toNumber(v: unknown, where: readonly number[]): number {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  throw new ArgumentError(`tensor: expected a number at index [${where.join(", ")}], got ${typeof v}`);
}

function isAllBoolean(data: NestedData): boolean {
  return Array.isArray(data) ? data.every((d) => isAllBoolean(d as NestedData)) : typeof data === "boolean";
}

function inferShape(data: NestedData): number[] {
  const shape: number[] = [];
  let level: NestedData = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0] as NestedData;
  }
  return shape;
}

function flatten(data: NestedData, shape: readonly number[]): number[] {
  const out: number[] = [];
  const walk = (v: NestedData, depth: number, where: number[]): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw new ShapeError(`tensor: too many levels of nesting at index [${where.join(", ")}]`);
      out.push(toNumber(v, where));
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      const got = Array.isArray(v) ? v.length : typeof v;
      throw new ShapeError(`tensor: expected sequence of length ${shape[depth]} at dim ${depth} (got ${got})`);
    }
    v.forEach((item, i) => walk(item as NestedData, depth + 1, [...where, i]));
  };
  walk(data, 0, []);
  return out;
}

/** A new tensor of `shape` filled with `value` (float32 by default), as torch.full. */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  return filled("full", shape, value, options);
}

function filled(op: string, shape: readonly number[], value: number, options: TensorOptions): Tensor {
  checkShape(op, shape);
  const dtype = dtypeOption(op, options, DEFAULT_DTYPE);
  if (typeof value !== "number") throw new ArgumentError(`${op}: fill value must be a number, got ${typeof value}`);
  if (dtype === "int32") checkInt32(op, value);
  const t = make(op, shape, dtype);
  if (value !== 0) t._data.fill(dtype === "bool" ? boolValue(value) : value);
  return finish(t, options);
}

/** A new zero-filled tensor of `shape` (float32 by default), as torch.zeros. */
export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return filled("zeros", shape, 0, options);
}

/** A new tensor of `shape` filled with 1 (float32 by default), as torch.ones. */
export function ones(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return filled("ones", shape, 1, options);
}

/** Zeros of `t`'s shape and dtype (unless `options.dtype`), as torch.zeros_like. */
export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return filled("zerosLike", t.shape, 0, { dtype: t.dtype, ...options });
}

/** Ones of `t`'s shape and dtype (unless `options.dtype`), as torch.ones_like. */
export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return filled("onesLike", t.shape, 1, { dtype: t.dtype, ...options });
}

/** `value` in `t`'s shape and dtype (unless `options.dtype`), as torch.full_like. */
export function fullLike(t: Tensor, value: number, options: TensorOptions = {}): Tensor {
  return filled("fullLike", t.shape, value, { dtype: t.dtype, ...options });
}

/**
 * Values from start (inclusive) to end (exclusive) by step; `arange(5)` is 0..4.
 * Integer arguments give int32 (torch gives int64), otherwise float32.
 */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step)) throw new ArgumentError(`arange: step must be nonzero and finite, got ${step}`);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new ArgumentError(`arange: bounds must be finite, got ${lo} and ${hi}`);
  if ((hi - lo) * step < 0) {
    throw new ArgumentError(`arange: upper bound and larger bound inconsistent with step sign (${lo}, ${hi}, ${step})`);
  }
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const integral = Number.isInteger(lo) && Number.isInteger(hi) && Number.isInteger(step);
  const dtype = dtypeOption("arange", options, integral ? "int32" : DEFAULT_DTYPE);
  if (dtype === "bool") throw new DTypeError("arange: not implemented for bool (torch: \"arange_cpu\" not implemented for 'Bool')");
  checkShape("arange", [n]);
  if (dtype === "int32" && n > 0) {
    checkInt32("arange", lo);
    checkInt32("arange", lo + (n - 1) * step);
  }
  const t = make("arange", [n], dtype);
  for (let i = 0; i < n; i++) t._data[i] = lo + i * step;
  return finish(t, options);
}

/** `steps` evenly spaced values from start to end, both included. */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ArgumentError(`linspace: number of steps must be non-negative, got ${steps}`);
  const dtype = dtypeOption("linspace", options, DEFAULT_DTYPE);
  if (dtype === "bool") throw new DTypeError("linspace: not implemented for bool (torch: \"linspace_cpu\" not implemented for 'Bool')");
  checkShape("linspace", [steps]);
  if (dtype === "int32" && steps > 0) {
    checkInt32("linspace", start);
    checkInt32("linspace", end);
  }
  const t = make("linspace", [steps], dtype);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill from both ends, as torch, so the last value is exactly `end`.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) t._data[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  return finish(t, options);
}

/** The n x m identity (m defaults to n). */
export function eye(n: number, m = n, options: TensorOptions = {}): Tensor {
  checkShape("eye", [n, m]);
  const t = make("eye", [n, m], dtypeOption("eye", options, DEFAULT_DTYPE));
  for (let i = 0; i < Math.min(n, m); i++) t._data[i * m + i] = 1;
  return finish(t, options);
}

function floatDtype(op: string, options: TensorOptions): "float32" | "float64" {
  const dtype = dtypeOption(op, options, DEFAULT_DTYPE);
  if (!isFloating(dtype)) throw new ArgumentError(`${op}: expected a floating point dtype, got ${dtype}`);
  return dtype;
}

/** Uniform values in [0, 1) from the seeded generator. */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  checkShape("rand", shape);
  const t = make("rand", shape, floatDtype("rand", options));
  (options.generator ?? defaultGenerator).fillUniform(t._data as FloatArray, 0, 1);
  return finish(t, options);
}

/** Standard normal values from the seeded generator. */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  checkShape("randn", shape);
  const t = make("randn", shape, floatDtype("randn", options));
  (options.generator ?? defaultGenerator).fillNormal(t._data as FloatArray, 0, 1);
  return finish(t, options);
}

/** Uniform integers in [low, high) (int32 unless a float dtype is asked for). */
export function randint(low: number, high: number, shape: readonly number[], options: RandomOptions = {}): Tensor {
  checkShape("randint", shape);
  const dtype = dtypeOption("randint", options, "int32");
  if (dtype === "bool") throw new ArgumentError("randint: bool is not a supported dtype");
  if (typeof low !== "number" || typeof high !== "number" || !Number.isSafeInteger(low) || !Number.isSafeInteger(high)) {
    throw new ArgumentError(`randint: low (${String(low)}) and high (${String(high)}) must be integers`);
  }
  if (!(low < high)) throw new ArgumentError(`randint: low (${low}) must be < high (${high})`);
  if (dtype === "int32") {
    checkInt32("randint", low);
    checkInt32("randint", high - 1);
  }
  const t = make("randint", shape, dtype);
  (options.generator ?? defaultGenerator).fillRandint(t._data as Int32Array | FloatArray, low, high);
  return finish(t, options);
}
