/**
 * Identical inputs for every implementation: seeded float32 arrays made here, then copied
 * into a minigrad tensor and into TF.js tensors on each backend.
 */
import { tensor, type Tensor } from "@minigrad/tensor";
import { tf, useBackend, type TfBackend } from "./tfjs";

/** mulberry32: small, fast, seeded; the same numbers on every platform. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n standard-normal float32 values (Box-Muller), times `scale`. */
export function randnF32(n: number, seed: number, scale = 1): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - next();
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u)) * scale;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** n float32 values uniform in [lo, hi). */
export function uniformF32(n: number, seed: number, lo: number, hi: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/** n int32 class labels in [0, classes). */
export function labelsI32(n: number, seed: number, classes: number): Int32Array {
  const next = mulberry32(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() * classes);
  return out;
}

export function mgTensor(data: Float32Array, shape: readonly number[]): Tensor {
  return tensor(data, { shape: [...shape] });
}

/** A TF.js tensor holding `data`, created on (so owned by) `backend`. */
export async function tfTensor(backend: TfBackend, data: Float32Array | Int32Array, shape: readonly number[]): Promise<tf.Tensor> {
  await useBackend(backend);
  return tf.tensor(data, [...shape], data instanceof Int32Array ? "int32" : "float32");
}

/** Largest |a[i] - b[i]| relative to max(1, |b[i]|): a sanity check that both computed the same thing. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (Number.isNaN(d)) return NaN;
    if (d > worst) worst = d;
  }
  return worst;
}
