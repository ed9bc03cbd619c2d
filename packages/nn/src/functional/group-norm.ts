import { ArgumentError, ShapeError, type Tensor } from "@minigrad/tensor";
import { checkFloating, fmtShape } from "./util";

/**
 * Group normalisation, as torch's F.group_norm: the C channels of an input (N, C, *) are
 * split into `numGroups` groups of consecutive channels, and each sample's group is
 * normalised over its channels and positions together:
 *   y = (x - mean) / sqrt(var + eps) * weight_c + bias_c
 * with the biased variance; weight and bias are per channel (C). A composite of tensor ops:
 * autograd derives the backward.
 */
export function groupNorm(
  input: Tensor,
  numGroups: number,
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const op = "groupNorm";
  checkFloating(op, "input", input);
  if (input.ndim < 2) {
    throw new ShapeError(`Expected at least 2 dimensions for input tensor but received ${input.ndim}`);
  }
  const [batch, channels] = input.shape;
  if (!Number.isInteger(numGroups) || numGroups <= 0 || channels % numGroups !== 0) {
    throw new ArgumentError(
      `Expected number of channels in input to be divisible by num_groups, but got input of shape ` +
        `${fmtShape(input.shape)} and num_groups=${numGroups}`,
    );
  }
  for (const [name, t] of [["weight", weight], ["bias", bias]] as const) {
    if (t && t.numel !== channels) {
      throw new ShapeError(
        `Expected ${name} to be a vector of size equal to the number of channels in input, but got ${name} of ` +
          `shape ${fmtShape(t.shape)} and input of shape ${fmtShape(input.shape)}`,
      );
    }
  }
  const grouped = input.reshape([batch, numGroups, -1]);
  const centered = grouped.sub(grouped.mean(2, true));
  const variance = centered.mul(centered).mean(2, true);
  let y = centered.div(variance.add(eps).sqrt()).reshape(input.shape);
  const perChannel = [channels, ...input.shape.slice(2).map(() => 1)];
  if (weight) y = y.mul(weight.reshape(perChannel));
  if (bias) y = y.add(bias.reshape(perChannel));
  return y;
}
