import type { FloatArray } from "../dtype";

/**
 * Index maps over the last three dims: out[o, a, b, c] = x[o, m0[a], m1[b], m2[c]], or `fill`
 * where any of the three indices is -1. x is `outer` contiguous (d0, d1, d2) blocks at
 * xOffset; out is (outer, m0.length, m1.length, m2.length), contiguous. Padding (constant,
 * reflect, replicate, circular) and nearest upsampling are this gather with different maps.
 */
export function remap3(
  out: FloatArray, x: FloatArray, xOffset: number, outer: number, d0: number, d1: number, d2: number,
  m0: Int32Array, m1: Int32Array, m2: Int32Array, fill: number,
): void {
  const n0 = m0.length, n1 = m1.length, n2 = m2.length;
  for (let o = 0, dst = 0; o < outer; o++) {
    const block = xOffset + o * d0 * d1 * d2;
    for (let a = 0; a < n0; a++) {
      const i0 = m0[a];
      for (let b = 0; b < n1; b++, dst += n2) {
        const i1 = m1[b];
        if (i0 < 0 || i1 < 0) {
          out.fill(fill, dst, dst + n2);
          continue;
        }
        const row = block + (i0 * d1 + i1) * d2;
        for (let c = 0; c < n2; c++) {
          const i2 = m2[c];
          out[dst + c] = i2 < 0 ? fill : x[row + i2];
        }
      }
    }
  }
}

/** remap3's backward: gx[o, m0[a], m1[b], m2[c]] += g[o, a, b, c] where no index is -1 (gx starts at zero). */
export function remap3Backward(
  gx: FloatArray, g: FloatArray, gOffset: number, outer: number, d0: number, d1: number, d2: number,
  m0: Int32Array, m1: Int32Array, m2: Int32Array,
): void {
  const n0 = m0.length, n1 = m1.length, n2 = m2.length;
  for (let o = 0, src = gOffset; o < outer; o++) {
    const block = o * d0 * d1 * d2;
    for (let a = 0; a < n0; a++) {
      const i0 = m0[a];
      for (let b = 0; b < n1; b++, src += n2) {
        const i1 = m1[b];
        if (i0 < 0 || i1 < 0) continue;
        const row = block + (i0 * d1 + i1) * d2;
        for (let c = 0; c < n2; c++) {
          const i2 = m2[c];
          if (i2 >= 0) gx[row + i2] += g[src + c];
        }
      }
    }
  }
}
