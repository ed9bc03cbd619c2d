import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arange, tensor } from "@minigrad/tensor";
import { SAFETENSORS_ERROR_CODES, SafetensorsError, deserialize, serialize } from "@minigrad/nn";
import { elementBits } from "./helpers/safetensors";

// Valid files to mutate: every dtype the reader knows, 0-d, empty, metadata.
const seeds: Uint8Array[] = [
  serialize(
    {
      w: arange(0, 6).reshape([2, 3]),
      b: tensor([0.5, -1.5, NaN], { dtype: "float64" }),
      i: tensor([1, -2, 3], { dtype: "int32" }),
      m: tensor([true, false]),
      s: tensor(3),
      e: tensor([], { shape: [0, 4] }),
    },
    { metadata: { format: "pt", note: "λ" } },
  ),
  serialize(
    { h: tensor([1, 2.5, -0]), g: tensor([3, 4]), l: tensor([7, -8], { dtype: "int32" }), u: tensor([255, 0], { dtype: "int32" }) },
    { dtypes: { h: "F16", g: "BF16", l: "I64", u: "U8" } },
  ),
  serialize({ x: tensor([5], { dtype: "int32" }), y: tensor([6], { dtype: "int32" }) }, { dtypes: { x: "U32", y: "I16" } }),
];

const SIZES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1 };

function half(bits: number): number {
  const e = (bits >> 10) & 31, m = bits & 1023, s = bits >> 15 ? -1 : 1;
  return e === 31 ? (m ? NaN : s * Infinity) : s * 2 ** (e === 0 ? -14 : e - 15) * ((e === 0 ? 0 : 1) + m / 1024);
}

/** Reference decoding of one element, written independently of src/io (DataView, no tables). */
function element(view: DataView, dtype: string, at: number): number | bigint {
  switch (dtype) {
    case "F64": return view.getFloat64(at, true);
    case "F32": return view.getFloat32(at, true);
    case "F16": return Math.fround(half(view.getUint16(at, true)));
    case "BF16": return new Float32Array(new Uint32Array([view.getUint16(at, true) * 65536]).buffer)[0];
    case "I64": return view.getBigInt64(at, true);
    case "U64": return view.getBigUint64(at, true);
    case "I32": return view.getInt32(at, true);
    case "U32": return view.getUint32(at, true);
    case "I16": return view.getInt16(at, true);
    case "U16": return view.getUint16(at, true);
    case "I8": return view.getInt8(at);
    default: return view.getUint8(at);
  }
}

/** What a successful read must have returned: checked against the file by a second reading. */
function checkAccepted(bytes: Uint8Array, got: Record<string, import("@minigrad/tensor").Tensor>): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  const dataStart = 8 + n;
  const keys = Object.keys(header).filter((k) => k !== "__metadata__");
  expect(Object.keys(got).sort()).toEqual(keys.sort());
  const ranges: [number, number][] = [];
  for (const key of keys) {
    const { dtype, shape, data_offsets: [begin, end] } = header[key];
    const size = SIZES[dtype];
    const numel = shape.reduce((a: number, b: number) => a * b, 1);
    expect(end - begin).toBe(numel * size);
    ranges.push([begin, end]);
    const want: number[] = [];
    for (let i = 0; i < numel; i++) {
      const x = element(view, dtype, dataStart + begin + i * size);
      expect(dtype === "BOOL" ? x === 0 || x === 1 : typeof x === "number" || (x >= -(2n ** 31n) && x < 2n ** 31n)).toBe(true);
      want.push(Number(x));
    }
    const t = got[key];
    expect(t.shape).toEqual(shape);
    const reads = dtype === "F64" ? "float64" : dtype === "F32" || dtype === "F16" || dtype === "BF16" ? "float32" : dtype === "BOOL" ? "bool" : "int32";
    expect(t.dtype).toBe(reads);
    const wantBits = elementBits(tensor(want, { shape: [want.length], dtype: reads }));
    const gotBits = elementBits(t.reshape([-1]));
    // NaN payloads may differ between the two readings; compare NaNs as NaN.
    const values = Array.from(t.toTypedArray());
    values.forEach((v, i) => {
      if (!Number.isNaN(v)) expect(gotBits[i]).toBe(wantBits[i]);
      else expect(Number.isNaN(want[i])).toBe(true);
    });
  }
  // What was allocated for the result is bounded by the file (U8 widening to int32 is the worst: 4x).
  const BYTES: Record<string, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };
  const allocated = Object.values(got).reduce((s, t) => s + t.numel * BYTES[t.dtype], 0);
  expect(allocated).toBeLessThanOrEqual(4 * bytes.length);
  // The ranges tile the data buffer exactly.
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let covered = 0;
  for (const [begin, end] of ranges) {
    expect(begin).toBe(covered);
    covered = end;
  }
  expect(covered).toBe(bytes.length - dataStart);
}

const TOKENS = ['"', "{", "}", "[", "]", ",", ":", "0", "-1", "1e400", "4", "8", "9007199254740993", "null", "true",
  '"__proto__"', '"dtype"', '"F32"', '"I64"', '"BOOL"', '"shape"', '"data_offsets"', '"__metadata__"', "\\u0000", " ", "1.5"];

type Mutation = (b: Uint8Array) => Uint8Array;
const byteAt = (f: (b: Uint8Array, i: number) => Uint8Array) => fc.nat().map((k): Mutation => (b) => (b.length === 0 ? b : f(b, k % b.length)));
const withLength = (json: Uint8Array, rest: Uint8Array, fix: boolean, old: number): Uint8Array => {
  const out = new Uint8Array(8 + json.length + rest.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(fix ? json.length : old), true);
  out.set(json, 8);
  out.set(rest, 8 + json.length);
  return out;
};
/** Change one field of one entry of a header that still parses (a dtype, a dim, an offset), with the length fixed. */
const fieldEdit = fc
  .tuple(fc.nat(), fc.constantFrom("dtype", "dim", "ndim", "begin", "end"), fc.integer({ min: -2, max: 40 }), fc.constantFrom(...Object.keys(SIZES), "F8_E4M3", 5))
  .map(([k, field, x, dtype]): Mutation => (b) => {
    let header: Record<string, { dtype: unknown; shape: number[]; data_offsets: number[] }>;
    const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
    try {
      header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(b.subarray(8, 8 + n)));
    } catch {
      return b;
    }
    const keys = Object.keys(header).filter((key) => key !== "__metadata__");
    if (keys.length === 0 || n > b.length - 8) return b;
    const entry = header[keys[k % keys.length]];
    if (typeof entry !== "object" || entry === null || !Array.isArray(entry.shape) || !Array.isArray(entry.data_offsets)) return b;
    if (field === "dtype") entry.dtype = dtype;
    else if (field === "dim" && entry.shape.length > 0) entry.shape[k % entry.shape.length] = x;
    else if (field === "ndim") entry.shape = x % 2 === 0 ? [...entry.shape, 1] : entry.shape.slice(1);
    else if (field === "begin") entry.data_offsets[0] = x;
    else entry.data_offsets[1] = x;
    return withLength(new TextEncoder().encode(JSON.stringify(header)), b.subarray(8 + n), true, n);
  });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fieldEdit, weight: 4 },
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([k, x]): Mutation => (b) => {
    const out = b.slice();
    if (out.length > 0) out[k % out.length] ^= x;
    return out;
  }),
  byteAt((b, i) => b.subarray(0, i)),
  fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 16 })).map(([k, ins]): Mutation => (b) => {
    const i = k % (b.length + 1);
    return Uint8Array.from([...b.subarray(0, i), ...ins, ...b.subarray(i)]);
  }),
  fc.tuple(fc.nat(), fc.nat({ max: 16 })).map(([k, len]): Mutation => (b) => {
    const i = k % (b.length + 1);
    return Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + len)]);
  }),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((len): Mutation => (b) => {
    const out = b.slice();
    if (out.length >= 8) new DataView(out.buffer).setBigUint64(0, len, true);
    return out;
  }),
  // Edit the header's text (a token in, a span out) and usually fix its length, to get past the first checks.
  { weight: 3, arbitrary: fc.tuple(fc.nat(), fc.nat({ max: 12 }), fc.constantFrom(...TOKENS), fc.integer({ min: 0, max: 3 }).map((x) => x > 0)).map(([k, len, token, fix]): Mutation => (b) => {
    if (b.length < 8) return b;
    const n = Math.min(Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true)), b.length - 8);
    const text = b.subarray(8, 8 + n);
    const i = k % (text.length + 1);
    const json = Uint8Array.from([...text.subarray(0, i), ...new TextEncoder().encode(token), ...text.subarray(i + len)]);
    return withLength(json, b.subarray(8 + n), fix, n);
  }) },
);

describe("safetensors reader, fuzzed", () => {
  it("returns the file's tensors or throws a documented SafetensorsError, for 10k mutated files", () => {
    const codes = new Map<string, number>();
    let accepted = 0;
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), (which, mutations) => {
        const bytes = mutations.reduce((b, m) => m(b), seeds[which]);
        let got;
        try {
          got = deserialize(bytes);
        } catch (e) {
          if (!(e instanceof SafetensorsError)) throw e;
          expect(SAFETENSORS_ERROR_CODES).toContain(e.code);
          expect(["INVALID_ARGUMENT", "MISSING_TENSOR"]).not.toContain(e.code);
          codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
          return;
        }
        accepted++;
        checkAccepted(bytes, got);
      }),
      { numRuns: 10_000, seed: 17 },
    );
    // The mutations reach most checks, and some mutated files are still valid.
    expect(codes.size).toBeGreaterThanOrEqual(12);
    expect(accepted).toBeGreaterThan(100);
  });
});
