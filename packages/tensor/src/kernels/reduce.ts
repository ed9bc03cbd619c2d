import { WASM_MIN_ELEMENTS, columnSums, sumOnArena } from "./accelerate";
import type { TypedArray } from "../dtype";
import { forEachRow, type View } from "./iterate";

/**
 * Reductions walk the input once. The accumulator is addressed with the input's
 * shape but stride 0 along reduced dims, so every element lands in its output slot.
 * Sums accumulate in float64 (more exact than torch's float32 pairwise sums, never less).
 */
export type ReduceKind = "sum" | "max" | "min";

export function reduceInto(kind: ReduceKind, acc: Float64Array, accStrides: readonly number[], a: View): void {
  acc.fill(kind === "sum" ? 0 : kind === "max" ? -Infinity : Infinity);
  const x = a._data;
  // A batch of contiguous float32 rows summed into one row (a bias gradient): wasm SIMD,
  // the same float64 additions in the same order as the loop below.
  if (
    kind === "sum" && x instanceof Float32Array && a.shape.length === 2 && a.shape[0] * a.shape[1] >= WASM_MIN_ELEMENTS &&
    a.strides[1] === 1 && a.strides[0] === a.shape[1] && accStrides[0] === 0 && accStrides[1] === 1 &&
    columnSums(acc, x, a.offset, a.shape[0], a.shape[1])
  ) return;
  const row = kind === "sum" ? sumRow : kind === "max" ? maxRow : minRow;
  forEachRow(a.shape, [accStrides, a.strides], [0, a.offset], (off, n, s) => {
    row(acc, off[0], s[0], x, off[1], s[1], n);
  });
}

type AccRow = (acc: Float64Array, io: number, so: number, a: TypedArray, ia: number, sa: number, n: number) => void;

const sumRow: AccRow = (acc, io, so, a, ia, sa, n) => {
  if (so === 0 && sa === 1) {
    // Long float32 runs in the arena: the same sums in WebAssembly SIMD (f64x2 lanes).
    const simd = n >= WASM_MIN_ELEMENTS ? sumOnArena(a, ia, n) : null;
    if (simd != null) {
      acc[io] += simd;
      return;
    }
    // A contiguous run into one slot: eight independent float64 sums keep the CPU's
    // adders busy (a single chain waits on each add); still far more exact than float32.
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    let i = ia;
    const end = ia + n;
    for (; i + 7 < end; i += 8) {
      s0 += a[i]; s1 += a[i + 1]; s2 += a[i + 2]; s3 += a[i + 3];
      s4 += a[i + 4]; s5 += a[i + 5]; s6 += a[i + 6]; s7 += a[i + 7];
    }
    for (; i < end; i++) s0 += a[i];
    acc[io] += ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  } else if (so === 0) {
    let s = acc[io];
    for (let i = 0; i < n; i++, ia += sa) s += a[ia];
    acc[io] = s;
  } else for (let i = 0; i < n; i++, io += so, ia += sa) acc[io] += a[ia];
};

// A NaN wins and then sticks: `v > m` is false for NaN, so test `v !== v` too.
const maxRow: AccRow = (acc, io, so, a, ia, sa, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa) {
    const v = a[ia], m = acc[io];
    if (v > m || v !== v) acc[io] = m !== m ? m : v;
  }
};

const minRow: AccRow = (acc, io, so, a, ia, sa, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa) {
    const v = a[ia], m = acc[io];
    if (v < m || v !== v) acc[io] = m !== m ? m : v;
  }
};

/** Index of the largest value in each contiguous row of length n (first one on ties; NaN wins, as torch). */
export function argmaxRows(out: Int32Array, x: TypedArray, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    let best = 0;
    let bestValue = x[base];
    for (let j = 1; j < n && bestValue === bestValue; j++) {
      const v = x[base + j];
      if (v > bestValue || v !== v) {
        best = j;
        bestValue = v;
      }
    }
    out[r] = best;
  }
}
