import type { FloatArray } from "../dtype";
import { fast } from "./accelerate";

/**
 * The gate math of one step of torch's recurrent cells, on rows of a batch: pure loops over
 * typed arrays (no autograd), called by ops/recurrent.ts once per time step. `b` rows of
 * `h` hidden units; gate blocks are laid out per row in torch's order (LSTM i, f, g, o; GRU
 * r, z, n), so row r's block k starts at `r * G * h + k * h`. Sigmoid and tanh over runs of a
 * row go through the accelerated rows (wasm SIMD for float32 runs of 128 or more), the rest
 * is one explicit loop per step.
 */

/**
 * LSTM forward: p (b, 4h) holds h W_hh^T + b_hh, x (at xo) x W_ih^T + b_ih; their sum is the
 * gates' pre-activations (added into p). Writes the activated gates into a (at ao), the new cell state into c and its tanh into tc (at co),
 * and h' = o * tanh(c') into y (at yo). cPrev (at cp) is the previous cell state.
 *   c' = f * c + i * g
 */
export function lstmForward(
  p: FloatArray, x: FloatArray, xo: number, a: FloatArray, ao: number, cPrev: FloatArray, cp: number,
  c: FloatArray, co: number, tc: FloatArray, to: number, y: FloatArray, yo: number, b: number, h: number,
): void {
  const G = 4 * h;
  for (let r = 0; r < b; r++) {
    const pr = r * G, ar = ao + r * G, xr = xo + r * G;
    for (let j = 0; j < G; j++) p[pr + j] += x[xr + j];
    fast.sigmoid(a, ar, 1, p, pr, 1, 2 * h);
    fast.tanh(a, ar + 2 * h, 1, p, pr + 2 * h, 1, h);
    fast.sigmoid(a, ar + 3 * h, 1, p, pr + 3 * h, 1, h);
    const cr = r * h;
    for (let j = 0; j < h; j++) {
      c[co + cr + j] = a[ar + h + j] * cPrev[cp + cr + j] + a[ar + j] * a[ar + 2 * h + j];
    }
  }
  fast.tanh(tc, to, 1, c, co, 1, b * h);
  for (let r = 0; r < b; r++) {
    const ar = ao + r * G + 3 * h, cr = to + r * h, yr = yo + r * h;
    for (let j = 0; j < h; j++) y[yr + j] = a[ar + j] * tc[cr + j];
  }
}

/**
 * LSTM backward of one step: dh (b, h) is dL/dh', dc (b, h) dL/dc' on entry and dL/dc on exit;
 * writes dL/d(pre-activations) into dg (at go):
 *   do = dh tanh(c') o (1 - o);  dc' += dh o (1 - tanh^2 c')
 *   di = dc' g i (1 - i);  df = dc' c f (1 - f);  dg = dc' i (1 - g^2);  dc = dc' f
 */
export function lstmBackward(
  dh: FloatArray, dc: FloatArray, a: FloatArray, ao: number, tc: FloatArray, to: number, cPrev: FloatArray, cp: number,
  dg: FloatArray, go: number, b: number, h: number,
): void {
  const G = 4 * h;
  for (let r = 0; r < b; r++) {
    const ar = ao + r * G, gr = go + r * G, tr = to + r * h, cr = cp + r * h, hr = r * h;
    for (let j = 0; j < h; j++) {
      const i = a[ar + j], f = a[ar + h + j], g = a[ar + 2 * h + j], o = a[ar + 3 * h + j];
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
 * GRU forward, torch's formula: p (b, 3h) holds h W_hh^T + b_hh, x (at xo) x W_ih^T + b_ih.
 *   r = sigmoid(x_r + p_r), z = sigmoid(x_z + p_z), n = tanh(x_n + r * p_n), h' = n + z (h - n)
 * Writes r, z, n into a (at ao), p_n into hn (at no) and h' into y (at yo).
 */
export function gruForward(
  p: FloatArray, x: FloatArray, xo: number, a: FloatArray, ao: number, hn: FloatArray, no: number,
  hPrev: FloatArray, hp: number, y: FloatArray, yo: number, b: number, h: number,
): void {
  const G = 3 * h;
  for (let r = 0; r < b; r++) {
    const pr = r * G, xr = xo + r * G, ar = ao + r * G, nr = no + r * h;
    for (let j = 0; j < 2 * h; j++) p[pr + j] += x[xr + j];
    fast.sigmoid(a, ar, 1, p, pr, 1, 2 * h);
    for (let j = 0; j < h; j++) {
      const pn = p[pr + 2 * h + j];
      hn[nr + j] = pn;
      a[ar + 2 * h + j] = x[xr + 2 * h + j] + a[ar + j] * pn;
    }
    fast.tanh(a, ar + 2 * h, 1, a, ar + 2 * h, 1, h);
    const hr = hp + r * h, yr = yo + r * h;
    for (let j = 0; j < h; j++) {
      const n = a[ar + 2 * h + j];
      y[yr + j] = n + a[ar + h + j] * (hPrev[hr + j] - n);
    }
  }
}

/**
 * GRU backward of one step: dh (b, h) is dL/dh'. Writes dL/d(x W_ih^T + b_ih) into dx (at go),
 * dL/d(h W_hh^T + b_hh) into dp (at go) and the direct part of dL/dh, dh z, into dh:
 *   dn = dh (1 - z) (1 - n^2);  dz = dh (h - n) z (1 - z);  dr = dn p_n r (1 - r)
 *   dx = [dr, dz, dn],  dp = [dr, dz, dn r]
 */
export function gruBackward(
  dh: FloatArray, a: FloatArray, ao: number, hn: FloatArray, no: number, hPrev: FloatArray, hp: number,
  dx: FloatArray, dp: FloatArray, go: number, b: number, h: number,
): void {
  const G = 3 * h;
  for (let r = 0; r < b; r++) {
    const ar = ao + r * G, gr = go + r * G, nr = no + r * h, hr = hp + r * h, dr = r * h;
    for (let j = 0; j < h; j++) {
      const rg = a[ar + j], z = a[ar + h + j], n = a[ar + 2 * h + j], d = dh[dr + j];
      const dn = d * (1 - z) * (1 - n * n);
      const dz = d * (hPrev[hr + j] - n) * z * (1 - z);
      const drr = dn * hn[nr + j] * rg * (1 - rg);
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
