import { ArgumentError, Tensor, defaultGenerator, type Generator } from "@minigrad/tensor";
import { checkFloating } from "./util";

/** Options of `dropout` (its object form). */
export interface DropoutOptions {
  /** Probability of zeroing each element (0.5). */
  p?: number;
  /** Identity when false (evaluation); true by default. */
  training?: boolean;
  /** Where the mask is drawn from; the seeded `defaultGenerator` by default. */
  generator?: Generator;
}

/**
 * Dropout, as torch's F.dropout: in training, each element is zeroed with probability p
 * and the survivors are scaled by 1 / (1 - p), so the expected value is unchanged; the
 * input itself is returned when not training or when p is 0.
 * The mask is drawn from the seeded generator, then applied as a product with a constant
 * tensor, so the gradient is the same mask (no backward of its own).
 *
 * Call as `dropout(x, p, training)` or `dropout(x, { p, training, generator })`.
 */
export function dropout(input: Tensor, p: number | DropoutOptions = 0.5, training = true): Tensor {
  const options: DropoutOptions = typeof p === "number" ? { p, training } : p;
  const prob = options.p ?? 0.5;
  const train = options.training ?? true;
  if (typeof prob !== "number" || !(prob >= 0 && prob <= 1)) {
    throw new ArgumentError(`dropout probability has to be between 0 and 1, but got ${String(prob)}`);
  }
  checkFloating("dropout", "input", input);
  if (!train || prob === 0 || input.numel === 0) return input;
  if (prob === 1) return input.mul(0);
  const uniforms = new Float64Array(input.numel);
  (options.generator ?? defaultGenerator).fillUniform(uniforms, 0, 1);
  const mask = Tensor.empty(input.shape, input.dtype);
  const m = mask._data;
  const keep = 1 - prob;
  const scale = 1 / keep;
  for (let i = 0; i < uniforms.length; i++) m[i] = uniforms[i] < keep ? scale : 0;
  return input.mul(mask);
}
