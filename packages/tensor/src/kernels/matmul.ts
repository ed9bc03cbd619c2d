import type { FloatArray, TypedArray } from "../dtype";

/** A 2-D operand: element (i, j) at `offset + i*rowStride + j*colStride`. */
export interface Matrix {
  readonly data: TypedArray;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/**
 * out[m x n] (contiguous, at outOffset) = a[m x k] @ b[k x n], any strides.
 * Loop order i-k-j so the inner loop walks a row of b and a row of the output;
 * when b is transposed (columns contiguous) the i-j-k dot-product order is used instead.
 * The row being built accumulates in float64, then is rounded once into the output.
 */
export function matmulInto(
  out: FloatArray, outOffset: number,
  a: Matrix, b: Matrix,
  m: number, k: number, n: number,
  row: Float64Array,
): void {
  const A = a.data, B = b.data;
  const ars = a.rowStride, acs = a.colStride, brs = b.rowStride, bcs = b.colStride;
  if (bcs !== 1 && brs === 1 && acs === 1) {
    for (let i = 0; i < m; i++) {
      const ai = a.offset + i * ars;
      for (let j = 0; j < n; j++) {
        let s = 0;
        const bj = b.offset + j * bcs;
        for (let p = 0; p < k; p++) s += A[ai + p] * B[bj + p];
        out[outOffset + i * n + j] = s;
      }
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    row.fill(0, 0, n);
    const ai = a.offset + i * ars;
    for (let p = 0; p < k; p++) {
      const aip = A[ai + p * acs];
      if (aip === 0) continue;
      let bp = b.offset + p * brs;
      if (bcs === 1) for (let j = 0; j < n; j++) row[j] += aip * B[bp + j];
      else for (let j = 0; j < n; j++, bp += bcs) row[j] += aip * B[bp];
    }
    const o = outOffset + i * n;
    for (let j = 0; j < n; j++) out[o + j] = row[j];
  }
}
