import { twice } from "../autograd/node";
import { record } from "../autograd/record";
import { isFloating, promoteTypes, type FloatArray } from "../dtype";
import { DTypeError, ShapeError, fmtShape } from "../errors";
import { forEachRow } from "../kernels/iterate";
import { matmulKernel } from "../kernels/matmul";
import { broadcastShapes } from "../shape";
import { Tensor, checkAlive } from "../tensor";
import { add } from "./elementwise";
import { cast, expand, squeeze, transpose, unsqueeze } from "./movement";

/**
 * torch.matmul: 1-D operands become a row (left) or a column (right) and the added dim
 * is removed afterwards; batch dims broadcast. The primitive underneath is a batched
 * product of equal batch shapes, `bmm`; broadcasting is done by expand before it.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkAlive("matmul", a);
  checkAlive("matmul", b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(`matmul: both arguments need to be at least 1D, but they are ${a.ndim}D and ${b.ndim}D`);
  }
  checkDTypes("matmul", a, b);
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

/**
 * torch.mm: the product of two matrices of one dtype, (n, m) @ (m, p), without matmul's
 * promotion and broadcasting (the products inside a backward need neither).
 */
export function mm(a: Tensor, b: Tensor): Tensor {
  checkAlive("mm", a);
  checkAlive("mm", b);
  if (a.ndim !== 2) throw new ShapeError(`mm: self must be a matrix, got ${a.ndim}-D tensor of shape ${fmtShape(a.shape)}`);
  if (b.ndim !== 2) throw new ShapeError(`mm: mat2 must be a matrix, got ${b.ndim}-D tensor of shape ${fmtShape(b.shape)}`);
  if (a.shape[1] !== b.shape[0]) {
    throw new ShapeError(`mm: mat1 and mat2 shapes cannot be multiplied (${a.shape[0]}x${a.shape[1]} and ${b.shape[0]}x${b.shape[1]})`);
  }
  if (a.dtype !== b.dtype) throw new DTypeError(`mm: expected mat1 and mat2 to have the same dtype, but got ${a.dtype} and ${b.dtype}`);
  checkDTypes("mm", a, b);
  return bmm(a, b);
}

/**
 * torch's matrix products take operands of one dtype (no promotion), and not bool (whose
 * sums of products would leave 0/1). The message is torch's (addmm_impl_cpu_), with minigrad's names.
 */
function checkDTypes(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) {
    throw new DTypeError(
      `${op}: expected m1 and m2 to have the same dtype, but got: ${a.dtype} != ${b.dtype} ` +
        `(shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)})`,
    );
  }
  if (a.dtype === "bool") {
    throw new DTypeError(`${op}: "addmm_impl_cpu_" not implemented for 'bool' (shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)})`);
  }
}

/** Batched matrix product of [...batch, m, k] and [...batch, k, n]; any strides. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  const nd = a.ndim;
  const m = a.shape[nd - 2], k = a.shape[nd - 1], n = b.shape[b.ndim - 1];
  const ars = a.strides[nd - 2], acs = a.strides[nd - 1];
  const brs = b.strides[b.ndim - 2], bcs = b.strides[b.ndim - 1];
  const batch = nd === 2 ? [] : a.shape.slice(0, -2);
  const out = Tensor._uninitialized(nd === 2 ? [m, n] : [...batch, m, n], a.dtype); // the kernel writes every element
  const data = out._data as FloatArray;
  if (nd === 2) {
    // One product, no batch to visit (the usual case: every product of a linear layer).
    const A = { data: a._data, offset: a.offset, rowStride: ars, colStride: acs };
    const B = { data: b._data, offset: b.offset, rowStride: brs, colStride: bcs };
    matmulKernel(data, 0, A, B, m, k, n);
  } else {
    let outOffset = 0;
    // Visit every batch index; within a row of batches the offsets advance by the batch stride.
    forEachRow(batch, [a.strides.slice(0, -2), b.strides.slice(0, -2)], [a.offset, b.offset], (off, count, s) => {
      for (let i = 0; i < count; i++) {
        const A = { data: a._data, offset: off[0] + i * s[0], rowStride: ars, colStride: acs };
        const B = { data: b._data, offset: off[1] + i * s[1], rowStride: brs, colStride: bcs };
        matmulKernel(data, outOffset, A, B, m, k, n);
        outOffset += m * n;
      }
    });
  }
  const name = batch.length === 0 ? "MmBackward" : "BmmBackward";
  // d/da = g @ b^T, d/db = a^T @ g (transposes are stride views, no copies).
  return record(out, name, [a, b], twice((g, [a, b], needs) => [
    needs[0] ? bmm(g, transpose(b, -1, -2)) : null,
    needs[1] ? bmm(transpose(a, -1, -2), g) : null,
  ]), [a, b]);
}

/**
 * torch.addmm with beta = alpha = 1: input + mat1 @ mat2, for mat1 (n, m), mat2 (m, p) and
 * input broadcastable to (n, p). The input is broadcast once (expand, whose backward sums the
 * gradient back); when it is then one row repeated (F.linear's bias), the product's kernel
 * adds it while writing the result: one pass, and the same bits as mm followed by add.
 */
export function addmm(input: Tensor, mat1: Tensor, mat2: Tensor): Tensor {
  checkAlive("addmm", input);
  checkAlive("addmm", mat1);
  checkAlive("addmm", mat2);
  if (mat1.ndim !== 2) throw new ShapeError(`addmm: mat1 must be a matrix, got ${mat1.ndim}-D tensor`);
  if (mat2.ndim !== 2) throw new ShapeError(`addmm: mat2 must be a matrix, got ${mat2.ndim}-D tensor`);
  const [n, m] = mat1.shape;
  const [m2, p] = mat2.shape;
  if (m !== m2) {
    throw new ShapeError(`addmm: mat1 and mat2 shapes cannot be multiplied (${n}x${m} and ${m2}x${p})`);
  }
  checkDTypes("addmm", mat1, mat2);
  if (input.dtype !== mat2.dtype) {
    throw new DTypeError(`addmm: self and mat2 must have the same dtype, but got ${input.dtype} and ${mat2.dtype}`);
  }
  const shape = broadcastShapes("addmm", input.shape, [n, p]);
  if (shape.length !== 2) {
    throw new ShapeError(`addmm: input of shape ${fmtShape(input.shape)} cannot be broadcast to the product's ${fmtShape([n, p])}`);
  }
  const bias = expand(input, [n, p]);
  const dtype = bias.dtype;
  if (!isFloating(dtype) || mat1.dtype !== dtype || mat2.dtype !== dtype || (n > 1 && bias.strides[0] !== 0)) {
    return add(bias, bmm(mat1, mat2)); // a full matrix to add, or dtypes to promote: composed
  }
  const out = Tensor._uninitialized([n, p], dtype); // the kernel writes every element
  matmulKernel(
    out._data as FloatArray, 0,
    { data: mat1._data, offset: mat1.offset, rowStride: mat1.strides[0], colStride: mat1.strides[1] },
    { data: mat2._data, offset: mat2.offset, rowStride: mat2.strides[0], colStride: mat2.strides[1] },
    n, m, p,
    { data: bias._data, offset: bias.offset, stride: bias.strides[1] },
  );
  // d/dinput = g (summed back to input's shape by expand), d/dmat1 = g @ mat2^T, d/dmat2 = mat1^T @ g
  return record(out, "AddmmBackward", [bias, mat1, mat2], twice((g, [mat1, mat2], needs) => [
    needs[0] ? g : null,
    needs[1] ? bmm(g, transpose(mat2, -1, -2)) : null,
    needs[2] ? bmm(transpose(mat1, -1, -2), g) : null,
  ]), [mat1, mat2]);
}
