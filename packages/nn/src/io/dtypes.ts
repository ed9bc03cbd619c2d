import type { DType } from "@minigrad/tensor";

/** The safetensors dtypes minigrad reads and writes (the format also has F8 and complex ones). */
export type SafetensorsDType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U64" | "U32" | "U16" | "U8" | "BOOL";

/** How one safetensors dtype is stored, and what minigrad dtype it reads into. */
export interface Codec {
  /** Bytes per element. */
  readonly size: number;
  /** The dtype of the tensor a read gives (F16 and BF16 widen to float32, integers narrow to int32). */
  readonly reads: DType;
  /** The minigrad dtypes that may be written as this one. */
  readonly writes: readonly DType[];
  /** Whether the bytes are exactly the storage of `reads` on a little-endian machine. */
  readonly native: boolean;
  /** The element at `at`, or undefined when `reads` cannot hold it (an int64 beyond int32). */
  read(view: DataView, at: number): number | undefined;
  /** The element at `at` as text, whatever its value (for messages). */
  describe(view: DataView, at: number): string;
  /** Store `x` (a value of one of `writes`) at `at`; false when this dtype cannot hold it. */
  write(view: DataView, at: number, x: number): boolean;
}

const FLOATS: readonly DType[] = ["float32", "float64"];
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function intCodec(
  size: number,
  min: number,
  max: number,
  read: (v: DataView, at: number) => number | bigint,
  write: (v: DataView, at: number, x: number) => void,
): Codec {
  return {
    size, reads: "int32", writes: ["int32"], native: size === 4 && min < 0,
    describe: (view, at) => String(read(view, at)),
    read(view, at) {
      const x = Number(read(view, at));
      return x >= INT32_MIN && x <= INT32_MAX ? x : undefined;
    },
    write(view, at, x) {
      if (!(x >= min && x <= max)) return false;
      write(view, at, x);
      return true;
    },
  };
}

export const CODECS: ReadonlyMap<string, Codec> = new Map<SafetensorsDType, Codec>([
  ["F64", {
    size: 8, reads: "float64", writes: FLOATS, native: true,
    read: (v, at) => v.getFloat64(at, true),
    describe: (v, at) => String(v.getFloat64(at, true)),
    write: (v, at, x) => (v.setFloat64(at, x, true), true),
  }],
  ["F32", {
    size: 4, reads: "float32", writes: FLOATS, native: true,
    read: (v, at) => v.getFloat32(at, true),
    describe: (v, at) => String(v.getFloat32(at, true)),
    write: (v, at, x) => (v.setFloat32(at, x, true), true),
  }],
  ["F16", {
    size: 2, reads: "float32", writes: FLOATS, native: false,
    read: (v, at) => halfToNumber(v.getUint16(at, true)),
    describe: (v, at) => String(halfToNumber(v.getUint16(at, true))),
    write: (v, at, x) => (v.setUint16(at, numberToHalf(x), true), true),
  }],
  ["BF16", {
    size: 2, reads: "float32", writes: FLOATS, native: false,
    read: (v, at) => bfloat16ToNumber(v.getUint16(at, true)),
    describe: (v, at) => String(bfloat16ToNumber(v.getUint16(at, true))),
    write: (v, at, x) => (v.setUint16(at, numberToBfloat16(x), true), true),
  }],
  ["I64", intCodec(8, -(2 ** 63), 2 ** 63, (v, at) => v.getBigInt64(at, true), (v, at, x) => v.setBigInt64(at, BigInt(x), true))],
  ["I32", intCodec(4, INT32_MIN, INT32_MAX, (v, at) => v.getInt32(at, true), (v, at, x) => v.setInt32(at, x, true))],
  ["I16", intCodec(2, -32768, 32767, (v, at) => v.getInt16(at, true), (v, at, x) => v.setInt16(at, x, true))],
  ["I8", intCodec(1, -128, 127, (v, at) => v.getInt8(at), (v, at, x) => v.setInt8(at, x))],
  ["U64", intCodec(8, 0, 2 ** 64, (v, at) => v.getBigUint64(at, true), (v, at, x) => v.setBigUint64(at, BigInt(x), true))],
  ["U32", intCodec(4, 0, 2 ** 32 - 1, (v, at) => v.getUint32(at, true), (v, at, x) => v.setUint32(at, x, true))],
  ["U16", intCodec(2, 0, 65535, (v, at) => v.getUint16(at, true), (v, at, x) => v.setUint16(at, x, true))],
  ["U8", intCodec(1, 0, 255, (v, at) => v.getUint8(at), (v, at, x) => v.setUint8(at, x))],
  ["BOOL", {
    size: 1, reads: "bool", writes: ["bool"], native: true,
    describe: (v, at) => String(v.getUint8(at)),
    read: (v, at) => {
      const b = v.getUint8(at);
      return b <= 1 ? b : undefined;
    },
    write: (v, at, x) => (v.setUint8(at, x), true),
  }],
]);

/** What a minigrad dtype is written as unless asked otherwise. */
export const DEFAULT_FILE_DTYPE: Readonly<Record<DType, SafetensorsDType>> = {
  float32: "F32", float64: "F64", int32: "I32", bool: "BOOL",
};

// One scratch word for moving between float32 values and their bits.
const scratch = new DataView(new ArrayBuffer(4));

function float32Bits(x: number): number {
  scratch.setFloat32(0, x);
  return scratch.getUint32(0);
}

/** Round half to even, for y >= 0 (Math.round rounds halves up). */
function roundHalfEven(y: number): number {
  const r = Math.round(y);
  return r - y === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** An IEEE half's value (exact: every half is a float32). */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/**
 * The IEEE half nearest to `x` (ties to even, overflow to ±Infinity, NaN as 0x7e00 with its
 * sign), as torch: a float64 is rounded to float32 first, as c10::Half's constructor does.
 */
export function numberToHalf(x: number): number {
  const bits32 = float32Bits(x);
  const sign = (bits32 >>> 16) & 0x8000;
  const a = Math.abs(Math.fround(x));
  if (Number.isNaN(a)) return sign | 0x7e00;
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24); // subnormal (1024 is the smallest normal)
  let e = (bits32 >>> 23 & 0xff) - 127; // a is a normal float32 here
  let m = roundHalfEven(a * 2 ** (10 - e)); // in [1024, 2048], exact scaling
  if (m === 2048) {
    e++;
    m = 1024;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | (m - 1024);
}

/** A bfloat16's value: the top half of a float32. */
export function bfloat16ToNumber(bits: number): number {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
}

/**
 * The bfloat16 nearest to `x`, with torch's rounding (c10's round_to_nearest_even on the
 * float32 bits: ties to even, NaN as 0x7fc0); a float64 is rounded to float32 first.
 */
export function numberToBfloat16(x: number): number {
  if (Number.isNaN(x)) return 0x7fc0;
  const u = float32Bits(x);
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}
