import { Tensor, isGradEnabled, record, twice, type FloatArray } from "@minigrad/tensor";
import {
  checkReduction,
  checkedTarget,
  classLayout,
  classTargets,
  classWeights,
  dense,
  reduced,
  rowBase,
  type Reduction,
} from "./util";

/** Options of `nllLoss`; the defaults are torch's. */
export interface NllLossOptions {
  /** One weight per class (a rescaling of each class's loss); none by default. */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing, not even to the mean's denominator (-100). */
  ignoreIndex?: number;
  /** How the per-sample losses combine: "mean" (default), "sum" or "none" (no reduction). */
  reduction?: Reduction;
}

/**
 * Negative log likelihood of log-probabilities, as torch's F.nll_loss:
 *   loss = -w_t x_t per row;  d loss / d x_c = -w_t [c = t]
 * input (C), (N, C) or (N, C, d1, ...); target int32 of shape (), (N) or (N, d1, ...).
 * 'mean' divides by the total weight of the rows whose target is not ignoreIndex.
 */
export function nllLoss(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const op = "nllLoss";
  const { weight = null, ignoreIndex = -100 } = options;
  const reduction = checkReduction(options.reduction ?? "mean");
  const layout = classLayout(op, input);
  const w = classWeights(op, weight, layout.classes);
  const targets = classTargets(op, input, target, layout);
  const x = dense(input);
  const { inner, rows } = layout;
  const losses = new Float64Array(rows);
  let total = 0;
  let denom = 0;
  for (let r = 0; r < rows; r++) {
    const t = checkedTarget(op, targets[r], layout.classes, ignoreIndex);
    if (t === ignoreIndex) continue;
    const wt = w ? w[t] : 1;
    losses[r] = -wt * x[rowBase(r, layout) + t * inner];
    total += losses[r];
    denom += wt;
  }
  const out = reduced(losses, total, denom, reduction, layout, input);
  const { shape, dtype } = input;
  return record(out, "NllLossBackward", [input], twice((g, [target]) => {
    if (isGradEnabled()) {
      // createGraph: constant coefficients -w_t at the targets, times the row's scale of g (recorded)
      const K = Tensor.empty(shape, dtype);
      const k = K._data as FloatArray;
      for (let r = 0; r < rows; r++) if (targets[r] !== ignoreIndex) k[rowBase(r, layout) + targets[r] * inner] = -(w ? w[targets[r]] : 1);
      const scale = reduction === "none" ? (shape.length === 1 ? g : g.unsqueeze(1)) : reduction === "mean" ? g.div(denom) : g;
      return [K.mul(scale)];
    }
    const grad = Tensor.empty(shape, dtype);
    const gi = grad._data as FloatArray;
    const tg = dense(target);
    const gv = dense(g);
    for (let r = 0; r < rows; r++) {
      const t = tg[r];
      if (t === ignoreIndex) continue;
      const scale = reduction === "none" ? gv[r] : reduction === "mean" ? gv[0] / denom : gv[0];
      gi[rowBase(r, layout) + t * inner] = -scale * (w ? w[t] : 1);
    }
    return [grad];
  }), [target]);
}
