import { Tensor, randn, type DType } from "@minigrad/tensor";

/** The configs torch's `optim_inputs_func_rmsprop` runs every RMSprop test with (CPU). */
export const TORCH_RMSPROP_CONFIGS = [
  {},
  { lr: 1e-3 },
  { weightDecay: 0.1 },
  { weightDecay: 0.1, centered: true },
  { weightDecay: 0.1, centered: true, momentum: 0.1 },
  { weightDecay: 0.1, centered: true, momentum: 0.1, maximize: true },
];

/** A leaf that requires grad, either contiguous or a strided view (every other element). */
export function leaf(shape: number[], contiguous: boolean, dtype: DType = "float32"): Tensor {
  const t = contiguous ? randn(shape, { dtype }) : randn([...shape, 2], { dtype }).select(shape.length, 0);
  return t.requiresGrad_(true);
}

/**
 * torch's right-direction model: weight (10, 5), bias (10), input (5), loss
 * `(W x + b)².sum()`; `closure` zeroes the grads, computes the loss and backpropagates.
 */
export function linearProblem(contiguous: boolean, dtype: DType = "float32") {
  const weight = leaf([10, 5], contiguous, dtype);
  const bias = leaf([10], contiguous, dtype);
  const input = randn([5], { dtype });
  const loss = () => weight.matmul(input).add(bias).pow(2).sum();
  const closure = (zeroGrad: () => void) => () => {
    zeroGrad();
    const value = loss();
    value.backward();
    return value;
  };
  return { weight, bias, input, loss, closure };
}

/** The float32 (or float64) bits of every element, for exact comparisons. */
export function bits(t: Tensor): number[] {
  const values = t.toTypedArray();
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.byteLength / 4));
}
