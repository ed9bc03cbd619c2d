import type { FloatArray } from "../dtype";
import * as wasm from "./accelerate";

/**
 * Softmax and log-softmax along rows, stable for any scale: the row max is subtracted
 * before exp, so the largest term is exactly e^0 = 1.
 *   softmax(x)_j    = e^(x_j - m) / sum_i e^(x_i - m)
 *   logSoftmax(x)_j = (x_j - m) - log(sum_i e^(x_i - m))
 *
 * float32 rows follow PyTorch's CPU kernel operation by operation, each result rounded
 * to float32 (Math.fround), and sum the exponentials in the order its AVX2 code does.
 * That matters: with one dominant logit, torch's float32 sum `1 + tiny` is exactly 1, so
 * log-softmax gives exactly 0 and the cross-entropy gradient exactly 0 for that class,
 * where a float64 sum would leave ~1e-9. Training runs depend on such values.
 */

const f32 = Math.fround;
/** Lanes of an AVX2 float32 vector: torch's reduction width on the reference machine. */
const LANES = 8;

/**
 * Sum `values[0..n)` as torch's float32 `vec::reduce_all` does: fewer than 8 values are
 * added left to right; otherwise 8 lane accumulators (the tail added into the first
 * lanes), then combined by the AVX2 shuffle tree: lanes i + (i+4), i + (i^2), i + (i^1).
 */
export function torchFloat32Sum(values: Float64Array, n: number, lanes: Float64Array): number {
  if (n < LANES) {
    let s = values[0];
    for (let i = 1; i < n; i++) s = f32(s + values[i]);
    return s;
  }
  for (let i = 0; i < LANES; i++) lanes[i] = values[i];
  let d = LANES;
  for (; d + LANES <= n; d += LANES) for (let i = 0; i < LANES; i++) lanes[i] = f32(lanes[i] + values[d + i]);
  for (let i = 0; d + i < n; i++) lanes[i] = f32(lanes[i] + values[d + i]);
  for (let step = 4; step >= 1; step >>= 1) {
    for (let i = 0; i < LANES; i++) values[n + i] = f32(lanes[i] + lanes[step === 4 ? (i + 4) % 8 : i ^ step]);
    for (let i = 0; i < LANES; i++) lanes[i] = values[n + i];
  }
  return lanes[0];
}

/** Scratch space for rows of length n: values (n + 8 for the tree) and 8 lanes. */
export interface SoftmaxScratch {
  /** The row's exponentials, then 8 more slots for the shuffle tree (length n + 8). */
  values: Float64Array;
  /** The 8 lane accumulators of `torchFloat32Sum`. */
  lanes: Float64Array;
}

/** Scratch for `softmaxRow` on rows of length up to n: allocate once, reuse for every row. */
export function softmaxScratch(n: number): SoftmaxScratch {
  return { values: new Float64Array(n + LANES), lanes: new Float64Array(LANES) };
}

/**
 * One row: n elements at x[xBase + j*stride], written to out[outBase + j*stride].
 * `single` selects float32 arithmetic (see above); otherwise plain float64.
 */
export function softmaxRow(
  out: FloatArray, x: ArrayLike<number>, base: number, n: number, stride: number,
  log: boolean, single: boolean, scratch: SoftmaxScratch,
): void {
  let m = -Infinity;
  for (let j = 0; j < n; j++) if (x[base + j * stride] > m) m = x[base + j * stride];
  if (m === -Infinity || m !== m) m = 0; // all -inf (or NaN): let them flow through unchanged
  const e = scratch.values;
  let s = 0;
  if (single) {
    for (let j = 0; j < n; j++) e[j] = f32(Math.exp(f32(x[base + j * stride] - m)));
    s = torchFloat32Sum(e, n, scratch.lanes);
  } else {
    for (let j = 0; j < n; j++) s += e[j] = Math.exp(x[base + j * stride] - m);
  }
  if (log) {
    const lse = single ? f32(Math.log(s)) : Math.log(s);
    for (let j = 0; j < n; j++) {
      const shifted = x[base + j * stride] - m;
      out[base + j * stride] = (single ? f32(shifted) : shifted) - lse;
    }
  } else if (single) {
    const inv = f32(1 / s);
    for (let j = 0; j < n; j++) out[base + j * stride] = e[j] * inv;
  } else {
    for (let j = 0; j < n; j++) out[base + j * stride] = e[j] / s;
  }
}

/**
 * Softmax (or log-softmax) of each contiguous row of length n. Float32 rows run in
 * WebAssembly SIMD where it is available (softmax.wat's `softmax`: the same arithmetic,
 * in place on the arena or through copies), else in the loop below.
 */
export function softmaxRows(out: FloatArray, x: FloatArray, rows: number, n: number, log: boolean): void {
  if (rows === 0 || n === 0) return;
  if (x instanceof Float32Array && out instanceof Float32Array) {
    if (wasm.softmaxRows(out, x, rows, n, log)) return;
  }
  softmaxRowsJs(out, x, rows, n, log);
}

/** softmaxRows in JS: the reference the wasm kernel is tested against. */
export function softmaxRowsJs(out: FloatArray, x: FloatArray, rows: number, n: number, log: boolean): void {
  const scratch = softmaxScratch(n);
  const single = x instanceof Float32Array;
  for (let r = 0; r < rows; r++) softmaxRow(out, x, r * n, n, 1, log, single, scratch);
}

/**
 * Log-softmax's backward over contiguous rows of n, in place on the incoming gradient d:
 *   d_j = d_j - exp(y_j) * s_r,  y the log-softmax output, s_r row r's sum of d (given),
 * in float32 rounded as torch's kernel (fl(fl(exp(y)) * s), then the subtraction) for float32
 * rows, which run in WebAssembly SIMD where it is available; float64 rows in plain double.
 */
export function logSoftmaxGradRows(d: FloatArray, y: FloatArray, sums: FloatArray, rows: number, n: number): void {
  if (rows === 0 || n === 0) return;
  if (d instanceof Float32Array && y instanceof Float32Array && sums instanceof Float32Array) {
    if (wasm.logSoftmaxGradRows(d, y, sums, rows, n)) return;
    for (let r = 0, i = 0; r < rows; r++) {
      const s = sums[r];
      for (let j = 0; j < n; j++, i++) d[i] = d[i] - f32(f32(Math.exp(y[i])) * s);
    }
    return;
  }
  for (let r = 0, i = 0; r < rows; r++) {
    const s = sums[r];
    for (let j = 0; j < n; j++, i++) d[i] = d[i] - Math.exp(y[i]) * s;
  }
}
