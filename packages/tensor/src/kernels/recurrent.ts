import type { FloatArray } from "../dtype";
import { fast } from "./accelerate";

/**
 * The gate math of one step of torch's recurrent cells on a batch: pure loops over typed
 * arrays (no autograd), called by ops/recurrent.ts once per time step, for `b` rows of `h`
 * hidden units and gate blocks in torch's order (LSTM i, f, g, o; GRU r, z, n).
 *
 * Projections (`p`, `x`, and the gradients `dg`, `dx`, `dp`) are row-major (b, G*h), as the
 * matmuls make and take them. The activated gates `a` are kept gate-major, (G*h, b): gate
 * unit k of row r at `k*b + r`, so each gate block of the whole batch is one run and the
 * sigmoids and tanhs of a step are a few calls of the accelerated rows (wasm SIMD for float32;
 * for LSTM three for the gates and one for tanh c'), not three per row. Element-wise math is one explicit loop per step.
 */

/** q[qo + k*b + r] = p[r*G + k] + x[xo + r*G + k] for k < n: the pre-activations, gate-major. */
function sumGateMajor(q: FloatArray, qo: number, p: FloatArray, x: FloatArray, xo: number, b: number, G: number, n: number): void {
  for (let r = 0; r < b; r++) {
    const pr = r * G, xr = xo + r * G;
    for (let k = 0, o = qo + r; k < n; k++, o += b) q[o] = p[pr + k] + x[xr + k];
  }
}

/**
 * LSTM forward: p (b, 4h) holds h W_hh^T + b_hh, x (at xo) x W_ih^T + b_ih, q (at qo) is
 * scratch of 4hb (in the same array as a, so that the sigmoids run in place when it is in the arena). Writes the activated gates into a (at ao, gate-major), the new cell state into c (at
 * co, (b, h)) and its tanh into tc (at to), and h' into y (at yo). cPrev (at cp) is the
 * previous cell state:  c' = f * c + i * g,  h' = o * tanh(c').
 */
export function lstmForward(
  p: FloatArray, x: FloatArray, xo: number, q: FloatArray, qo: number, a: FloatArray, ao: number,
  cPrev: FloatArray, cp: number, c: FloatArray, co: number, tc: FloatArray, to: number, y: FloatArray, yo: number,
  b: number, h: number,
): void {
  const hb = h * b;
  sumGateMajor(q, qo, p, x, xo, b, 4 * h, 4 * h);
  fast.sigmoid(a, ao, 1, q, qo, 1, 2 * hb);
  fast.tanh(a, ao + 2 * hb, 1, q, qo + 2 * hb, 1, hb);
  fast.sigmoid(a, ao + 3 * hb, 1, q, qo + 3 * hb, 1, hb);
  for (let r = 0; r < b; r++) {
    const cr = r * h;
    for (let j = 0, k = ao + r; j < h; j++, k += b) {
      c[co + cr + j] = a[k + hb] * cPrev[cp + cr + j] + a[k] * a[k + 2 * hb];
    }
  }
  fast.tanh(tc, to, 1, c, co, 1, hb);
  for (let r = 0; r < b; r++) {
    const cr = r * h;
    for (let j = 0, k = ao + 3 * hb + r; j < h; j++, k += b) y[yo + cr + j] = a[k] * tc[to + cr + j];
  }
}

/**
 * LSTM backward of one step: dh (b, h) is dL/dh', dc (b, h) dL/dc' on entry and dL/dc on exit;
 * writes dL/d(pre-activations) into dg (at go, (b, 4h)):
 *   do = dh tanh(c') o (1 - o);  dc' += dh o (1 - tanh^2 c')
 *   di = dc' g i (1 - i);  df = dc' c f (1 - f);  dg = dc' i (1 - g^2);  dc = dc' f
 */
export function lstmBackward(
  dh: FloatArray, dc: FloatArray, a: FloatArray, ao: number, tc: FloatArray, to: number, cPrev: FloatArray, cp: number,
  dg: FloatArray, go: number, b: number, h: number,
): void {
  const hb = h * b;
  for (let r = 0; r < b; r++) {
    const gr = go + r * 4 * h, tr = to + r * h, cr = cp + r * h, hr = r * h;
    for (let j = 0, k = ao + r; j < h; j++, k += b) {
      const i = a[k], f = a[k + hb], g = a[k + 2 * hb], o = a[k + 3 * hb];
      const t = tc[tr + j], d = dh[hr + j];
      const dcc = dc[hr + j] + d * o * (1 - t * t);
      dg[gr + j] = dcc * g * i * (1 - i);
      dg[gr + h + j] = dcc * cPrev[cr + j] * f * (1 - f);
      dg[gr + 2 * h + j] = dcc * i * (1 - g * g);
      dg[gr + 3 * h + j] = d * t * o * (1 - o);
      dc[hr + j] = dcc * f;
    }
  }
}

/**
 * GRU forward, torch's formula: p (b, 3h) holds h W_hh^T + b_hh, x (at xo) x W_ih^T + b_ih,
 * q (at qo) is scratch of 2hb.
 *   r = sigmoid(x_r + p_r), z = sigmoid(x_z + p_z), n = tanh(x_n + r * p_n), h' = n + z (h - n)
 * Writes r, z, n into a (at ao, gate-major), p_n into hn (at no, (h, b) like n) and h' into y (at yo).
 */
export function gruForward(
  p: FloatArray, x: FloatArray, xo: number, q: FloatArray, qo: number, a: FloatArray, ao: number,
  hn: FloatArray, no: number, hPrev: FloatArray, hp: number, y: FloatArray, yo: number, b: number, h: number,
): void {
  const hb = h * b, G = 3 * h;
  sumGateMajor(q, qo, p, x, xo, b, G, 2 * h);
  fast.sigmoid(a, ao, 1, q, qo, 1, 2 * hb);
  for (let r = 0; r < b; r++) {
    const pr = r * G + 2 * h, xr = xo + r * G + 2 * h;
    for (let j = 0, k = r; j < h; j++, k += b) {
      const pn = p[pr + j];
      hn[no + k] = pn;
      a[ao + 2 * hb + k] = x[xr + j] + a[ao + k] * pn;
    }
  }
  fast.tanh(a, ao + 2 * hb, 1, a, ao + 2 * hb, 1, hb);
  for (let r = 0; r < b; r++) {
    const hr = hp + r * h, yr = yo + r * h;
    for (let j = 0, k = ao + r; j < h; j++, k += b) {
      const n = a[k + 2 * hb];
      y[yr + j] = n + a[k + hb] * (hPrev[hr + j] - n);
    }
  }
}

/**
 * GRU backward of one step: dh (b, h) is dL/dh'. Writes dL/d(x W_ih^T + b_ih) into dx and
 * dL/d(h W_hh^T + b_hh) into dp (both at go, (b, 3h)), and the direct part of dL/dh, dh z, into dh:
 *   dn = dh (1 - z) (1 - n^2);  dz = dh (h - n) z (1 - z);  dr = dn p_n r (1 - r)
 *   dx = [dr, dz, dn],  dp = [dr, dz, dn r]
 */
export function gruBackward(
  dh: FloatArray, a: FloatArray, ao: number, hn: FloatArray, no: number, hPrev: FloatArray, hp: number,
  dx: FloatArray, dp: FloatArray, go: number, b: number, h: number,
): void {
  const hb = h * b, G = 3 * h;
  for (let r = 0; r < b; r++) {
    const gr = go + r * G, hr = hp + r * h, dr = r * h;
    for (let j = 0, k = r; j < h; j++, k += b) {
      const rg = a[ao + k], z = a[ao + hb + k], n = a[ao + 2 * hb + k], d = dh[dr + j];
      const dn = d * (1 - z) * (1 - n * n);
      const dz = d * (hPrev[hr + j] - n) * z * (1 - z);
      const drr = dn * hn[no + k] * rg * (1 - rg);
      dx[gr + j] = drr;
      dp[gr + j] = drr;
      dx[gr + h + j] = dz;
      dp[gr + h + j] = dz;
      dx[gr + 2 * h + j] = dn;
      dp[gr + 2 * h + j] = dn * rg;
      dh[dr + j] = d * z;
    }
  }
}

/** Elman RNN forward: h' = tanh(x + p) or relu(x + p), for p (b, h) = h W_hh^T + b_hh. */
export function rnnForward(p: FloatArray, x: FloatArray, xo: number, y: FloatArray, yo: number, n: number, relu: boolean): void {
  for (let j = 0; j < n; j++) p[j] += x[xo + j];
  if (relu) fast.relu(y, yo, 1, p, 0, 1, n);
  else fast.tanh(y, yo, 1, p, 0, 1, n);
}

/** Elman RNN backward: dp = dh (1 - h'^2) (tanh) or dh [h' > 0] (relu), into dp (at go). */
export function rnnBackward(dh: FloatArray, y: FloatArray, yo: number, dp: FloatArray, go: number, n: number, relu: boolean): void {
  if (relu) {
    for (let j = 0; j < n; j++) dp[go + j] = y[yo + j] > 0 ? dh[j] : 0;
  } else {
    for (let j = 0; j < n; j++) { const v = y[yo + j]; dp[go + j] = dh[j] * (1 - v * v); }
  }
}
