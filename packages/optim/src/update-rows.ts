import { forEachRow, type FloatArray, type FusedKernel, type Tensor } from "@minigrad/tensor";
import { bumpVersion } from "./update-checks";

// The row loop every elementwise update shares: the scalars rounded to the parameter's
// precision, then each strided row through the optimizer's own float32 or float64 row (or a
// fused kernel where one applies), then the version counters. The math stays in each file.

/** The storage of each view, as the rows take them (all the parameter's dtype). */
function storages(views: readonly Tensor[]): FloatArray[] {
  return views.map((t) => t._data as FloatArray);
}

/** True when the first `k` operands of a row step by one element. */
function unitStride(inc: Int32Array, k: number): boolean {
  for (let i = 0; i < k; i++) if (inc[i] !== 1) return false;
  return true;
}

/** One row of an elementwise update: `n` elements of each operand in `arrays`, from `off[k]` by `inc[k]`. */
export type Row<C> = (arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: C) => void;

/** A fused float32 kernel (kernels/), run over unit-stride runs of an update's first `arity` operands. */
export interface FusedRun {
  /** The kernel: the same arithmetic as the update's rowF32 at unit stride. */
  kernel: FusedKernel;
  /** How many operands it takes (a prefix of the update's). */
  arity: number;
  /** Its scalars, in its order. */
  scalars: readonly number[];
}

/**
 * An elementwise update in place over `operands` (the parameter, its grad, then the
 * buffers, all shaped like the parameter; any strides; a buffer an option does not use may
 * alias another operand): the scalars `constants(round)` formed once, `round` rounding to
 * the parameter's precision, then `rowF32` or `rowF64` (by the parameter's dtype) over every
 * row; the version of each operand but the grad is bumped, once. In float32, `fused(c)` may
 * name a kernel for the rows where its operands have unit stride (the whole tensor at once
 * when they are contiguous).
 */
export function updateRows<C>(
  operands: readonly Tensor[], constants: (round: (x: number) => number) => C, rowF32: Row<C>, rowF64: Row<C>,
  fused?: (c: C) => FusedRun | undefined,
): void {
  const param = operands[0];
  const f32 = param.dtype === "float32";
  const c = constants(f32 ? Math.fround : (x) => x);
  const arrays = storages(operands);
  const row = f32 ? rowF32 : rowF64;
  const run = f32 ? fused?.(c) : undefined;
  const kernelArrays = run === undefined ? [] : arrays.slice(0, run.arity);
  if (run !== undefined && operands.slice(0, run.arity).every((t) => t.isContiguous)) {
    // Contiguous tensors (the usual case): one run, no odometer.
    run.kernel.run(kernelArrays, operands.slice(0, run.arity).map((t) => t.offset), param.numel, run.scalars);
  } else {
    forEachRow(param.shape, operands.map((t) => t.strides), operands.map((t) => t.offset), (off, n, inc) => {
      if (run !== undefined && unitStride(inc, run.arity)) {
        run.kernel.run(kernelArrays, Array.from(off.subarray(0, run.arity)), n, run.scalars);
      } else {
        row(arrays, off, inc, n, c);
      }
    });
  }
  for (const t of new Set(operands.filter((_, i) => i !== 1))) bumpVersion(t);
}
