import type { FloatArray, TypedArray } from "../dtype";
import { wasmMatmul } from "./wasm/simd-matmul";
import { threadedMatmul } from "./wasm/threads";

/** A 2-D operand: element (i, j) at `offset + i*rowStride + j*colStride`. */
export interface Matrix {
  readonly data: TypedArray;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/** A 1-D operand of n elements: element j at `offset + j*stride`. */
export interface Vector {
  readonly data: TypedArray;
  readonly offset: number;
  readonly stride: number;
}

/**
 * Float32 products of at least this many multiply-adds (m*k*n) run in the WebAssembly SIMD
 * kernel (kernels/wasm/); smaller ones, and every float64 product, in `matmulInto` below.
 * Measured (Node 20, x64): the two break even near 8x8x8 (512), where the fixed cost of
 * copying in and out of wasm memory dominates; at 16x16x16 (4096) wasm is ~10x faster.
 */
export const WASM_MIN_MULADDS = 4096;

/**
 * Float32 products of at least this many multiply-adds are shared between this thread and a
 * worker (kernels/wasm/threads.ts) where that is available: Node with SharedArrayBuffer and
 * two cores, unless `setMatmulThreads(1)` or MINIGRAD_MATMUL_THREADS=1. Same kernel, same
 * result bit for bit. Measured (Node 20, x64, 2 cores; one thread against two, with the worker
 * polling after a previous job / asleep): 64x784x256 (2^23.6) 481 -> 322 / 364 us;
 * 128x128x256 (2^22) 192 -> 136 / 132 us; 64x256x128 (2^21) 84 -> 68 / 82 us; at 2^19 two
 * threads lose (one chunk only, 21 -> 25-38 us).
 */
export const THREADS_MIN_MULADDS = 2 ** 22;

/**
 * out[m x n] (contiguous, at outOffset) = a[m x k] @ b[k x n] (+ bias[n] on every row), any
 * strides: the wasm kernel when it applies (float32 accumulation, within ~1e-6 relative of
 * the TS kernel's float64), the TS kernel otherwise or where WebAssembly SIMD is unavailable.
 * The bias is added to the rounded product, one add per element: torch's addmm with
 * beta = alpha = 1, and the same bits as the product followed by a separate add.
 */
export function matmulKernel(
  out: FloatArray, outOffset: number,
  a: Matrix, b: Matrix,
  m: number, k: number, n: number,
  bias: Vector | null = null,
): void {
  if (
    m * k * n >= WASM_MIN_MULADDS &&
    out instanceof Float32Array && a.data instanceof Float32Array && b.data instanceof Float32Array &&
    (bias === null || bias.data instanceof Float32Array)
  ) {
    if (m * k * n >= THREADS_MIN_MULADDS) {
      const threaded = threadedMatmul();
      if (threaded !== null && threaded.matmul(out, outOffset, a, b, m, k, n, bias)) return;
    }
    const wasm = wasmMatmul();
    if (wasm !== null && wasm.matmul(out, outOffset, a, b, m, k, n, bias)) return;
  }
  matmulInto(out, outOffset, a, b, m, k, n, rowScratch(n));
  if (bias !== null) addRowInto(out, outOffset, m, n, bias);
}

let scratch = new Float64Array(64);

/**
 * The TS kernel's row accumulator, reused across calls (matmulInto calls nothing back, so one
 * suffices): a fresh Float64Array per product cost ~1 us, as much as a small wasm product.
 */
function rowScratch(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  return scratch;
}

/** out[i][j] += bias[j] for the m x n block at outOffset; a typed-array store rounds each sum. */
function addRowInto(out: FloatArray, outOffset: number, m: number, n: number, bias: Vector): void {
  const v = bias.data, vo = bias.offset, vs = bias.stride;
  for (let i = 0, o = outOffset; i < m; i++) {
    for (let j = 0; j < n; j++, o++) out[o] = out[o] + v[vo + j * vs];
  }
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
      let bp = b.offset + p * brs;
      if (bcs === 1) for (let j = 0; j < n; j++) row[j] += aip * B[bp + j];
      else for (let j = 0; j < n; j++, bp += bcs) row[j] += aip * B[bp];
    }
    const o = outOffset + i * n;
    for (let j = 0; j < n; j++) out[o + j] = row[j];
  }
}
