import { record } from "../autograd/record";
import { promoteTypes, type FloatArray } from "../dtype";
import { ShapeError, fmtShape } from "../errors";
import { forEachRow } from "../kernels/iterate";
import { matmulKernel } from "../kernels/matmul";
import { broadcastShapes } from "../shape";
import { Tensor } from "../tensor";
import { cast, expand, squeeze, transpose, unsqueeze } from "./movement";

/**
 * torch.matmul: 1-D operands become a row (left) or a column (right) and the added dim
 * is removed afterwards; batch dims broadcast. The primitive underneath is a batched
 * product of equal batch shapes, `bmm`; broadcasting is done by expand before it.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(`matmul: both arguments need to be at least 1D, but they are ${a.ndim}D and ${b.ndim}D`);
  }
  const x = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const y = b.ndim === 1 ? unsqueeze(b, -1) : b;
  const [m, k] = x.shape.slice(-2);
  const [k2, n] = y.shape.slice(-2);
  if (k !== k2) {
    throw new ShapeError(
      `matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be multiplied (${m}x${k} and ${k2}x${n})`,
    );
  }
  const batch = broadcastShapes("matmul", x.shape.slice(0, -2), y.shape.slice(0, -2));
  const dtype = promoteTypes(x.dtype, y.dtype);
  let out = bmm(expand(cast(x, dtype), [...batch, m, k]), expand(cast(y, dtype), [...batch, k, n]));
  if (a.ndim === 1) out = squeeze(out, -2);
  if (b.ndim === 1) out = squeeze(out, -1);
  return out;
}

/** Batched matrix product of [...batch, m, k] and [...batch, k, n]; any strides. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  const batch = a.shape.slice(0, -2);
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.ndim - 1];
  const out = Tensor.empty([...batch, m, n], a.dtype);
  const row = new Float64Array(n);
  const [ars, acs] = a.strides.slice(-2);
  const [brs, bcs] = b.strides.slice(-2);
  let outOffset = 0;
  const data = out.storage as FloatArray;
  // Visit every batch index; within a row of batches the offsets advance by the batch stride.
  forEachRow(batch, [a.strides.slice(0, -2), b.strides.slice(0, -2)], [a.offset, b.offset], (off, count, s) => {
    for (let i = 0; i < count; i++) {
      const A = { data: a.storage, offset: off[0] + i * s[0], rowStride: ars, colStride: acs };
      const B = { data: b.storage, offset: off[1] + i * s[1], rowStride: brs, colStride: bcs };
      matmulKernel(data, outOffset, A, B, m, k, n, row);
      outOffset += m * n;
    }
  });
  const name = batch.length === 0 ? "MmBackward" : "BmmBackward";
  // d/da = g @ b^T, d/db = a^T @ g (transposes are stride views, no copies).
  return record(out, name, [a, b], (g, [a, b], needs) => [
    needs[0] ? bmm(g, transpose(b, -1, -2)) : null,
    needs[1] ? bmm(transpose(a, -1, -2), g) : null,
  ], [a, b]);
}
