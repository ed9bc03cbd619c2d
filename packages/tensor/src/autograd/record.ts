import type { Tensor } from "../tensor";
import { forwardTrace, isAnomalyEnabled } from "./anomaly";
import { isGradEnabled } from "./grad-mode";
import { Node, type BackwardFn } from "./node";

/**
 * Attach the backward of an op to its output, if the graph is being recorded and any
 * input requires grad. Ops call this right after computing their forward value, so an
 * op's forward and backward read side by side.
 */
export function record(
  out: Tensor,
  name: string,
  inputs: readonly Tensor[],
  backward: BackwardFn,
  saved?: readonly Tensor[],
): Tensor {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.gradFn = new Node(name, inputs, backward, saved);
    out.gradFn.markOutput(out);
    if (isAnomalyEnabled()) out.gradFn.trace = forwardTrace();
  }
  return out;
}
