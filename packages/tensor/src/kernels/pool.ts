import type { FloatArray } from "../dtype";
import type { Window2d } from "./im2col";

/**
 * Max over each window of each (h, w) plane of x (`planes` of them, contiguous at xOffset),
 * with the flat index (y*w + x within the plane) of the value taken, exactly as torch's CPU
 * kernel: the padding never wins (it is skipped), the first maximum wins ties, and a NaN
 * wins over every number (the last NaN of a window is taken).
 */
export function maxPool2d(
  out: FloatArray, indices: Int32Array, x: FloatArray, xOffset: number,
  planes: number, h: number, w: number, win: Window2d,
): void {
  const { kh, kw, strideH, strideW, padTop, padLeft, dilH, dilW, outH, outW } = win;
  if (padTop === 0 && padLeft === 0 && dilH === 1 && dilW === 1 && (outH - 1) * strideH + kh <= h && (outW - 1) * strideW + kw <= w) {
    maxPoolInside(out, indices, x, xOffset, planes, h, w, win);
    return;
  }
  for (let p = 0, o = 0; p < planes; p++) {
    const plane = xOffset + p * h * w;
    for (let oy = 0; oy < outH; oy++) {
      let y0 = oy * strideH - padTop;
      const y1 = Math.min(y0 + (kh - 1) * dilH + 1, h);
      while (y0 < 0) y0 += dilH;
      for (let ox = 0; ox < outW; ox++, o++) {
        let x0 = ox * strideW - padLeft;
        const x1 = Math.min(x0 + (kw - 1) * dilW + 1, w);
        while (x0 < 0) x0 += dilW;
        let best = -Infinity;
        let at = y0 * w + x0;
        for (let y = y0; y < y1; y += dilH) {
          for (let xi = x0; xi < x1; xi += dilW) {
            const i = y * w + xi;
            const v = x[plane + i];
            if (v > best || v !== v) {
              best = v;
              at = i;
            }
          }
        }
        out[o] = best;
        indices[o] = at;
      }
    }
  }
}

/**
 * maxPool2d where every window lies inside the plane (no padding, no dilation, no partial
 * last window): no clipping per window, ~20% faster. Same visiting order, so the same ties.
 */
function maxPoolInside(
  out: FloatArray, indices: Int32Array, x: FloatArray, xOffset: number,
  planes: number, h: number, w: number, win: Window2d,
): void {
  const { kh, kw, strideH, strideW, outH, outW } = win;
  if (kh === 2 && kw === 2 && strideH === 2 && strideW === 2) {
    maxPool2x2(out, indices, x, xOffset, planes, h, w, outH, outW);
    return;
  }
  for (let p = 0, o = 0; p < planes; p++) {
    const plane = xOffset + p * h * w;
    for (let oy = 0; oy < outH; oy++) {
      const top = oy * strideH * w;
      for (let ox = 0; ox < outW; ox++, o++) {
        const start = top + ox * strideW;
        let best = -Infinity;
        let at = start;
        for (let y = 0, r = start; y < kh; y++, r += w) {
          for (let j = 0; j < kw; j++) {
            const v = x[plane + r + j];
            if (v > best || v !== v) {
              best = v;
              at = r + j;
            }
          }
        }
        out[o] = best;
        indices[o] = at;
      }
    }
  }
}

/**
 * The 2x2, stride 2 max pool (the usual one), unrolled: the four taps in maxPool2d's order, so
 * the same maxima, ties and NaNs (~25% faster than the loop over taps).
 */
function maxPool2x2(
  out: FloatArray, indices: Int32Array, x: FloatArray, xOffset: number,
  planes: number, h: number, w: number, outH: number, outW: number,
): void {
  for (let p = 0, o = 0; p < planes; p++) {
    const plane = xOffset + p * h * w;
    for (let oy = 0; oy < outH; oy++) {
      const top = 2 * oy * w;
      for (let ox = 0; ox < outW; ox++, o++) {
        const i0 = top + 2 * ox, i2 = i0 + w;
        // -Infinity loses to a first tap of -Infinity too: the first tap is taken either way.
        let best = x[plane + i0];
        let at = i0;
        let v = x[plane + i0 + 1];
        if (v > best || v !== v) { best = v; at = i0 + 1; }
        v = x[plane + i2];
        if (v > best || v !== v) { best = v; at = i2; }
        v = x[plane + i2 + 1];
        if (v > best || v !== v) { best = v; at = i2 + 1; }
        out[o] = best;
        indices[o] = at;
      }
    }
  }
}

/** The max pool's backward: gx[p, indices[p, o]] += g[p, o] (gx starts at zero). */
export function maxPool2dBackward(
  gx: FloatArray, g: FloatArray, gOffset: number, indices: Int32Array, planes: number, planeSize: number, outSize: number,
): void {
  for (let p = 0, o = 0; p < planes; p++) {
    const base = p * planeSize;
    for (let j = 0; j < outSize; j++, o++) {
      const i = indices[o];
      if (i >= 0 && i < planeSize) gx[base + i] += g[gOffset + o];
    }
  }
}

/**
 * The windows of an average pool along one dim: output position i averages the inputs in
 * [start[i], end[i]) (clipped to the input), and divides by divisor[i] (times the other
 * dim's). Average pools (with or without the padding counted) and adaptive pools differ only
 * in these numbers.
 */
export interface PoolWindows {
  /** The first input index of each output position's window (>= 0). */
  readonly start: Int32Array;
  /** One past the last input index of each window (<= the dim's size; empty if <= start). */
  readonly end: Int32Array;
  /** What each window's sum is divided by (times the other dim's divisor). */
  readonly divisor: Float64Array;
}

/**
 * out[p, i, j] = sum of x[p, y, x] over y in rows i, x in cols j, divided by
 * rows.divisor[i] * cols.divisor[j]; 0 for an empty window (torch's CPU kernel).
 * x: `planes` contiguous (h, w) planes at xOffset; the sum accumulates in float64.
 */
export function avgPool2d(
  out: FloatArray, x: FloatArray, xOffset: number, planes: number, h: number, w: number,
  rows: PoolWindows, cols: PoolWindows,
): void {
  const outH = rows.start.length, outW = cols.start.length;
  for (let p = 0, o = 0; p < planes; p++) {
    const plane = xOffset + p * h * w;
    for (let i = 0; i < outH; i++) {
      const y0 = rows.start[i], y1 = rows.end[i], dy = rows.divisor[i];
      for (let j = 0; j < outW; j++, o++) {
        const x0 = cols.start[j], x1 = cols.end[j];
        if (y0 >= y1 || x0 >= x1) {
          out[o] = 0;
          continue;
        }
        let s = 0;
        for (let y = y0; y < y1; y++) {
          const r = plane + y * w;
          for (let xi = x0; xi < x1; xi++) s += x[r + xi];
        }
        out[o] = s / (dy * cols.divisor[j]);
      }
    }
  }
}

/** The average pool's backward: every input of window (i, j) gets g[p, i, j] / divisor (gx starts at zero). */
export function avgPool2dBackward(
  gx: FloatArray, g: FloatArray, gOffset: number, planes: number, h: number, w: number,
  rows: PoolWindows, cols: PoolWindows,
): void {
  const outH = rows.start.length, outW = cols.start.length;
  for (let p = 0, o = gOffset; p < planes; p++) {
    const plane = p * h * w;
    for (let i = 0; i < outH; i++) {
      const y0 = rows.start[i], y1 = rows.end[i], dy = rows.divisor[i];
      for (let j = 0; j < outW; j++, o++) {
        const x0 = cols.start[j], x1 = cols.end[j];
        const d = g[o] / (dy * cols.divisor[j]);
        for (let y = y0; y < y1; y++) {
          const r = plane + y * w;
          for (let xi = x0; xi < x1; xi++) gx[r + xi] += d;
        }
      }
    }
  }
}
