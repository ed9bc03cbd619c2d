import { describe, expect, it } from "vitest";
import { Tensor, arange, randn, tensor, type DType } from "@minigrad/tensor";
import { SafetensorsError, deserialize, safetensorsHeader, serialize, type SafetensorsDType } from "@minigrad/nn";
import { bfloat16ToNumber, halfToNumber, numberToBfloat16, numberToHalf } from "../src/io/dtypes";
import { rawFile, sameTensor } from "./helpers/safetensors";

const roundTrip = (sd: Record<string, Tensor>, options = {}) => deserialize(serialize(sd, options));

/** The error a call throws, checked to be a SafetensorsError. */
function errorOf(fn: () => unknown): SafetensorsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    return e as SafetensorsError;
  }
  throw new Error("expected a SafetensorsError");
}

describe("safetensors round trips", () => {
  it("keeps every minigrad dtype, bit for bit, in the order given", () => {
    const sd = {
      f32: tensor(new Float32Array([NaN, -0, Infinity, -Infinity, 1e-45, 3.4028234663852886e38, 0.1]), { shape: [7] }),
      f64: tensor([Math.PI, -0, 5e-324, NaN], { dtype: "float64", shape: [2, 2] }),
      i32: tensor([-(2 ** 31), 2 ** 31 - 1, 0, -1], { dtype: "int32" }),
      b: tensor([true, false, true]),
    };
    const back = roundTrip(sd);
    expect(Object.keys(back)).toEqual(["f32", "f64", "i32", "b"]);
    for (const [k, t] of Object.entries(sd)) sameTensor(back[k], t, k);
  });

  it("writes 0-d, empty and non-contiguous tensors (views come back contiguous)", () => {
    const base = arange(0, 24).reshape([2, 3, 4]);
    const sd = {
      scalar: tensor(2.5),
      emptyRow: tensor([], { shape: [0] }),
      empty3d: tensor([], { shape: [2, 0, 3], dtype: "int32" }),
      transposed: base.transpose(0, 2),
      stepped: base.slice(2, 0, 4, 2),
      narrowed: base.narrow(1, 1, 2),
      expanded: tensor([1, 2, 3]).unsqueeze(0).expand([4, 3]),
    };
    const back = roundTrip(sd);
    for (const [k, t] of Object.entries(sd)) {
      sameTensor(back[k], t, k);
      // (minigrad's isContiguous is false for empty tensors, where torch says true)
      if (t.numel > 0) expect([k, back[k].isContiguous]).toEqual([k, true]);
    }
    expect(back.scalar.shape).toEqual([]);
    expect(back.empty3d.shape).toEqual([2, 0, 3]);
  });

  it("keeps metadata, any strings and keys, with no prototype", () => {
    const metadata = { format: "pt", "unicode ✓": "λ \"quoted\" \n", __proto__x: "", constructor: "c" };
    const bytes = serialize({ w: tensor([1]) }, { metadata });
    const header = safetensorsHeader(bytes);
    expect({ ...header.metadata }).toEqual(metadata);
    expect(Object.getPrototypeOf(header.metadata)).toBe(null);
    expect(safetensorsHeader(serialize({ w: tensor([1]) })).metadata).toEqual({});
  });

  it("lays out the bytes as the format says: 8-byte length, padded JSON, aligned little-endian data", () => {
    const bytes = serialize({ b: tensor([true]), a: tensor([1, 2]) });
    const view = new DataView(bytes.buffer);
    const n = view.getUint32(0, true);
    expect(view.getUint32(4, true)).toBe(0);
    expect(n % 8).toBe(0);
    const json = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(json.trimEnd()).toBe('{"b":{"dtype":"BOOL","shape":[1],"data_offsets":[8,9]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}');
    expect(/^ *$/.test(json.slice(json.trimEnd().length))).toBe(true);
    expect([view.getFloat32(8 + n, true), view.getFloat32(12 + n, true), bytes[16 + n]]).toEqual([1, 2, 1]);
    expect(bytes.length).toBe(8 + n + 9);
  });

  it("writes float tensors as F16, BF16, F32 or F64 and int32 as any integer dtype on request", () => {
    const floats = tensor([1, -2.5, 65504, 0.333251953125, -0]);
    const ints = tensor([0, 1, 100, 127], { dtype: "int32" });
    const cases: [Tensor, SafetensorsDType, DType][] = [
      [floats, "F16", "float32"], [floats, "BF16", "float32"], [floats, "F64", "float64"],
      [floats.to("float64"), "F32", "float32"],
      ...(["I64", "I16", "I8", "U64", "U32", "U16", "U8"] as const).map((d): [Tensor, SafetensorsDType, DType] => [ints, d, "int32"]),
    ];
    for (const [t, dtype, reads] of cases) {
      const bytes = serialize({ t }, { dtypes: { t: dtype } });
      expect(safetensorsHeader(bytes).tensors.get("t")?.dtype).toBe(dtype);
      const back = deserialize(bytes).t;
      expect(back.dtype, dtype).toBe(reads);
      const want = dtype === "BF16" ? [1, -2.5, 65536, 0.333984375, -0] : t.toArray();
      expect(back.toArray(), dtype).toEqual(want);
    }
  });

  it("decodes only the tensors asked for", () => {
    const bytes = serialize({ a: tensor([1]), b: tensor([2]), c: tensor([3]) });
    const some = deserialize(bytes, { keys: ["c", "a"] });
    expect(Object.keys(some)).toEqual(["c", "a"]);
    expect(errorOf(() => deserialize(bytes, { keys: ["d"] })).message).toBe(
      'safetensors file has no tensor named "d" (it has "a", "b", "c")',
    );
  });

  it("round-trips a large random tensor", () => {
    const t = randn([257, 33]);
    sameTensor(roundTrip({ t }).t, t, "t");
  });
});

describe("F16 and BF16 conversions (torch's rounding)", () => {
  it("every half and bfloat16 converts to float32 and back to the same bits (NaN canonical)", () => {
    for (let bits = 0; bits < 65536; bits++) {
      const h = halfToNumber(bits);
      if (Number.isNaN(h)) expect(numberToHalf(h) & 0x7fff).toBe(0x7e00);
      else expect(numberToHalf(h)).toBe(bits);
      const b = bfloat16ToNumber(bits);
      if (numberToBfloat16(b) !== (Number.isNaN(b) ? 0x7fc0 : bits)) expect([bits, numberToBfloat16(b)]).toBe("same");
    }
  });

  it("rounds to nearest, ties to even, overflowing to infinity", () => {
    const cases: [number, number][] = [
      [1, 0x3c00], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [65504, 0x7bff], [65519, 0x7bff], [65520, 0x7c00],
      [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], [2 ** -14 - 2 ** -25, 0x0400], [-0, 0x8000], [1e10, 0x7c00],
    ];
    for (const [x, bits] of cases) expect(numberToHalf(x), String(x)).toBe(bits);
    expect(numberToBfloat16(1 + 2 ** -8)).toBe(0x3f80); // tie to even
    expect(numberToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(numberToBfloat16(3.4028234663852886e38)).toBe(0x7f80); // max float32 rounds up to inf
  });
});

describe("safetensors reader refuses bad files with a specific error", () => {
  const info = (dtype: string, shape: number[], offsets: number[]) => ({ dtype, shape, data_offsets: offsets });
  const file = (header: object | string, data = new Uint8Array(8)) =>
    rawFile(typeof header === "string" ? header : JSON.stringify(header), data);
  const cases: [string, Uint8Array, string, RegExp][] = [
    ["a file under 8 bytes", new Uint8Array(5), "TRUNCATED", /^safetensors file is 5 bytes, shorter than its 8-byte header length$/],
    ["a header over 100 MB", rawFile("{}", new Uint8Array(0), 100_000_001), "HEADER_TOO_LARGE", /header length 100000001 is over the limit of 100000000 bytes/],
    ["a header length of 2^60", rawFile("{}", new Uint8Array(0), 2 ** 60), "HEADER_TOO_LARGE", /header length 1152921504606846976 /],
    ["a header past the file", rawFile("{}", new Uint8Array(0), 1000), "HEADER_OUT_OF_BOUNDS", /header length 1000 runs past the end of the file \(2 bytes follow the length\)/],
    ["invalid UTF-8", rawFile(new Uint8Array([0x7b, 0xff, 0x7d]), new Uint8Array(0)), "INVALID_UTF8", /header \(3 bytes\) is not valid UTF-8/],
    ["not JSON", file("{\"a\": }"), "INVALID_JSON", /not valid JSON: unexpected character at character 6/],
    ["deep nesting", file(`{"a":${"[".repeat(100)}${"]".repeat(100)}}`), "INVALID_JSON", /nesting deeper than 64/],
    ["a duplicate key", file('{"w":{},"w":{}}'), "DUPLICATE_KEY", /the key "w" twice in one object/],
    ["a duplicate key inside an entry", file('{"w":{"dtype":"F32","dtype":"F64"}}'), "DUPLICATE_KEY", /the key "dtype" twice/],
    ["a JSON array", file("[1, 2]"), "NOT_AN_OBJECT", /header is an array, not an object/],
    ["an entry that is a number", file({ w: 3 }), "NOT_AN_OBJECT", /tensor "w": its entry is a number \(3\), not an object/],
    ["metadata that is a list", file({ __metadata__: ["x"] }, new Uint8Array(0)), "NOT_AN_OBJECT", /__metadata__ is an array/],
    ["a metadata number", file({ __metadata__: { epoch: 3 } }, new Uint8Array(0)), "INVALID_METADATA", /__metadata__\["epoch"\] is a number \(3\), not a string/],
    ["a missing dtype", file({ w: { shape: [2], data_offsets: [0, 8] } }), "INVALID_TENSOR_INFO", /tensor "w": dtype is missing/],
    ["a negative dim", file({ w: info("F32", [-2], [0, 8]) }), "INVALID_TENSOR_INFO", /shape \[-2\] is not a list of non-negative integers/],
    ["a fractional offset", file({ w: info("F32", [2], [0, 7.5]) }), "INVALID_TENSOR_INFO", /data_offsets \[0,7.5\] is not \[begin, end\]/],
    ["three offsets", file({ w: info("F32", [2], [0, 8, 9]) }), "INVALID_TENSOR_INFO", /data_offsets \[0,8,9\]/],
    ["an unknown dtype", file({ w: info("F8_E4M3", [8], [0, 8]) }), "UNKNOWN_DTYPE", /dtype "F8_E4M3" is not one minigrad reads \(F64, F32, F16, BF16, I64/],
    ["65 dims", file({ w: info("F32", Array(65).fill(1), [0, 4]) }, new Uint8Array(4)), "TOO_MANY_DIMS", /65 dims, more than 64/],
    ["shape and bytes that differ", file({ w: info("F32", [3], [0, 8]) }), "SIZE_MISMATCH", /dtype F32 and shape \[3\] need 12 bytes, data_offsets \[0, 8\] hold 8/],
    ["a huge shape in a small file", file({ w: info("F64", [2 ** 40, 2 ** 40], [0, 8]) }), "SIZE_MISMATCH", /shape \[1099511627776, 1099511627776\] need/],
    ["offsets end before they begin", file({ w: info("U8", [0], [8, 0]) }), "OFFSETS_UNORDERED", /data_offsets \[8, 0\] end before they begin/],
    ["offsets past the data", file({ w: info("F32", [4], [0, 16]) }), "OFFSETS_OUT_OF_RANGE", /data_offsets \[0, 16\] run past the data buffer of 8 bytes/],
    ["overlapping tensors", file({ a: info("F32", [2], [0, 8]), b: info("F32", [1], [4, 8]) }), "OVERLAPPING_TENSORS", /tensors "a" and "b" overlap: "b" begins at byte 4, before "a" ends at 8/],
    ["a gap", file({ a: info("F32", [1], [0, 4]), b: info("U8", [2], [6, 8]) }), "INCOMPLETE_BUFFER", /bytes 4..6 that no tensor covers \(before "b"\)/],
    ["trailing bytes", file({ a: info("F32", [1], [0, 4]) }), "INCOMPLETE_BUFFER", /data buffer is 8 bytes but its tensors cover 4 \(4 bytes left over\)/],
    ["an int64 beyond int32", file({ w: info("I64", [1], [0, 8]) }, new Uint8Array([0, 0, 0, 0x80, 0, 0, 0, 0])), "VALUE_OUT_OF_RANGE", /element 0 of its I64 data is 2147483648, which int32 cannot hold/],
    ["a uint32 beyond int32", file({ w: info("U32", [2], [0, 8]) }, new Uint8Array([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])), "VALUE_OUT_OF_RANGE", /element 1 of its U32 data is 4294967295/],
    ["a bool byte that is not 0 or 1", file({ w: info("BOOL", [8], [0, 8]) }, new Uint8Array([0, 1, 2, 0, 0, 0, 0, 0])), "VALUE_OUT_OF_RANGE", /element 2 of its BOOL data is 2, which bool cannot hold/],
  ];
  for (const [what, bytes, code, message] of cases) {
    it(`${code}: ${what}`, () => {
      const e = errorOf(() => deserialize(bytes));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
    });
  }

  it("keys such as __proto__ are only keys, in tensors and metadata", () => {
    const header = '{"__metadata__":{"__proto__":"x"},"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"constructor":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    const bytes = rawFile(header, new Uint8Array(new Float32Array([1, 2]).buffer));
    const sd = deserialize(bytes);
    expect(Object.keys(sd)).toEqual(["__proto__", "constructor"]);
    expect(Object.getPrototypeOf(sd)).toBe(null);
    expect(sd.__proto__).toBeInstanceOf(Tensor);
    expect(Object.keys(safetensorsHeader(bytes).metadata)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
    sameTensor(deserialize(serialize(sd)).__proto__, tensor([1]), "__proto__");
  });

  it("reads -0 in a shape or an offset as 0", () => {
    const bytes = rawFile('{"e":{"dtype":"F32","shape":[-0,3],"data_offsets":[-0,0]}}', new Uint8Array(0));
    const { e } = deserialize(bytes);
    expect(Object.is(e.shape[0], 0)).toBe(true);
    expect(Object.is(safetensorsHeader(bytes).tensors.get("e")?.dataOffsets[0], 0)).toBe(true);
  });

  it("refuses to write what it cannot", () => {
    const t = tensor([1.5]);
    const cases: [() => unknown, RegExp][] = [
      [() => serialize({ w: [1] as unknown as Tensor }), /^serialize: "w" is not a Tensor$/],
      [() => serialize({ __metadata__: t }), /cannot be named "__metadata__"/],
      [() => serialize({ w: t }, { dtypes: { w: "I32" } }), /tensor "w" is float32 and cannot be written as I32/],
      [() => serialize({ w: t }, { dtypes: { w: "F8" as SafetensorsDType } }), /dtype "F8" for "w" is not one of/],
      [() => serialize({ w: t }, { dtypes: { v: "F16" } }), /dtypes names "v", which is not one of the tensors/],
      [() => serialize({ w: tensor([300], { dtype: "int32" }) }, { dtypes: { w: "I8" } }), /tensor "w" holds 300 \(element 0\), which I8 cannot hold/],
      [() => serialize({ w: t }, { metadata: { epoch: 3 as unknown as string } }), /metadata\["epoch"\] is a number, not a string/],
    ];
    for (const [fn, message] of cases) {
      const e = errorOf(fn);
      expect(e.code).toBe("INVALID_ARGUMENT");
      expect(e.message).toMatch(message);
    }
    const disposed = tensor([1]);
    disposed.dispose();
    expect(errorOf(() => serialize({ d: disposed })).message).toMatch(/tensor "d" cannot be read: it was disposed/);
  });
});
