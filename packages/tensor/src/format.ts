/**
 * repr(tensor) as torch 1.13 prints it: the logic of torch/_tensor_str.py with its default
 * print options (precision 4, threshold 1000, edgeitems 3, linewidth 80, sci_mode chosen
 * automatically), for the dense CPU dtypes minigrad has.
 */
import type { DType } from "./dtype";

const PRECISION = 4;
const THRESHOLD = 1000; // more elements than this are summarized with "..."
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;
const PREFIX = "tensor(";

/**
 * Format a tensor the way torch's repr does.
 *
 * values: row-major contiguous values of a tensor with `shape` (bool as 0/1).
 * suffixes: e.g. ["dtype=float64", "requires_grad=True", "grad_fn=<MulBackward>"], appended
 * as ", x" inside the parens (wrapped onto a new line as torch does when they do not fit).
 * For an empty tensor this adds what torch adds itself: "size=(...)" unless it is 1-D, and
 * "dtype=..." for a non-float32 dtype when the caller passed no dtype suffix.
 */
export function formatTensor(
  values: ArrayLike<number>,
  shape: readonly number[],
  dtype: DType,
  suffixes: readonly string[],
): string {
  let numel = 1;
  for (const d of shape) numel *= d;

  if (numel === 0) {
    const own: string[] = [];
    // torch prints the shape unless it is (0,), to match NumPy
    if (shape.length !== 1) own.push(`size=(${shape.join(", ")})`);
    // with no elements nothing hints at the dtype, so torch names it for anything but the default
    if (dtype !== "float32" && !suffixes.some((s) => s.startsWith("dtype="))) own.push(`dtype=${dtype}`);
    return addSuffixes(PREFIX + "[]", [...own, ...suffixes], PREFIX.length);
  }

  const summarize = numel > THRESHOLD;
  const strides = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  const formatter = new Formatter(values, shape, strides, dtype, summarize);
  const printer = { values, shape, strides, summarize, formatter };
  const body = tensorStr(printer, 0, 0, PREFIX.length);
  return addSuffixes(PREFIX + body, suffixes, PREFIX.length);
}

interface Printer {
  values: ArrayLike<number>;
  shape: readonly number[];
  strides: readonly number[];
  summarize: boolean;
  formatter: Formatter;
}

/** Whether dimension `size` is cut to its first and last EDGE_ITEMS entries. */
function isCut(summarize: boolean, size: number): boolean {
  return summarize && size > 2 * EDGE_ITEMS;
}

/** _tensor_str_with_formatter: the sub-tensor at `dim` starting at flat index `offset`. */
function tensorStr(p: Printer, dim: number, offset: number, indent: number): string {
  const ndim = p.shape.length;
  if (ndim === 0) return p.formatter.format(p.values[0]);
  if (dim === ndim - 1) return vectorStr(p, offset, indent);

  const size = p.shape[dim];
  const stride = p.strides[dim];
  const slices: string[] = [];
  const cut = isCut(p.summarize, size);
  for (let i = 0; i < size; i++) {
    if (cut && i === EDGE_ITEMS) {
      slices.push("...");
      i = size - EDGE_ITEMS;
    }
    slices.push(tensorStr(p, dim + 1, offset + i * stride, indent + 1));
  }
  // sub-tensors of a k-D tensor are separated by k-1 newlines: blank lines between matrices
  const remaining = ndim - dim;
  return "[" + slices.join("," + "\n".repeat(remaining - 1) + " ".repeat(indent + 1)) + "]";
}

/** _vector_str: the innermost dimension, as many elements per line as fit in LINE_WIDTH. */
function vectorStr(p: Printer, offset: number, indent: number): string {
  const size = p.shape[p.shape.length - 1];
  const elementLength = p.formatter.width + 2; // ", " between elements
  const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / elementLength));

  const data: string[] = [];
  const cut = isCut(p.summarize, size);
  for (let i = 0; i < size; i++) {
    if (cut && i === EDGE_ITEMS) {
      data.push(" ...");
      i = size - EDGE_ITEMS;
    }
    data.push(p.formatter.format(p.values[offset + i]));
  }

  const lines: string[] = [];
  for (let i = 0; i < data.length; i += perLine) lines.push(data.slice(i, i + perLine).join(", "));
  return "[" + lines.join(",\n" + " ".repeat(indent + 1)) + "]";
}

/** _add_suffixes: ", suffix" on the last line while it fits in LINE_WIDTH, else on a new line. */
function addSuffixes(str: string, suffixes: readonly string[], indent: number): string {
  // torch's count: characters after the last newline, plus 2 (plus 1 more without a newline)
  let lastLineLength = str.length - str.lastIndexOf("\n") + 1;
  let out = str;
  for (const suffix of suffixes) {
    if (lastLineLength + suffix.length + 2 > LINE_WIDTH) {
      out += ",\n" + " ".repeat(indent) + suffix;
      lastLineLength = indent + suffix.length;
    } else {
      out += ", " + suffix;
      lastLineLength += suffix.length + 2;
    }
  }
  return out + ")";
}

/**
 * torch's _Formatter: one style and one width for every element printed, chosen from the
 * elements that are printed (the edges only, when summarizing).
 */
class Formatter {
  readonly floating: boolean;
  readonly bool: boolean;
  /** Every nonzero finite value is an integer: print "3." rather than "3.0000". */
  intMode = true;
  /** Print as "1.2346e+05". */
  sciMode = false;
  /** The width every element is right-aligned to. */
  width = 1;

  constructor(
    values: ArrayLike<number>,
    shape: readonly number[],
    strides: readonly number[],
    dtype: DType,
    summarize: boolean,
  ) {
    this.floating = dtype === "float32" || dtype === "float64";
    this.bool = dtype === "bool";
    const shown = shownIndices(shape, strides, summarize);

    if (!this.floating) {
      for (const i of shown) this.width = Math.max(this.width, this.plain(values[i]).length);
      return;
    }

    // only nonzero finite values decide the style; zeros, nan and inf fit any of them
    let minAbs = Infinity;
    let maxAbs = 0;
    let any = false;
    for (const i of shown) {
      const v = values[i];
      if (v === 0 || !Number.isFinite(v)) continue;
      any = true;
      const a = Math.abs(v);
      if (a < minAbs) minAbs = a;
      if (a > maxAbs) maxAbs = a;
      if (!Number.isInteger(v)) this.intMode = false;
    }
    if (!any) return;

    // the same tests as torch, in float64 (torch converts to double first)
    const wideRange = maxAbs / minAbs > 1000 || maxAbs > 1e8;
    this.sciMode = this.intMode ? wideRange : wideRange || minAbs < 1e-4;
    for (const i of shown) {
      const v = values[i];
      if (v === 0 || !Number.isFinite(v)) continue;
      let length: number;
      if (this.sciMode) length = formatExponential(v).length;
      else if (this.intMode) length = formatFixed(v, 0).length + 1; // room for the "."
      else length = formatFixed(v, PRECISION).length;
      this.width = Math.max(this.width, length);
    }
  }

  /** One element, padded on the left to the common width. */
  format(v: number): string {
    let s: string;
    if (!this.floating) s = this.plain(v);
    else if (this.sciMode) s = formatExponential(v);
    else if (this.intMode) s = Number.isFinite(v) ? formatFixed(v, 0) + "." : formatFixed(v, 0);
    else s = formatFixed(v, PRECISION);
    return s.length < this.width ? " ".repeat(this.width - s.length) + s : s;
  }

  /** Python's str() of a bool or an integer. */
  private plain(v: number): string {
    if (this.bool) return v ? "True" : "False";
    return String(v);
  }
}

/** Flat indices of the elements torch prints (get_summarized_data): all, or the edges of each long dim. */
function shownIndices(shape: readonly number[], strides: readonly number[], summarize: boolean): number[] {
  let indices = [0];
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    const cut = isCut(summarize, size);
    const next: number[] = [];
    for (const base of indices) {
      for (let i = 0; i < size; i++) {
        if (cut && i === EDGE_ITEMS) i = size - EDGE_ITEMS;
        next.push(base + i * strides[d]);
      }
    }
    indices = next;
  }
  return indices;
}

// ---------------------------------------------------------------- Python's float formatting
// JavaScript's toFixed / toExponential round the exact binary value correctly, as Python's
// format does, except for exact ties: the spec picks the larger candidate, Python the even one.
// A tie leaves an odd last digit in JavaScript's output; those are checked and stepped down.

function nonFinite(v: number): string | undefined {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  return undefined;
}

/** Whether the number ends in an odd digit (the candidate JavaScript picks on a tie). */
function endsOdd(s: string): boolean {
  return (s.charCodeAt(s.length - 1) - 48) % 2 === 1;
}

/** s with its last digit lowered by one (it is odd, so there is no borrow). */
function lowerLastDigit(s: string): string {
  return s.slice(0, -1) + String.fromCharCode(s.charCodeAt(s.length - 1) - 1);
}

/** Python's "{:.Nf}".format(v). */
function formatFixed(v: number, digits: number): string {
  const special = nonFinite(v);
  if (special !== undefined) return special;
  const negative = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  // toFixed switches to exponent notation from 1e21 on; such doubles are integers anyway
  let s = a < 1e21 ? a.toFixed(digits) : BigInt(a).toString() + (digits > 0 ? "." + "0".repeat(digits) : "");
  // a is exactly halfway between two candidates iff a * 2^(digits+1) is an odd integer
  if (endsOdd(s)) {
    const scaled = a * 2 ** (digits + 1);
    if (Number.isInteger(scaled) && scaled % 2 === 1) s = lowerLastDigit(s);
  }
  return negative ? "-" + s : s;
}

/** Python's "{:.4e}".format(v): mantissa with PRECISION decimals, exponent with a sign and 2+ digits. */
function formatExponential(v: number): string {
  const special = nonFinite(v);
  if (special !== undefined) return special;
  const negative = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  const js = a.toExponential(PRECISION); // like "1.2346e+5"
  const e = js.indexOf("e");
  let mantissa = js.slice(0, e);
  const exponent = Number(js.slice(e + 1));
  if (endsOdd(mantissa) && isExponentialTie(a, exponent)) mantissa = lowerLastDigit(mantissa);
  const digits = String(Math.abs(exponent)).padStart(2, "0");
  return (negative ? "-" : "") + mantissa + (exponent < 0 ? "e-" : "e+") + digits;
}

/** Whether a is exactly halfway between two PRECISION-decimal mantissas at this exponent. */
function isExponentialTie(a: number, exponent: number): boolean {
  // a tie means 2 * a * 10^(PRECISION - exponent) is an odd integer
  const q = PRECISION - exponent;
  if (q >= 0) {
    // then a * 2^(q+1) must already be an odd integer (the 5^q factor is odd)
    const scaled = a * 2 ** (q + 1);
    return Number.isInteger(scaled) && scaled % 2 === 1;
  }
  // large a: compare exact integers
  if (!Number.isInteger(a)) return false;
  const twice = BigInt(a) * 2n;
  const unit = 10n ** BigInt(-q);
  return twice % unit === 0n && (twice / unit) % 2n === 1n;
}
