import type { FloatArray } from "../dtype";

/**
 * The geometry of a 2-D sliding window over (h, w) planes: kernel size, stride, the padding
 * before each spatial dim (top, left; the padding after is implied by the output size),
 * dilation, and the number of window positions along each dim.
 */
export interface Window2d {
  readonly kh: number;
  readonly kw: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly dilH: number;
  readonly dilW: number;
  readonly outH: number;
  readonly outW: number;
}

/**
 * Where the columns of `im2col` go: element (b, row, l) of the (n, c*kh*kw, outH*outW)
 * result is at `offset + b*batchStride + row*rowStride + l` (l contiguous). torch's unfold
 * layout is batchStride = rows*L, rowStride = L; convolutions use rowStride = n*L,
 * batchStride = L, so that the columns are one (rows, n*L) matrix for a single product.
 */
export interface ColumnLayout {
  readonly offset: number;
  readonly batchStride: number;
  readonly rowStride: number;
}

/** The first output position `o` (of `out`) whose input index `o*stride + base` is >= 0. */
function firstValid(base: number, stride: number, out: number): number {
  return base >= 0 ? 0 : Math.min(out, Math.ceil(-base / stride));
}

/** One past the last output position whose input index `o*stride + base` is < size (>= lo). */
function endValid(base: number, stride: number, size: number, out: number, lo: number): number {
  const hi = size - base <= 0 ? 0 : Math.min(out, Math.ceil((size - base) / stride));
  return Math.max(lo, hi);
}

/**
 * im2col: every kernel-sized patch of x (n, c, h, w; contiguous at xOffset) becomes a column:
 *   cols[b, (ch*kh + i)*kw + j, y*outW + x] = x[b, ch, y*sH - padTop + i*dH, x*sW - padLeft + j*dW]
 * and 0 where that index falls in the padding. Every element of `cols` is written.
 */
export function im2col(
  cols: FloatArray, layout: ColumnLayout,
  x: FloatArray, xOffset: number, n: number, c: number, h: number, w: number, win: Window2d,
): void {
  const { kh, kw, strideH, strideW, padTop, padLeft, dilH, dilW, outH, outW } = win;
  const { offset, batchStride, rowStride } = layout;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const plane = xOffset + (b * c + ch) * h * w;
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const dst = offset + b * batchStride + ((ch * kh + i) * kw + j) * rowStride;
          const baseX = j * dilW - padLeft;
          const lo = firstValid(baseX, strideW, outW), hi = endValid(baseX, strideW, w, outW, lo);
          for (let oy = 0; oy < outH; oy++) {
            const iy = oy * strideH - padTop + i * dilH;
            const d = dst + oy * outW;
            if (iy < 0 || iy >= h) {
              cols.fill(0, d, d + outW);
              continue;
            }
            const row = plane + iy * w + baseX;
            for (let ox = 0; ox < lo; ox++) cols[d + ox] = 0;
            if (strideW === 1) for (let ox = lo; ox < hi; ox++) cols[d + ox] = x[row + ox];
            else for (let ox = lo; ox < hi; ox++) cols[d + ox] = x[row + ox * strideW];
            for (let ox = hi; ox < outW; ox++) cols[d + ox] = 0;
          }
        }
      }
    }
  }
}

/**
 * col2im, the adjoint of im2col (torch's fold): every column entry is added back at the
 * input position it was read from; entries that read padding are dropped.
 *   x[b, ch, y*sH - padTop + i*dH, x*sW - padLeft + j*dW] += cols[b, (ch*kh + i)*kw + j, y*outW + x]
 * `x` (n, c, h, w; contiguous at xOffset) must start at zero.
 */
export function col2im(
  x: FloatArray, xOffset: number, n: number, c: number, h: number, w: number,
  cols: FloatArray, layout: ColumnLayout, win: Window2d,
): void {
  const { kh, kw, strideH, strideW, padTop, padLeft, dilH, dilW, outH, outW } = win;
  const { offset, batchStride, rowStride } = layout;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const plane = xOffset + (b * c + ch) * h * w;
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const src = offset + b * batchStride + ((ch * kh + i) * kw + j) * rowStride;
          const baseX = j * dilW - padLeft;
          const lo = firstValid(baseX, strideW, outW), hi = endValid(baseX, strideW, w, outW, lo);
          for (let oy = 0; oy < outH; oy++) {
            const iy = oy * strideH - padTop + i * dilH;
            if (iy < 0 || iy >= h) continue;
            const s = src + oy * outW;
            const row = plane + iy * w + baseX;
            if (strideW === 1) for (let ox = lo; ox < hi; ox++) x[row + ox] += cols[s + ox];
            else for (let ox = lo; ox < hi; ox++) x[row + ox * strideW] += cols[s + ox];
          }
        }
      }
    }
  }
}
