import { ShapeError, Tensor } from "@minigrad/tensor";
import { checkFloating, fmtShape } from "./util";

/**
 * Layer normalisation over the last dims, as torch's F.layer_norm:
 *   y = (x - mean) / sqrt(var + eps) * weight + bias
 * with the mean and the biased variance (divided by n) taken over `normalizedShape`.
 * A composite of tensor ops: autograd derives the backward.
 */
export function layerNorm(
  input: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  checkFloating("layerNorm", "input", input);
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
  const lead = input.ndim - shape.length;
  if (shape.length === 0 || lead < 0 || shape.some((s, i) => s !== input.shape[lead + i])) {
    throw new ShapeError(
      `layerNorm: Given normalized_shape=${fmtShape(shape)}, expected input with shape [*, ${shape.join(", ")}], ` +
        `but got input of size ${fmtShape(input.shape)}`,
    );
  }
  for (const [name, t] of [["weight", weight], ["bias", bias]] as const) {
    if (t && (t.ndim !== shape.length || t.shape.some((s, i) => s !== shape[i]))) {
      throw new ShapeError(`layerNorm: expected ${name} of shape ${fmtShape(shape)}, got ${fmtShape(t.shape)}`);
    }
  }
  const dims = shape.map((_, i) => lead + i);
  const centered = input.sub(input.mean(dims, true));
  const variance = centered.mul(centered).mean(dims, true);
  let y = centered.div(variance.add(eps).sqrt());
  if (weight) y = y.mul(weight);
  if (bias) y = y.add(bias);
  return y;
}
