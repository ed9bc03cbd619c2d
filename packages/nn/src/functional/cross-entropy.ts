import { ArgumentError, Tensor, isFloating, isGradEnabled, logSoftmaxGradRows, record, twice, type FloatArray } from "@minigrad/tensor";
import { crossEntropyProbs } from "./cross-entropy-probs";
import {
  checkReduction,
  checkedTarget,
  classLayout,
  classTargets,
  classWeights,
  dense,
  logSoftmaxRows,
  reduced,
  rowBase,
  type Reduction,
} from "./util";

/** Options of `crossEntropy`; the defaults are torch's. */
export interface CrossEntropyOptions {
  /** One weight per class (a rescaling of each class's loss); none by default. */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing, not even to the mean's denominator (-100). */
  ignoreIndex?: number;
  /** How the per-sample losses combine: "mean" (default), "sum" or "none" (no reduction). */
  reduction?: Reduction;
  /** Mix the one-hot target with the uniform distribution: (1 - s) * onehot + s / C (0). */
  labelSmoothing?: number;
}

/**
 * Cross entropy between logits and class targets, as torch's F.cross_entropy: log-softmax
 * and negative log likelihood fused into one primitive with one stable backward.
 *
 * input (C), (N, C) or (N, C, d1, ...); target int32 class indices of shape (), (N) or
 * (N, d1, ...), or float class probabilities of the input's shape. Per row, with p =
 * softmax(x), s = labelSmoothing and w the class weights (all 1 by default):
 *   loss = -(1 - s) w_t log p_t - (s / C) sum_c w_c log p_c
 *   d loss / d x_c = p_c ((1 - s) w_t + (s / C) sum_k w_k) - (1 - s) w_t [c = t] - (s / C) w_c
 * 'mean' divides the sum by the total weight of the rows not ignored (their count when
 * unweighted), as torch does.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = "crossEntropy";
  const { weight = null, ignoreIndex = -100, labelSmoothing = 0 } = options;
  const reduction = checkReduction(options.reduction ?? "mean");
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new ArgumentError(`${op}: label_smoothing must be between 0.0 and 1.0. Got: ${labelSmoothing}`);
  }
  const layout = classLayout(op, input);
  const w = classWeights(op, weight, layout.classes);
  if (target instanceof Tensor && isFloating(target.dtype)) {
    return crossEntropyProbs(input, target, layout, { w, ignoreIndex, labelSmoothing, reduction });
  }
  const targets = classTargets(op, input, target, layout);
  const logp = logSoftmaxRows(input, layout);
  const lp = logp._data;
  const { classes, inner, rows } = layout;
  const smooth = labelSmoothing / classes;

  const losses = new Float64Array(rows);
  let total = 0;
  let denom = 0; // total weight of the rows that count
  for (let r = 0; r < rows; r++) {
    const t = checkedTarget(op, targets[r], classes, ignoreIndex);
    if (t === ignoreIndex) continue;
    const base = rowBase(r, layout);
    const wt = w ? w[t] : 1;
    let loss = -(1 - labelSmoothing) * wt * lp[base + t * inner];
    if (labelSmoothing > 0) {
      let all = 0;
      for (let c = 0; c < classes; c++) all += (w ? w[c] : 1) * lp[base + c * inner];
      loss -= smooth * all;
    }
    losses[r] = loss;
    total += loss;
    denom += wt;
  }

  const out = reduced(losses, total, denom, reduction, layout, input);
  // Backward in torch's two steps, so float32 rounds as torch's kernels do:
  //   NLL backward:         d_c = -scale * ((1 - s) w_t [c = t] + (s / C) w_c)
  //   log-softmax backward: dx_c = d_c - exp(logp_c) * sum_k d_k
  // (the same as p_c * sum - d, written the way that keeps torch's exact zeros). The second
  // runs over every row, ignored ones too (d = 0 there), as torch's.
  return record(out, "CrossEntropyBackward", [input], twice((g, [logp, target]) => {
    if (isGradEnabled()) return [recordedGrad(g)]; // createGraph: the same derivative in recorded ops
    const grad = Tensor.empty(logp.shape, logp.dtype);
    const gi = grad._data as FloatArray;
    const tg = dense(target);
    const gv = dense(g);
    const single = logp.dtype === "float32";
    const r32 = single ? Math.fround : (v: number) => v;
    const sums = single ? new Float32Array(rows) : new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const t = tg[r];
      if (t === ignoreIndex) continue;
      const scale = reduction === "none" ? gv[r] : reduction === "mean" ? r32(gv[0] / denom) : gv[0];
      const base = rowBase(r, layout);
      const onTarget = r32((1 - labelSmoothing) * (w ? w[t] : 1) * -scale);
      let sum = onTarget;
      if (labelSmoothing > 0) {
        for (let c = 0; c < classes; c++) {
          const d = r32(smooth * (w ? w[c] : 1) * -scale);
          gi[base + c * inner] = d;
          sum += d;
        }
        sum = r32(sum);
      }
      gi[base + t * inner] = labelSmoothing > 0 ? r32(gi[base + t * inner] + onTarget) : onTarget;
      sums[r] = sum;
    }
    const lp = dense(logp) as FloatArray;
    if (inner === 1) {
      logSoftmaxGradRows(gi, lp, sums, rows, classes); // contiguous rows: wasm SIMD for float32
    } else {
      for (let r = 0; r < rows; r++) {
        const base = rowBase(r, layout);
        for (let c = 0; c < classes; c++) {
          const i = base + c * inner;
          gi[i] = gi[i] - r32(r32(Math.exp(lp[i])) * sums[r]);
        }
      }
    }
    return [grad];
  }), [logp, target]);

  /**
   * The backward in recorded ops, for createGraph: with K the constant coefficients
   * -((1 - s) w_t [c = t] + (s / C) w_c) (0 on ignored rows) and D = K times the gradient's
   * scale for the row, dx = D - softmax(x) * sum_c D.
   */
  function recordedGrad(g: Tensor): Tensor {
    const K = Tensor.empty(input.shape, input.dtype);
    const k = K._data as FloatArray;
    for (let r = 0; r < rows; r++) {
      const t = targets[r];
      if (t === ignoreIndex) continue;
      const base = rowBase(r, layout);
      if (labelSmoothing > 0) for (let c = 0; c < classes; c++) k[base + c * inner] = -smooth * (w ? w[c] : 1);
      k[base + t * inner] += -(1 - labelSmoothing) * (w ? w[t] : 1);
    }
    const classDim = input.ndim === 1 ? 0 : 1;
    const scale = reduction === "none" ? (input.ndim === 1 ? g : g.unsqueeze(1)) : reduction === "mean" ? g.div(denom) : g;
    const D = K.mul(scale);
    return D.sub(input.softmax(classDim).mul(D.sum(classDim, true)));
  }
}
