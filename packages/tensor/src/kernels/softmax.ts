import type { FloatArray } from "../dtype";

/**
 * Softmax (or log-softmax) of each contiguous row of length n, stable for any scale:
 * subtract the row max before exp, so the largest term is exactly e^0 = 1.
 *   softmax(x)_j    = e^(x_j - m) / sum_i e^(x_i - m)
 *   logSoftmax(x)_j = x_j - m - log(sum_i e^(x_i - m))
 */
export function softmaxRows(out: FloatArray, x: FloatArray, rows: number, n: number, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    let m = -Infinity;
    for (let j = 0; j < n; j++) if (x[base + j] > m) m = x[base + j];
    if (m === -Infinity || m !== m) m = 0; // all -inf (or NaN): let the NaN/-inf flow through unchanged
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(x[base + j] - m);
    if (log) {
      const lse = m + Math.log(s);
      for (let j = 0; j < n; j++) out[base + j] = x[base + j] - lse;
    } else {
      for (let j = 0; j < n; j++) out[base + j] = Math.exp(x[base + j] - m) / s;
    }
  }
}
