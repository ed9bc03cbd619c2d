/**
 * Why a safetensors file was refused, as `SafetensorsError.code`. Every problem the reader
 * can find in a file has its own code; the writer's refusals are `INVALID_ARGUMENT`.
 */
export type SafetensorsErrorCode =
  /** Fewer than the 8 bytes of the header length. */
  | "TRUNCATED"
  /** The header length is over 100 MB (the format's limit, as the reference implementation's). */
  | "HEADER_TOO_LARGE"
  /** The header length runs past the end of the file. */
  | "HEADER_OUT_OF_BOUNDS"
  /** The header is not valid UTF-8. */
  | "INVALID_UTF8"
  /** The header is not JSON (or nests deeper than any header needs). */
  | "INVALID_JSON"
  /** A key appears twice in one JSON object. */
  | "DUPLICATE_KEY"
  /** The header, a tensor's entry or `__metadata__` is not a JSON object. */
  | "NOT_AN_OBJECT"
  /** A `__metadata__` value is not a string. */
  | "INVALID_METADATA"
  /** A tensor's entry lacks `dtype`, `shape` or `data_offsets`, or one of them is malformed. */
  | "INVALID_TENSOR_INFO"
  /** A dtype the format does not define, or one minigrad cannot read (F8, complex). */
  | "UNKNOWN_DTYPE"
  /** A tensor with more than 64 dims. */
  | "TOO_MANY_DIMS"
  /** A tensor's byte count is not its shape's element count times its dtype's size. */
  | "SIZE_MISMATCH"
  /** `data_offsets` with begin > end. */
  | "OFFSETS_UNORDERED"
  /** `data_offsets` past the end of the data buffer. */
  | "OFFSETS_OUT_OF_RANGE"
  /** Two tensors share bytes. */
  | "OVERLAPPING_TENSORS"
  /** Bytes of the data buffer that no tensor covers (a gap, or trailing bytes). */
  | "INCOMPLETE_BUFFER"
  /** A value the tensor's minigrad dtype cannot hold (an I64 beyond int32, a BOOL byte not 0 or 1). */
  | "VALUE_OUT_OF_RANGE"
  /** A tensor asked for by name that the file does not hold. */
  | "MISSING_TENSOR"
  /** The writer was given something it cannot write (a non-tensor, a dtype it cannot convert to, bad metadata). */
  | "INVALID_ARGUMENT";

/** Every code a `SafetensorsError` can carry, for tests and for callers that switch on them. */
export const SAFETENSORS_ERROR_CODES: readonly SafetensorsErrorCode[] = [
  "TRUNCATED", "HEADER_TOO_LARGE", "HEADER_OUT_OF_BOUNDS", "INVALID_UTF8", "INVALID_JSON", "DUPLICATE_KEY",
  "NOT_AN_OBJECT", "INVALID_METADATA", "INVALID_TENSOR_INFO", "UNKNOWN_DTYPE", "TOO_MANY_DIMS", "SIZE_MISMATCH",
  "OFFSETS_UNORDERED", "OFFSETS_OUT_OF_RANGE", "OVERLAPPING_TENSORS", "INCOMPLETE_BUFFER", "VALUE_OUT_OF_RANGE",
  "MISSING_TENSOR", "INVALID_ARGUMENT",
];

/**
 * A safetensors file (or bytes) that cannot be read, or tensors that cannot be written. The
 * message names the tensor and the values at fault; `code` says which check failed.
 */
export class SafetensorsError extends Error {
  /** Which check failed (see `SafetensorsErrorCode`). */
  readonly code: SafetensorsErrorCode;

  constructor(code: SafetensorsErrorCode, message: string) {
    super(message);
    this.name = "SafetensorsError";
    this.code = code;
  }
}
