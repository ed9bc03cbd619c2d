import { ShapeError, Tensor } from "@minigrad/tensor";
import { checkFloating, checkReduction, fmtShape, reduce, type Reduction } from "./util";

/**
 * Elementwise losses, composites of tensor ops: autograd derives their backward, so they
 * also give gradients with respect to the target.
 */

/** Options of `mseLoss`. */
export interface MseLossOptions {
  /** How the per-element losses combine: "mean" (default), "sum" or "none" (no reduction). */
  reduction?: Reduction;
}

/** Mean squared error: (input - target)^2, reduced. The target broadcasts against the input. */
export function mseLoss(input: Tensor, target: Tensor, { reduction = "mean" }: MseLossOptions = {}): Tensor {
  checkFloating("mseLoss", "input", input);
  const r = checkReduction(reduction);
  const diff = input.sub(target);
  return reduce(diff.mul(diff), r);
}

/** Options of `binaryCrossEntropyWithLogits`. */
export interface BceWithLogitsOptions {
  /** A rescaling of each element's loss, broadcast against the input. */
  weight?: Tensor | null;
  /** A weight on the positive term, one per class (broadcast along the last dim). */
  posWeight?: Tensor | null;
  /** How the per-element losses combine: "mean" (default), "sum" or "none" (no reduction). */
  reduction?: Reduction;
}

/**
 * Binary cross entropy on logits, as torch's F.binary_cross_entropy_with_logits:
 *   loss = (1 - t) x + l (log(1 + e^-x)),  l = 1 + (posWeight - 1) t
 * computed as torch does, with m = max(-x, 0) so no exp overflows:
 *   log(1 + e^-x) = m + log(e^-m + e^(-x-m))
 * d loss / d x = w (l sigmoid(x) - posWeight t), which is w (sigmoid(x) - t) without posWeight.
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  { weight = null, posWeight = null, reduction = "mean" }: BceWithLogitsOptions = {},
): Tensor {
  const op = "binaryCrossEntropyWithLogits";
  checkFloating(op, "input", input);
  checkFloating(op, "target", target);
  const r = checkReduction(reduction);
  if (target.ndim !== input.ndim || target.shape.some((s, i) => s !== input.shape[i])) {
    throw new ShapeError(`${op}: Target size (${fmtShape(target.shape)}) must be the same as input size (${fmtShape(input.shape)})`);
  }
  const m = input.neg().clamp(0);
  const softplusNeg = m.neg().exp().add(input.neg().sub(m).exp()).log().add(m); // log(1 + e^-x)
  const logWeight = posWeight ? posWeight.sub(1).mul(target).add(1) : null;
  let loss = target.neg().add(1).mul(input).add(logWeight ? logWeight.mul(softplusNeg) : softplusNeg);
  if (weight) loss = loss.mul(weight);
  return reduce(loss, r);
}
