import { Tensor, type DType } from "@minigrad/tensor";
import { tensorProblem } from "../state-dict";
import { CODECS, DEFAULT_FILE_DTYPE, type Codec, type SafetensorsDType } from "./dtypes";
import { SafetensorsError } from "./errors";
import { headerLength, parseHeader, type SafetensorsHeader, type SafetensorsTensorInfo } from "./header";

/** Tensors by name, as a state dict (`model.stateDict()`) or a Map. */
export type NamedTensors = Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>;

/** Options of `serialize` and `saveSafetensors`. */
export interface SerializeOptions {
  /** String pairs stored as the header's `__metadata__` (Hugging Face tools read `format`, say). */
  metadata?: Readonly<Record<string, string>>;
  /**
   * The file dtype of some tensors, by name (others keep theirs: F32, F64, I32, BOOL): a
   * float tensor as F16, BF16, F32 or F64 (rounded to nearest, ties to even, as torch); an
   * int32 tensor as I64, I16, I8, U64, U32, U16 or U8 (a value it cannot hold throws).
   */
  dtypes?: Readonly<Record<string, SafetensorsDType>>;
}

/** Options of `deserialize` and `loadSafetensors`. */
export interface DeserializeOptions {
  /** Decode only these tensors (each must be in the file); all of them by default. */
  keys?: Iterable<string>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const encoder = new TextEncoder();

function entriesOf(tensors: NamedTensors): [string, Tensor][] {
  if (tensors instanceof Map) return [...tensors];
  if (tensors === null || typeof tensors !== "object" || Array.isArray(tensors)) {
    throw new SafetensorsError("INVALID_ARGUMENT", `serialize: expected tensors by name (an object or a Map), got ${String(tensors)}`);
  }
  return Object.entries(tensors);
}

interface Planned {
  key: string;
  tensor: Tensor;
  dtype: SafetensorsDType;
  bytes: number;
  begin: number;
}

/** Check every tensor and option, and lay the data out, before anything is allocated. */
function plan(tensors: NamedTensors, options: SerializeOptions): { planned: Planned[]; header: Uint8Array } {
  const bad = (msg: string): never => {
    throw new SafetensorsError("INVALID_ARGUMENT", `serialize: ${msg}`);
  };
  const dtypes = options.dtypes ?? {};
  const entries = entriesOf(tensors);
  const names = new Set(entries.map(([k]) => k));
  for (const key of Object.keys(dtypes)) if (!names.has(key)) bad(`dtypes names ${JSON.stringify(key)}, which is not one of the tensors`);
  const planned: Planned[] = entries.map(([key, tensor]) => {
    if (key === "__metadata__") bad(`a tensor cannot be named "__metadata__" (the header's metadata key)`);
    if (!(tensor instanceof Tensor)) bad(`${JSON.stringify(key)} is not a Tensor`);
    const problem = tensorProblem(tensor);
    if (problem !== undefined) bad(`tensor ${JSON.stringify(key)} cannot be read: ${problem}`);
    const dtype = Object.hasOwn(dtypes, key) ? dtypes[key] : DEFAULT_FILE_DTYPE[tensor.dtype];
    const codec = CODECS.get(dtype);
    if (codec === undefined) return bad(`dtype ${JSON.stringify(dtype)} for ${JSON.stringify(key)} is not one of ${[...CODECS.keys()].join(", ")}`);
    if (!codec.writes.includes(tensor.dtype)) bad(`tensor ${JSON.stringify(key)} is ${tensor.dtype} and cannot be written as ${dtype}`);
    return { key, tensor, dtype, bytes: tensor.numel * codec.size, begin: 0 };
  });
  // Data in order of element size, widest first (stable): with the header padded to 8 bytes,
  // every tensor then starts at a multiple of its element size, so readers can map it in place.
  let at = 0;
  for (const p of [...planned].sort((a, b) => (CODECS.get(b.dtype)?.size ?? 0) - (CODECS.get(a.dtype)?.size ?? 0))) {
    p.begin = at;
    at += p.bytes;
  }
  const parts: string[] = [];
  const metadata = options.metadata;
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) bad("metadata must be an object of strings");
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== "string") bad(`metadata[${JSON.stringify(k)}] is a ${typeof v}, not a string`);
    const pairs = Object.entries(metadata).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    parts.push(`"__metadata__":{${pairs.join(",")}}`);
  }
  for (const p of planned) {
    const info = { dtype: p.dtype, shape: p.tensor.shape, data_offsets: [p.begin, p.begin + p.bytes] };
    parts.push(`${JSON.stringify(p.key)}:${JSON.stringify(info)}`);
  }
  const json = encoder.encode(`{${parts.join(",")}}`);
  // Spaces after the JSON (the reference writer's padding) so that the data starts 8-aligned.
  const header = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  header.set(json);
  return { planned, header };
}

/** Write `tensor`'s elements, row-major, into `out` (its `bytes` bytes) as `dtype`. */
function encodeInto(out: Uint8Array, key: string, tensor: Tensor, dtype: SafetensorsDType): void {
  const codec = CODECS.get(dtype) as Codec;
  const n = tensor.numel;
  if (n === 0) return;
  const values = tensor.isContiguous ? tensor.storage.subarray(tensor.offset, tensor.offset + n) : tensor.toTypedArray();
  if (LITTLE_ENDIAN && codec.native && codec.reads === tensor.dtype) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < n; i++) {
    if (!codec.write(view, i * codec.size, values[i])) {
      throw new SafetensorsError("INVALID_ARGUMENT", `serialize: tensor ${JSON.stringify(key)} holds ${values[i]} (element ${i}), which ${dtype} cannot hold`);
    }
  }
}

/**
 * Tensors as the bytes of a safetensors file (browser-safe: no Node APIs). Views are written
 * contiguous, row-major; 0-d and empty tensors are kept. The header lists tensors in the order
 * given. Everything is checked before the output is allocated.
 */
export function serialize(tensors: NamedTensors, options: SerializeOptions = {}): Uint8Array {
  const { planned, header } = plan(tensors, options);
  const dataLength = planned.reduce((s, p) => s + p.bytes, 0);
  const out = new Uint8Array(8 + header.length + dataLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, header.length, true);
  view.setUint32(4, 0, true);
  out.set(header, 8);
  const dataStart = 8 + header.length;
  for (const p of planned) encodeInto(out.subarray(dataStart + p.begin, dataStart + p.begin + p.bytes), p.key, p.tensor, p.dtype);
  return out;
}

/**
 * The tensor stored in `bytes` (exactly its data_offsets' range) under `info`: a new
 * contiguous tensor of the dtype the file's dtype reads as (see `SafetensorsDType`).
 */
export function decodeTensor(key: string, info: SafetensorsTensorInfo, bytes: Uint8Array): Tensor {
  const codec = CODECS.get(info.dtype) as Codec;
  const [begin, end] = info.dataOffsets;
  if (bytes.length !== end - begin) {
    throw new SafetensorsError("SIZE_MISMATCH", `safetensors tensor ${JSON.stringify(key)}: got ${bytes.length} bytes for data_offsets [${begin}, ${end}]`);
  }
  const t = Tensor.empty([...info.shape], codec.reads as DType);
  const n = t.numel;
  if (n === 0) return t;
  const storage = t.storage;
  const outOfRange = (i: number, raw: string): never => {
    throw new SafetensorsError(
      "VALUE_OUT_OF_RANGE",
      `safetensors tensor ${JSON.stringify(key)}: element ${i} of its ${info.dtype} data is ${raw}, which ${codec.reads} cannot hold`,
    );
  };
  if (LITTLE_ENDIAN && codec.native) {
    new Uint8Array(storage.buffer, storage.byteOffset, bytes.length).set(bytes);
    if (info.dtype === "BOOL") for (let i = 0; i < n; i++) if (storage[i] > 1) outOfRange(i, String(storage[i]));
    return t;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    const x = codec.read(view, i * codec.size);
    if (x === undefined) outOfRange(i, codec.describe(view, i * codec.size));
    storage[i] = x as number;
  }
  return t;
}

/** The checked header of the safetensors file in `bytes` (no tensor is decoded). */
export function safetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array)) {
    throw new SafetensorsError("INVALID_ARGUMENT", `deserialize: expected a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  }
  const n = headerLength(bytes.subarray(0, 8), bytes.length);
  return parseHeader(bytes.subarray(8, 8 + n), bytes.length - 8 - n);
}

/** The names to read: `keys` (each checked to be in the file), else every tensor in header order. */
export function selectKeys(header: SafetensorsHeader, keys: Iterable<string> | undefined): string[] {
  if (keys === undefined) return [...header.tensors.keys()];
  const wanted = [...keys];
  for (const key of wanted) {
    if (!header.tensors.has(key)) {
      const known = [...header.tensors.keys()];
      const shown = known.slice(0, 10).map((k) => JSON.stringify(k)).join(", ") + (known.length > 10 ? ", ..." : "");
      throw new SafetensorsError("MISSING_TENSOR", `safetensors file has no tensor named ${JSON.stringify(key)} (it has ${shown || "none"})`);
    }
  }
  return wanted;
}

/**
 * Tensors from the bytes of a safetensors file, as a state dict for `loadStateDict`. The
 * input is untrusted: every fault throws a `SafetensorsError` whose `code` says which (see
 * `SafetensorsErrorCode`), and nothing is allocated before the sizes are checked against
 * `bytes`. Only the tensors in `keys` are decoded. The record has no prototype, so a tensor
 * named `__proto__` is only a key.
 */
export function deserialize(bytes: Uint8Array, options: DeserializeOptions = {}): Record<string, Tensor> {
  const header = safetensorsHeader(bytes);
  const out: Record<string, Tensor> = Object.create(null);
  for (const key of selectKeys(header, options.keys)) {
    const info = header.tensors.get(key) as SafetensorsTensorInfo;
    const [begin, end] = info.dataOffsets;
    out[key] = decodeTensor(key, info, bytes.subarray(header.dataStart + begin, header.dataStart + end));
  }
  return out;
}
