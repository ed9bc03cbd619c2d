import { ArgumentError, ShapeError, Tensor, isGradEnabled, record, tensor, twice, type FloatArray } from "@minigrad/tensor";
import { dense, fmtShape, logSoftmaxRows, reduced, rowBase, type ClassLayout, type Reduction } from "./util";

interface ProbOptions {
  w: Float64Array | null;
  ignoreIndex: number;
  labelSmoothing: number;
  reduction: Reduction;
}

/**
 * Cross entropy against class probabilities (a target of the input's shape), as torch.
 * With y' = (1 - s) y + s / C:
 *   loss = -sum_c w_c y'_c log p_c
 *   d loss / d x_k = p_k sum_c w_c y'_c - w_k y'_k,   d loss / d y_c = -(1 - s) w_c log p_c
 * 'mean' divides by the number of rows (not by the weights), as torch does.
 */
export function crossEntropyProbs(input: Tensor, target: Tensor, layout: ClassLayout, options: ProbOptions): Tensor {
  const op = "crossEntropy";
  const { w, ignoreIndex, labelSmoothing, reduction } = options;
  if (ignoreIndex >= 0) throw new ArgumentError(`${op}: ignore_index is not supported for floating point target`);
  if (target.ndim !== input.ndim || target.shape.some((s, i) => s !== input.shape[i])) {
    throw new ShapeError(
      `${op}: a probability target must have the input's shape ${fmtShape(input.shape)}, got ${fmtShape(target.shape)}`,
    );
  }
  const { classes, inner, rows } = layout;
  const smooth = labelSmoothing / classes;
  const logp = logSoftmaxRows(input, layout);
  const lp = logp._data;
  const y = dense(target);
  const losses = new Float64Array(rows);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const base = rowBase(r, layout);
    let loss = 0;
    for (let c = 0; c < classes; c++) {
      const i = base + c * inner;
      loss -= (w ? w[c] : 1) * (y[i] * (1 - labelSmoothing) + smooth) * lp[i];
    }
    losses[r] = loss;
    total += loss;
  }
  const out = reduced(losses, total, rows, reduction, layout, input);
  return record(out, "CrossEntropyBackward", [input, target], twice((g, [logp, target], needs) => {
    if (isGradEnabled()) return recordedGrads(g, needs); // createGraph: the same derivatives in recorded ops
    const lp = dense(logp);
    const y = dense(target);
    const gv = dense(g);
    const gx = needs[0] ? Tensor.empty(logp.shape, logp.dtype) : null;
    const gy = needs[1] ? Tensor.empty(target.shape, target.dtype) : null;
    const gxs = gx?._data as FloatArray | undefined;
    const gys = gy?._data as FloatArray | undefined;
    for (let r = 0; r < rows; r++) {
      const scale = reduction === "none" ? gv[r] : reduction === "mean" ? gv[0] / rows : gv[0];
      const base = rowBase(r, layout);
      let mass = 0; // sum_c w_c y'_c
      for (let c = 0; c < classes; c++) mass += (w ? w[c] : 1) * (y[base + c * inner] * (1 - labelSmoothing) + smooth);
      for (let c = 0; c < classes; c++) {
        const i = base + c * inner;
        const wc = w ? w[c] : 1;
        if (gxs) gxs[i] = scale * (Math.exp(lp[i]) * mass - wc * (y[i] * (1 - labelSmoothing) + smooth));
        if (gys) gys[i] = -scale * (1 - labelSmoothing) * wc * lp[i];
      }
    }
    return [gx, gy];
  }), [logp, target]);

  /**
   * The backward in recorded ops, for createGraph, with y' = (1 - s) y + s / C and the row's
   * scale of g: dx = scale (softmax(x) sum_c w_c y'_c - w y'), dy = -scale (1 - s) w log softmax(x).
   */
  function recordedGrads(g: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
    const classDim = input.ndim === 1 ? 0 : 1;
    const weights = w === null ? null : tensor(w, { shape: input.shape.map((s, d) => (d === classDim ? s : 1)), dtype: input.dtype });
    const scale = reduction === "none" ? (input.ndim === 1 ? g : g.unsqueeze(1)) : reduction === "mean" ? g.div(rows) : g;
    const smoothed = target.mul(1 - labelSmoothing).add(smooth);
    const wy = weights === null ? smoothed : smoothed.mul(weights);
    const dx = needs[0] ? input.softmax(classDim).mul(wy.sum(classDim, true)).sub(wy).mul(scale) : null;
    let dy: Tensor | null = null;
    if (needs[1]) {
      const lsm = input.logSoftmax(classDim).mul(-(1 - labelSmoothing));
      dy = (weights === null ? lsm : lsm.mul(weights)).mul(scale);
    }
    return [dx, dy];
  }
}
