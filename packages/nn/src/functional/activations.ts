import { ArgumentError, Tensor } from "@minigrad/tensor";

/**
 * Activations and (log-)softmax: thin wrappers over the tensor primitives, so models can
 * be written torch's functional way (`F.relu(x)`).
 */

/** max(x, 0) elementwise, as F.relu; d/dx = 1 where x > 0, else 0. */
export function relu(input: Tensor): Tensor {
  return input.relu();
}

/** 1 / (1 + e^-x) elementwise, as F.sigmoid; d/dx = s (1 - s). */
export function sigmoid(input: Tensor): Tensor {
  return input.sigmoid();
}

/** tanh x elementwise, as F.tanh; d/dx = 1 - tanh^2 x. */
export function tanh(input: Tensor): Tensor {
  return input.tanh();
}

/** "none": the exact x Phi(x) (default); "tanh": torch's tanh approximation. */
export type GeluApproximation = "none" | "tanh";

/**
 * GELU: x Phi(x) with the exact erf (the default), or torch's tanh approximation
 * 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), a composite.
 */
export function gelu(input: Tensor, { approximate = "none" }: { approximate?: GeluApproximation } = {}): Tensor {
  if (approximate === "none") return input.gelu();
  if (approximate !== "tanh") throw new ArgumentError(`gelu: approximate must be 'none' or 'tanh', got ${String(approximate)}`);
  const inner = input.add(input.mul(input).mul(input).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  return input.mul(0.5).mul(inner.tanh().add(1));
}

/** softmax along dim (stable for any scale). */
export function softmax(input: Tensor, dim: number): Tensor {
  return input.softmax(dim);
}

/** log(softmax) along dim, without the round trip through exp. */
export function logSoftmax(input: Tensor, dim: number): Tensor {
  return input.logSoftmax(dim);
}
