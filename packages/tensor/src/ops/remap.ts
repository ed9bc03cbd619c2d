import { noGrad } from "../autograd/grad-mode";
import { twice } from "../autograd/node";
import { record } from "../autograd/record";
import { isFloating, type FloatArray } from "../dtype";
import { ArgumentError, DTypeError, ShapeError, fmtShape } from "../errors";
import * as k from "../kernels/remap";
import { Tensor, checkAlive } from "../tensor";
import { clone } from "./movement";

const IDENTITY_1 = new Int32Array([0]);

/**
 * A gather along the last `maps.length` dims (1 to 3), one index map per dim: output
 * position i of dim d reads input index maps[d][i], or `fill` where that index is -1:
 *   out[..., a, b, c] = x[..., m0[a], m1[b], m2[c]]
 * The output's size along each mapped dim is its map's length. Padding in every mode and
 * nearest-neighbour upsampling are remaps; the backward adds each gradient back at the index
 * it was read from (so repeated indices sum, and filled positions get none).
 */
export function remap(x: Tensor, maps: readonly Int32Array[], fill = 0): Tensor {
  const op = "remap";
  checkAlive(op, x);
  if (!isFloating(x.dtype)) throw new DTypeError(`${op}: expected a floating point tensor, got ${x.dtype}`);
  const m = maps.length;
  if (m < 1 || m > 3 || m > x.ndim) {
    throw new ShapeError(`${op}: expected 1 to 3 index maps for the last dims of shape ${fmtShape(x.shape)}, got ${m}`);
  }
  const lead = x.ndim - m;
  for (let d = 0; d < m; d++) {
    const size = x.shape[lead + d], map = maps[d];
    for (let i = 0; i < map.length; i++) {
      if (map[i] < -1 || map[i] >= size || !Number.isInteger(map[i])) {
        throw new ArgumentError(`${op}: index ${map[i]} out of range for dim ${lead + d} of shape ${fmtShape(x.shape)}`);
      }
    }
  }
  const full = [...Array<Int32Array>(3 - m).fill(IDENTITY_1), ...maps];
  const sizes = [...Array<number>(3 - m).fill(1), ...x.shape.slice(lead)];
  const outer = x.shape.slice(0, lead).reduce((a, b) => a * b, 1);
  const src = x.isContiguous ? x : noGrad(() => clone(x));
  const out = Tensor._uninitialized([...x.shape.slice(0, lead), ...maps.map((p) => p.length)], x.dtype);
  const [m0, m1, m2] = full;
  const [d0, d1, d2] = sizes;
  k.remap3(out._data as FloatArray, src._data as FloatArray, src.offset, outer, d0, d1, d2, m0, m1, m2, fill);
  const inShape = x.shape;
  return record(out, "RemapBackward", [x], twice((g) => [remapAdjoint(g, maps, inShape, [outer, d0, d1, d2], full)]));
}

/**
 * remap's backward as an op of its own: each gradient added back at the index it was read
 * from. It is linear, and its backward is remap again (with 0 where the forward filled), so
 * second derivatives go through padding and upsampling.
 */
function remapAdjoint(
  g: Tensor, maps: readonly Int32Array[], inShape: readonly number[], [outer, d0, d1, d2]: readonly number[], full: readonly Int32Array[],
): Tensor {
  const gc = g.contiguous();
  const gx = Tensor.empty(inShape, g.dtype);
  k.remap3Backward(gx._data as FloatArray, gc._data as FloatArray, gc.offset, outer, d0, d1, d2, full[0], full[1], full[2]);
  return record(gx, "RemapAdjointBackward", [g], twice((gg) => [remap(gg, maps, 0)]));
}
