import { enableGrad, noGrad } from "./autograd/grad-mode";
import { grad } from "./autograd/grad";
import { randn } from "./creation";
import { Generator } from "./random";
import { TensorError } from "./errors";
import { Tensor } from "./tensor";

/** Options of `gradcheck`: the step and the tolerances (torch's defaults). */
export interface GradcheckOptions {
  /** Finite-difference step (1e-6). */
  eps?: number;
  /** Absolute tolerance on each Jacobian entry (1e-5). */
  atol?: number;
  /** Relative tolerance, times the numerical entry (1e-3). */
  rtol?: number;
}

/**
 * Check autograd against central finite differences, as torch.autograd.gradcheck:
 * every entry of the Jacobian of `fn` with respect to each input that requires grad
 * must satisfy |analytical - numerical| <= atol + rtol * |numerical|.
 * Inputs that require grad must be float64 (float32 differences are too coarse).
 * Returns true, or throws naming the input, the entries and both values.
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  { eps = 1e-6, atol = 1e-5, rtol = 1e-3 }: GradcheckOptions = {},
): true {
  // Fresh leaves, so the caller's tensors and grads are never touched.
  const leaves = inputs.map((t, i) => {
    if (!t.requiresGrad) return t;
    if (t.dtype !== "float64") {
      throw new TensorError(`gradcheck: input ${i} is ${t.dtype}; inputs that require grad must be float64`);
    }
    return t.detach().clone().requiresGrad_(true);
  });
  const output = fn(...leaves);
  const outFlat = output.numel;
  const checked = leaves.map((t, i) => (t.requiresGrad ? i : -1)).filter((i) => i >= 0);
  if (checked.length === 0) throw new TensorError("gradcheck: no input requires grad");

  // Analytical Jacobian, one row per output element: backward of a one-hot seed.
  const analytical = checked.map((i) => new Float64Array(leaves[i].numel * outFlat));
  for (let j = 0; j < outFlat; j++) {
    for (const i of checked) leaves[i].grad = null;
    const seed = Tensor.empty(output.shape, output.dtype);
    seed._data[j] = 1;
    if (output.requiresGrad) output.backward(seed, { retainGraph: true });
    checked.forEach((i, c) => {
      const g = leaves[i].grad?.toTypedArray();
      if (g) for (let e = 0; e < g.length; e++) analytical[c][e * outFlat + j] = g[e];
    });
  }

  // Numerical Jacobian, one column per input element: (f(x + eps) - f(x - eps)) / 2 eps.
  noGrad(() => {
    checked.forEach((i, c) => {
      const x = leaves[i];
      const data = x._data;
      for (let e = 0; e < x.numel; e++) {
        const original = data[e];
        data[e] = original + eps;
        const plus = fn(...leaves).toTypedArray();
        data[e] = original - eps;
        const minus = fn(...leaves).toTypedArray();
        data[e] = original;
        for (let j = 0; j < outFlat; j++) {
          const numerical = (plus[j] - minus[j]) / (2 * eps);
          const got = analytical[c][e * outFlat + j];
          if (!(Math.abs(got - numerical) <= atol + rtol * Math.abs(numerical))) {
            throw new TensorError(
              `gradcheck: Jacobian mismatch for output element ${j} with respect to input ${i}, element ${e}: ` +
                `numerical ${numerical}, analytical ${got}`,
            );
          }
        }
      }
    });
  });
  return true;
}

/**
 * Check second derivatives (torch.autograd.gradgradcheck): the first derivatives of `fn`,
 * computed by `autograd.grad` with `createGraph`, are dotted with fixed random weights (and a
 * non-scalar output is first weighted by a fixed random gradient), and that scalar function
 * of the inputs goes through `gradcheck`: its gradient, found by differentiating the recorded
 * backward, must match finite differences of the first derivatives.
 *
 * @example
 * gradgradcheck((x) => x.tanh().mul(x).sum(), [randn([3], { dtype: "float64", requiresGrad: true })]);
 */
export function gradgradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): true {
  const generator = new Generator(20261204);
  const probe = noGrad(() => fn(...inputs.map((t) => t.detach())));
  const gradOutput = probe.numel === 1 ? null : randn([...probe.shape], { dtype: "float64", generator });
  const weights = inputs.map((t) => (t.requiresGrad ? randn([...t.shape], { dtype: "float64", generator }) : null));
  const firstDerivatives = (...xs: Tensor[]): Tensor => enableGrad(() => {
    const wrt = xs.filter((t) => t.requiresGrad);
    const out = fn(...xs);
    const gradOutputs = gradOutput === null ? null : [gradOutput.to(out.dtype)];
    const grads = grad(out, wrt, { gradOutputs, createGraph: true, allowUnused: true });
    let total = Tensor.empty([], "float64");
    let at = 0;
    xs.forEach((t, i) => {
      if (!t.requiresGrad) return;
      const g = grads[at++];
      const w = weights[i];
      if (g !== null && w !== null) total = total.add(g.mul(w).sum());
    });
    return total;
  });
  return gradcheck(firstDerivatives, inputs, options);
}
