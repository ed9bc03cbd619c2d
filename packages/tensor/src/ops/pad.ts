import { ArgumentError, ShapeError, TensorError } from "../errors";
import type { Tensor } from "../tensor";
import { checkAlive } from "../tensor";
import { remap } from "./remap";

/** How `pad` fills the new border, as torch's F.pad modes. */
export type PadMode = "constant" | "reflect" | "replicate" | "circular";

/**
 * The index map of one padded dim of `size`: output i reads input index i - before, mirrored
 * (reflect: ... 2 1 | 0 1 2 | 1 0 ...), clamped (replicate), wrapped (circular), or -1 (the
 * constant) where it falls outside. A negative amount crops; circular padding wraps around
 * what is left after the crop, as torch.
 */
function padMap(size: number, before: number, after: number, mode: PadMode): Int32Array {
  const map = new Int32Array(size + before + after);
  const lo = Math.max(0, -before), n = size - Math.max(0, -after) - lo;
  for (let o = 0; o < map.length; o++) {
    let i = o - before;
    if (i < 0 || i >= size || (mode === "circular" && (i < lo || i >= lo + n))) {
      if (mode === "constant") i = -1;
      else if (mode === "replicate") i = i < 0 ? 0 : size - 1;
      else if (mode === "circular") i = lo + ((((i - lo) % n) + n) % n);
      else i = i < 0 ? -i : 2 * (size - 1) - i;
    }
    map[o] = i;
  }
  return map;
}

/**
 * torch's F.pad: pads the last dims of x by `pad` = [before_last, after_last, before_2nd_last,
 * after_2nd_last, ...] (negative amounts crop), with a constant `value` (mode 'constant', any
 * number of dims), or by mirroring without the edge ('reflect', amounts < the dim size),
 * repeating the edge ('replicate') or wrapping around ('circular', amounts <= the dim size);
 * those three pad the last 1, 2 or 3 dims of a tensor with 1 or 2 more dims, as torch 1.13.
 * Differentiable: a remap, whose backward adds the gradient of every copy of an element back
 * to it.
 */
export function pad(x: Tensor, pad: readonly number[], mode: PadMode = "constant", value?: number): Tensor {
  checkAlive("pad", x);
  if (pad.length % 2 !== 0) throw new ArgumentError("Padding length must be divisible by 2");
  if (pad.length / 2 > x.ndim) throw new ArgumentError("Padding length too large");
  if (!pad.every((p) => Number.isInteger(p))) throw new ArgumentError(`pad: expected integer padding, got [${pad.join(", ")}]`);
  if (mode !== "constant" && mode !== "reflect" && mode !== "replicate" && mode !== "circular") {
    throw new TensorError(`Unrecognised padding mode ${String(mode)}`);
  }
  const dims = pad.length / 2;
  if (mode !== "constant") {
    if (value !== undefined && value !== 0) throw new ArgumentError(`Padding mode "${mode}" doesn't take in value argument`);
    if (dims < 1 || dims > 3 || x.ndim < dims + 1 || x.ndim > dims + 2) {
      throw new ShapeError("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now");
    }
  }
  const maps: Int32Array[] = [];
  for (let j = 0; j < dims; j++) {
    const d = x.ndim - 1 - j, size = x.shape[d];
    const before = pad[2 * j], after = pad[2 * j + 1];
    if (mode === "constant") checkCrop(size, before, after);
    if (size + before + after < 0) {
      throw new ShapeError(
        `The input size ${size}, plus negative padding ${before} and ${after} resulted in a negative output size, ` +
          `which is invalid. Check dimension ${d} of your input.`,
      );
    }
    if (mode === "reflect" && (before >= size || after >= size)) {
      throw new ShapeError(
        `Argument #${4 + 2 * j}: Padding size should be less than the corresponding input dimension, but got: ` +
          `padding (${before}, ${after}) at dimension ${d} of input ${x.ndim}`,
      );
    }
    if (mode === "circular" && (before > size || after > size || (size + Math.min(before, 0) + Math.min(after, 0) <= 0 && before + after > 0))) {
      throw new ShapeError("Padding value causes wrapping around more than once.");
    }
    if (mode !== "constant" && size === 0 && before + after > 0) {
      throw new ShapeError(`pad: cannot pad an empty dim (dimension ${d}) in mode '${mode}'`);
    }
    maps.unshift(padMap(size, before, after, mode));
  }
  return padLastDims(x, maps, value ?? 0);
}

/**
 * Remap the last maps.length dims, at most three at a time (the remap kernel's limit): with
 * more, the last two are padded, merged into one dim, and the rest padded in front of it.
 */
function padLastDims(x: Tensor, maps: readonly Int32Array[], fill: number): Tensor {
  if (maps.length === 0) return x;
  if (maps.length <= 3) return remap(x, maps, fill);
  const y = remap(x, maps.slice(-2), fill);
  const tail = y.shape.slice(-2);
  const merged = tail[0] * tail[1];
  const identity = new Int32Array(merged);
  for (let i = 0; i < merged; i++) identity[i] = i;
  const z = padLastDims(y.reshape([...y.shape.slice(0, -2), merged]), [...maps.slice(0, -2), identity], fill);
  return z.reshape([...z.shape.slice(0, -1), ...tail]);
}

/** torch 1.13 crops a constant pad's negative amounts with narrow, and so words their errors. */
function checkCrop(size: number, before: number, after: number): void {
  const left = before < 0 ? size + before : size;
  if (left < 0) throw new ShapeError(`start (${-before}) + length (${left}) exceeds dimension size (${size}).`);
  if (after < 0 && left + after < 0) {
    throw new ShapeError(`start (0) + length (${left + after}) exceeds dimension size (${left}).`);
  }
}
