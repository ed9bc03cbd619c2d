import { CODECS, type SafetensorsDType } from "./dtypes";
import { SafetensorsError } from "./errors";
import { parseJson, type JsonValue } from "./json";

/** The format's limit on the JSON header (the reference implementation's MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;
/** More dims than any tensor needs; a guard against shapes that are only there to be walked. */
export const MAX_DIMS = 64;

/** One tensor's entry in a safetensors header. */
export interface SafetensorsTensorInfo {
  /** The file's dtype (what `decodeTensor` reads it as: see `SafetensorsDType`). */
  readonly dtype: SafetensorsDType;
  /** The dims, row-major ([] for a 0-d tensor). */
  readonly shape: readonly number[];
  /** Byte range [begin, end) in the data buffer (which starts after the header). */
  readonly dataOffsets: readonly [number, number];
}

/** A checked safetensors header: every tensor's entry, in the header's order, and the metadata. */
export interface SafetensorsHeader {
  /** Every tensor's entry by name, in the header's order. */
  readonly tensors: ReadonlyMap<string, SafetensorsTensorInfo>;
  /** `__metadata__` (an empty object when the file has none); no prototype, so any key is only a key. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Where the data buffer starts in the file: 8 + the header's length. */
  readonly dataStart: number;
}

const fmt = (xs: readonly number[]) => `[${xs.join(", ")}]`;
const name = (key: string) => JSON.stringify(key);
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function kindOf(v: JsonValue): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (v instanceof Map) return "an object";
  return `a ${typeof v} (${JSON.stringify(v).slice(0, 40)})`;
}

/**
 * The header's length from the first 8 bytes of a file of `fileLength` bytes, checked
 * against the file and the 100 MB limit before anything of that size is read or allocated.
 */
export function headerLength(first8: Uint8Array, fileLength: number): number {
  if (fileLength < 8 || first8.length < 8) {
    throw new SafetensorsError("TRUNCATED", `safetensors file is ${fileLength} bytes, shorter than its 8-byte header length`);
  }
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const big = view.getBigUint64(0, true);
  if (big > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError("HEADER_TOO_LARGE", `safetensors header length ${big} is over the limit of ${MAX_HEADER_BYTES} bytes`);
  }
  const n = Number(big);
  if (n > fileLength - 8) {
    throw new SafetensorsError(
      "HEADER_OUT_OF_BOUNDS",
      `safetensors header length ${n} runs past the end of the file (${fileLength - 8} bytes follow the length)`,
    );
  }
  return n;
}

function tensorInfo(key: string, entry: JsonValue, dataLength: number): SafetensorsTensorInfo {
  if (!(entry instanceof Map)) {
    throw new SafetensorsError("NOT_AN_OBJECT", `safetensors tensor ${name(key)}: its entry is ${kindOf(entry)}, not an object`);
  }
  const bad = (what: string): never => {
    throw new SafetensorsError("INVALID_TENSOR_INFO", `safetensors tensor ${name(key)}: ${what}`);
  };
  const dtype = entry.get("dtype");
  const shape = entry.get("shape");
  const offsets = entry.get("data_offsets");
  if (typeof dtype !== "string") return bad(`dtype is ${dtype === undefined ? "missing" : kindOf(dtype)}, not a string`);
  const codec = CODECS.get(dtype);
  if (codec === undefined) {
    throw new SafetensorsError(
      "UNKNOWN_DTYPE",
      `safetensors tensor ${name(key)}: dtype ${JSON.stringify(dtype)} is not one minigrad reads (${[...CODECS.keys()].join(", ")})`,
    );
  }
  const isIndex = (d: JsonValue): d is number => typeof d === "number" && Number.isSafeInteger(d) && d >= 0;
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    return bad(`shape ${shape === undefined ? "is missing" : `${JSON.stringify(shape).slice(0, 80)} is not a list of non-negative integers`}`);
  }
  if (shape.length > MAX_DIMS) {
    throw new SafetensorsError("TOO_MANY_DIMS", `safetensors tensor ${name(key)}: ${shape.length} dims, more than ${MAX_DIMS}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    return bad(`data_offsets ${offsets === undefined ? "is missing" : `${JSON.stringify(offsets).slice(0, 80)} is not [begin, end] with non-negative integers`}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) {
    throw new SafetensorsError("OFFSETS_UNORDERED", `safetensors tensor ${name(key)}: data_offsets ${fmt(offsets)} end before they begin`);
  }
  if (end > dataLength) {
    throw new SafetensorsError(
      "OFFSETS_OUT_OF_RANGE",
      `safetensors tensor ${name(key)}: data_offsets ${fmt(offsets)} run past the data buffer of ${dataLength} bytes`,
    );
  }
  // The element count, stopped as soon as it exceeds what the bytes could hold (no overflow).
  let numel = shape.includes(0) ? 0 : 1;
  for (const d of shape) if (numel > 0 && (numel *= d) * codec.size > end - begin) break;
  if (numel * codec.size !== end - begin) {
    const needs = shape.includes(0) ? 0 : shape.reduce((a, b) => a * b, codec.size);
    throw new SafetensorsError(
      "SIZE_MISMATCH",
      `safetensors tensor ${name(key)}: dtype ${dtype} and shape ${fmt(shape)} need ${needs} bytes, ` +
        `data_offsets ${fmt(offsets)} hold ${end - begin}`,
    );
  }
  // `-0` is a valid JSON integer: keep it out of shapes and offsets.
  return { dtype: dtype as SafetensorsDType, shape: shape.map((d) => d + 0), dataOffsets: [begin + 0, end + 0] };
}

function readMetadata(value: JsonValue): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (value === null) return out;
  if (!(value instanceof Map)) {
    throw new SafetensorsError("NOT_AN_OBJECT", `safetensors __metadata__ is ${kindOf(value)}, not an object`);
  }
  for (const [k, v] of value) {
    if (typeof v !== "string") {
      throw new SafetensorsError("INVALID_METADATA", `safetensors __metadata__[${name(k)}] is ${kindOf(v)}, not a string`);
    }
    out[k] = v;
  }
  return out;
}

/**
 * Parse and check a header (its `headerBytes`, for a data buffer of `dataLength` bytes):
 * UTF-8, strict JSON without repeated keys, every entry well formed, and the tensors'
 * byte ranges tiling the data buffer exactly (no overlap, no gap, nothing past its end),
 * which is what the reference implementation requires.
 */
export function parseHeader(headerBytes: Uint8Array, dataLength: number): SafetensorsHeader {
  let text: string;
  try {
    text = utf8.decode(headerBytes);
  } catch {
    throw new SafetensorsError("INVALID_UTF8", `safetensors header (${headerBytes.length} bytes) is not valid UTF-8`);
  }
  const root = parseJson(text);
  if (!(root instanceof Map)) throw new SafetensorsError("NOT_AN_OBJECT", `safetensors header is ${kindOf(root)}, not an object`);
  const tensors = new Map<string, SafetensorsTensorInfo>();
  let metadata: Record<string, string> = Object.create(null);
  for (const [key, entry] of root) {
    if (key === "__metadata__") metadata = readMetadata(entry);
    else tensors.set(key, tensorInfo(key, entry, dataLength));
  }
  const byOffset = [...tensors].sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let covered = 0;
  let last = "";
  for (const [key, info] of byOffset) {
    const [begin, end] = info.dataOffsets;
    if (begin < covered) {
      throw new SafetensorsError(
        "OVERLAPPING_TENSORS",
        `safetensors tensors ${name(last)} and ${name(key)} overlap: ${name(key)} begins at byte ${begin}, before ${name(last)} ends at ${covered}`,
      );
    }
    if (begin > covered) {
      throw new SafetensorsError(
        "INCOMPLETE_BUFFER",
        `safetensors data buffer has bytes ${covered}..${begin} that no tensor covers (before ${name(key)})`,
      );
    }
    covered = end;
    last = key;
  }
  if (covered !== dataLength) {
    throw new SafetensorsError(
      "INCOMPLETE_BUFFER",
      `safetensors data buffer is ${dataLength} bytes but its tensors cover ${covered} (${dataLength - covered} bytes left over)`,
    );
  }
  return { tensors, metadata, dataStart: 8 + headerBytes.length };
}
