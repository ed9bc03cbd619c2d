import { ArgumentError, ShapeError, Tensor, defaultGenerator } from "@minigrad/tensor";
import type { DropoutOptions } from "./dropout";
import { checkFloating, fmtShape } from "./util";

/**
 * Channel dropout, as torch's F.dropout2d (its `feature_dropout`): in training, each whole
 * channel (every value of input[n, c]) is zeroed with probability p and the others are
 * scaled by 1 / (1 - p). The mask is drawn per (n, c) from the seeded generator and
 * multiplied in, so the gradient is the same mask. An input (N, C, H, W) drops channels of
 * each sample; as in torch 1.13, a 3-D input is taken as (N, C, L).
 *
 * Call as `dropout2d(x, p, training)` or `dropout2d(x, { p, training, generator })`.
 */
export function dropout2d(input: Tensor, p: number | DropoutOptions = 0.5, training = true): Tensor {
  const options: DropoutOptions = typeof p === "number" ? { p, training } : p;
  const prob = options.p ?? 0.5;
  const train = options.training ?? true;
  if (typeof prob !== "number" || !(prob >= 0 && prob <= 1)) {
    throw new ArgumentError(`dropout probability has to be between 0 and 1, but got ${String(prob)}`);
  }
  checkFloating("dropout2d", "input", input);
  if (input.ndim < 2) {
    throw new ShapeError(`Feature dropout requires at least 2 dimensions in the input (got ${fmtShape(input.shape)})`);
  }
  if (!train || prob === 0 || input.numel === 0) return input;
  if (prob === 1) return input.mul(0);
  const maskShape = input.shape.map((s, d) => (d < 2 ? s : 1));
  const uniforms = new Float64Array(maskShape[0] * maskShape[1]);
  (options.generator ?? defaultGenerator).fillUniform(uniforms, 0, 1);
  const mask = Tensor.empty(maskShape, input.dtype);
  const m = mask._data;
  const keep = 1 - prob;
  for (let i = 0; i < uniforms.length; i++) m[i] = uniforms[i] < keep ? 1 / keep : 0;
  return input.mul(mask);
}
