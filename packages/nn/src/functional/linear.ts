import { Tensor } from "@minigrad/tensor";

/** y = x W^T + b, as torch's F.linear: weight (out, in), input (..., in), bias (out). */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const y = input.matmul(weight.ndim === 2 ? weight.T : weight);
  return bias ? y.add(bias) : y;
}
