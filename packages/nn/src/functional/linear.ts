import { Tensor, addmm, mm, noGrad, record, twice } from "@minigrad/tensor";

/**
 * y = x W^T + b, as torch's F.linear: weight (out, in), input (..., in), bias (out).
 *
 * A 2-D weight takes one primitive, like torch's addmm: the product and the bias in one
 * forward, and a backward whose gradients come out in their tensors' own layout,
 *   dx = g W,  dW = g^T x,  db = g summed over the batch,
 * so `.grad` of the weight is accumulated row by row, not through a transposed view (what
 * `x.matmul(W.T)` would hand back). Same products, same order: the same bits.
 */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const plain = weight.ndim === 2 && input.ndim > 0 && input.dtype === weight.dtype &&
    (bias == null || (bias.ndim === 1 && bias.shape[0] === weight.shape[0] && bias.dtype === weight.dtype));
  if (!plain) {
    const y = input.matmul(weight.ndim === 2 ? weight.T : weight); // the general case, by composition
    return bias ? y.add(bias) : y;
  }
  const features = input.shape[input.ndim - 1];
  const x = input.ndim === 2 ? input : input.reshape([-1, features]);
  const y = affine(x, weight, bias ?? null);
  return input.ndim === 2 ? y : y.reshape([...input.shape.slice(0, -1), weight.shape[0]]);
}

/** The primitive: x (n, in), weight (out, in), bias (out) or null. */
function affine(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  // mm and addmm check the shapes and name them on a mismatch; addmm adds the bias as the
  // product's kernel writes each row (the same bits as mm then add).
  const out = noGrad(() => (bias === null ? mm(x, weight.T) : addmm(bias, x, weight.T)));
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  // recorded ops only, so twice(): differentiable again under createGraph
  return record(out, bias === null ? "MmBackward" : "AddmmBackward", inputs, twice((g, [x, weight], needs) => [
    needs[0] ? mm(g, weight) : null,
    needs[1] ? mm(g.T, x) : null,
    ...(bias === null ? [] : [needs[2] ? g.sum(0) : null]),
  ]), [x, weight]);
}
