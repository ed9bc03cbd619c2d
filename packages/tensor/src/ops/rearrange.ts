import { ArgumentError, DTypeError, ShapeError, fmtShape } from "../errors";
import { normalizeDim } from "../shape";
import { tensor } from "../creation";
import { Tensor, checkAlive } from "../tensor";
import { where } from "./elementwise";
import { indexSelect } from "./index-select";
import { expand, narrow, reshape } from "./movement";

/**
 * Rearranging composites (no backward of their own: autograd follows the views, index
 * selections and `where` they are made of), as torch's Tensor methods of the same names.
 */

const int32 = (values: number[]) => tensor(values, { dtype: "int32" });

function dimsOf(op: string, x: Tensor, dims: number | readonly number[]): number[] {
  const list = typeof dims === "number" ? [dims] : [...dims];
  const out = list.map((d) => normalizeDim(op, d, Math.max(x.ndim, 1)));
  if (new Set(out).size !== out.length) throw new ArgumentError(`${op}: dim ${fmtShape(list)} appears multiple times in the list of dims`);
  return out;
}

/** torch.flip: reverse the order of the elements along each of `dims`. */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  checkAlive("flip", x);
  let y = x;
  for (const d of dimsOf("flip", x, dims)) {
    const n = x.ndim === 0 ? 1 : x.shape[d];
    y = indexSelect(y, d, int32(Array.from({ length: n }, (_, i) => n - 1 - i)));
  }
  return y;
}

/**
 * torch.roll: shift the elements along `dims` by `shifts` (wrapping around); without dims,
 * of the flattened tensor, then back to its shape.
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  checkAlive("roll", x);
  const sh = typeof shifts === "number" ? [shifts] : [...shifts];
  if (!sh.every(Number.isInteger)) throw new ArgumentError(`roll: shifts must be integers, got ${fmtShape(sh)}`);
  if (dims === undefined) {
    if (sh.length !== 1) throw new ArgumentError(`roll: shifts and dimensions must align. shifts: ${sh.length}, dims: 0`);
    return reshape(roll(reshape(x, [-1]), sh[0], 0), x.shape);
  }
  const ds = dimsOf("roll", x, dims);
  if (ds.length !== sh.length) throw new ArgumentError(`roll: shifts and dimensions must align. shifts: ${sh.length}, dims: ${ds.length}`);
  let y = x;
  ds.forEach((d, i) => {
    const n = x.ndim === 0 ? 1 : x.shape[d];
    if (n === 0) return;
    const s = ((sh[i] % n) + n) % n;
    y = indexSelect(y, d, int32(Array.from({ length: n }, (_, j) => (j - s + n) % n)));
  });
  return y;
}

/** torch.Tensor.repeat: tile the tensor `sizes[i]` times along each dim (leading dims added as needed). */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  checkAlive("repeat", x);
  if (!Array.isArray(sizes) || sizes.length < x.ndim) {
    throw new ArgumentError(
      `repeat: Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor (${sizes.length} < ${x.ndim})`,
    );
  }
  if (!sizes.every((s) => Number.isInteger(s) && s >= 0)) throw new ArgumentError(`repeat: sizes must be non-negative integers, got ${fmtShape(sizes)}`);
  const shape = [...Array<number>(sizes.length - x.ndim).fill(1), ...x.shape];
  // [s0, s1] repeated [r0, r1]: seen as [1, s0, 1, s1], expanded to [r0, s0, r1, s1], then merged.
  const spread = shape.flatMap((s) => [1, s]);
  const expanded = shape.flatMap((s, i) => [sizes[i], s]);
  return reshape(expand(reshape(x, spread), expanded), shape.map((s, i) => s * sizes[i]));
}

/** torch.chunk: `chunks` views along dim, each ceil(size / chunks) long (the last may be shorter; maybe fewer). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkAlive("chunk", x);
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ArgumentError(`chunk: chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  const d = normalizeDim("chunk", dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}

/** torch.split: views along dim of `splitSize` each (the last may be shorter), or of the given sizes. */
export function split(x: Tensor, splitSize: number | readonly number[], dim = 0): Tensor[] {
  checkAlive("split", x);
  const d = normalizeDim("split", dim, x.ndim);
  const n = x.shape[d];
  let sizes: number[];
  if (typeof splitSize === "number") {
    if (!Number.isInteger(splitSize) || splitSize < 0) throw new ArgumentError(`split: split_size must be a non-negative integer, got ${splitSize}`);
    sizes = [];
    for (let at = 0; at < n || (n === 0 && sizes.length === 0); at += splitSize || 1) sizes.push(Math.min(splitSize, n - at));
  } else {
    sizes = [...splitSize];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (!sizes.every((s) => Number.isInteger(s) && s >= 0) || total !== n) {
      throw new ShapeError(
        `split: split_with_sizes expects split_sizes to sum exactly to ${n} (input tensor's size at dimension ${d}), but got split_sizes=${fmtShape(sizes)}`,
      );
    }
  }
  let start = 0;
  return sizes.map((s) => {
    const piece = narrow(x, d, start, s);
    start += s;
    return piece;
  });
}

/** torch.masked_fill: `value` where the (broadcast) bool mask is true, x elsewhere. */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  checkAlive("maskedFill", x);
  if (!(mask instanceof Tensor) || mask.dtype !== "bool") {
    throw new DTypeError(`maskedFill: expected mask to be a bool tensor, got ${mask instanceof Tensor ? mask.dtype : typeof mask}`);
  }
  if (typeof value !== "number") throw new ArgumentError(`maskedFill: value must be a number, got ${typeof value}`);
  const out = where(mask, value, x);
  if (out.ndim !== x.ndim || out.shape.some((s, i) => s !== x.shape[i])) {
    throw new ShapeError(`maskedFill: the mask ${fmtShape(mask.shape)} must broadcast to the tensor's shape ${fmtShape(x.shape)}`);
  }
  return out.dtype === x.dtype ? out : out.to(x.dtype);
}
