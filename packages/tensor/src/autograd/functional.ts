import { ArgumentError } from "../errors";
import { stack } from "../ops/movement";
import { Tensor } from "../tensor";
import { enableGrad } from "./grad-mode";
import { grad } from "./grad";

/**
 * torch.autograd.functional: derivatives of a whole function of tensors, built on
 * `autograd.grad`. Each takes the function, its inputs (a tensor, or an array of them: the
 * results keep the same form), and `createGraph` to make the results differentiable again.
 * The inputs are used detached (fresh leaves) unless `createGraph` is set and they require
 * grad, in which case gradients flow back to them too, as torch does.
 */

type Inputs = Tensor | readonly Tensor[];
type Fn = (...xs: Tensor[]) => Tensor | readonly Tensor[];

/** Options of the functional transforms. */
export interface FunctionalOptions {
  /** Make the results differentiable again (default false). */
  createGraph?: boolean;
  /**
   * torch's vectorize: only false (the default, as torch's) is offered: jacobian and hessian
   * run one backward per output element.
   */
  vectorize?: false;
}

function optionsOf(op: string, options: FunctionalOptions): boolean {
  if ((options as { vectorize?: unknown }).vectorize === true) {
    throw new ArgumentError(`${op}: vectorize: true is not supported (one backward per output element, torch's vectorize=False)`);
  }
  return options.createGraph ?? false;
}

/**
 * The vector-Jacobian product v^T J of `fn` at `inputs` (v may be omitted for a one-element
 * output): `[outputs, vjp]`, vjp shaped like the inputs.
 *
 * @example
 * const [y, g] = autograd.functional.vjp((x) => x.pow(2), tensor([1, 2]), tensor([1, 1])); // g = [2, 4]
 */
export function vjp(fn: Fn, inputs: Inputs, v?: Tensor | readonly Tensor[] | null, options: FunctionalOptions = {}): [Tensor | Tensor[], Tensor | Tensor[]] {
  const createGraph = optionsOf("vjp", options);
  const xs = prepare(inputs, createGraph);
  const { outs, many } = enableGrad(() => call(fn, xs));
  const grads = derivative(outs, xs, v === undefined || v === null ? null : asList(v), createGraph, true);
  return [shaped(outs, many, createGraph), like(inputs, grads)];
}

/**
 * The Jacobian-vector product J v of `fn` at `inputs` (v may be omitted for one-element
 * inputs), by the double-vjp trick: `[outputs, jvp]`, jvp shaped like the outputs.
 *
 * @example
 * const [y, t] = autograd.functional.jvp((x) => x.pow(2), tensor([1, 2]), tensor([1, 0])); // t = [2, 0]
 */
export function jvp(fn: Fn, inputs: Inputs, v?: Tensor | readonly Tensor[] | null, options: FunctionalOptions = {}): [Tensor | Tensor[], Tensor | Tensor[]] {
  const createGraph = optionsOf("jvp", options);
  const xs = prepare(inputs, createGraph);
  const tangents = v === undefined || v === null ? xs.map((x) => onesFor(x, "v")) : asList(v);
  return enableGrad(() => {
    const { outs, many } = call(fn, xs);
    // u -> u^T J is linear in u; its gradient with respect to u along v is J v.
    const us = outs.map((o) => Tensor.empty(o.shape, o.dtype).requiresGrad_(true));
    const vjps = grad(outs, xs, { gradOutputs: us, createGraph: true, allowUnused: true });
    const used = vjps.map((g, i) => [g, tangents[i]] as const).filter((p): p is readonly [Tensor, Tensor] => p[0] !== null);
    const jvps = used.length === 0
      ? us.map(() => null)
      : grad(used.map(([g]) => g), us, { gradOutputs: used.map(([, t]) => t), createGraph, allowUnused: true });
    const results = jvps.map((j, i) => j ?? Tensor.empty(outs[i].shape, outs[i].dtype));
    return [shaped(outs, many, createGraph), many ? results : results[0]];
  });
}

/**
 * The Jacobian of `fn` at `inputs`: for one input and one output, a tensor of shape
 * `[...output.shape, ...input.shape]`; with several, an array over outputs (then inputs), as
 * torch (`vectorize: false`: one backward per output element).
 *
 * @example
 * autograd.functional.jacobian((x) => x.pow(2), tensor([1, 2])); // [[2, 0], [0, 4]]
 */
export function jacobian(fn: Fn, inputs: Inputs, options: FunctionalOptions = {}): Tensor | Tensor[] | Tensor[][] {
  const createGraph = optionsOf("jacobian", options);
  const xs = prepare(inputs, createGraph);
  const { outs, many } = enableGrad(() => call(fn, xs));
  const blocks = outs.map((out) => {
    const rows: Tensor[][] = xs.map(() => []);
    for (let j = 0; j < out.numel; j++) {
      const seed = Tensor.empty(out.shape, out.dtype);
      seed._data[j] = 1;
      const grads = enableGrad(() => grad(out, xs, { gradOutputs: seed, retainGraph: true, createGraph, allowUnused: true }));
      grads.forEach((g, i) => rows[i].push(g ?? Tensor.empty(xs[i].shape, xs[i].dtype)));
    }
    return rows.map((r, i) => (r.length === 0 ? Tensor.empty([...out.shape, ...xs[i].shape], xs[i].dtype) : stack(r, 0).reshape([...out.shape, ...xs[i].shape])));
  });
  const oneOut = !many, oneIn = inputs instanceof Tensor;
  if (oneOut && oneIn) return blocks[0][0];
  if (oneOut) return blocks[0];
  if (oneIn) return blocks.map((b) => b[0]);
  return blocks;
}

/**
 * The Hessian of a scalar function `fn` at `inputs`: shape `[...input.shape, ...input.shape]`
 * for one input (an array of arrays over pairs of inputs for several).
 *
 * @example
 * autograd.functional.hessian((x) => x.pow(3).sum(), tensor([1, 2])); // [[6, 0], [0, 12]]
 */
export function hessian(fn: (...xs: Tensor[]) => Tensor, inputs: Inputs, options: FunctionalOptions = {}): Tensor | Tensor[][] {
  const createGraph = optionsOf("hessian", options);
  const gradients = (...xs: Tensor[]): Tensor[] => {
    const out = fn(...xs);
    if (out.numel !== 1) throw new ArgumentError(`hessian: the function must return a one-element tensor, got shape [${out.shape.join(", ")}]`);
    return grad(out, xs, { createGraph: true, allowUnused: true }).map((g, i) => g ?? Tensor.empty(xs[i].shape, xs[i].dtype));
  };
  const single = inputs instanceof Tensor;
  const H = jacobian((...xs) => (single ? gradients(...xs)[0] : gradients(...xs)), inputs, { createGraph });
  return H as Tensor | Tensor[][];
}

/**
 * The Hessian-vector product H v of a scalar function: `[output, hvp]`, hvp shaped like the
 * inputs (one backward through the recorded gradient, no Hessian built).
 *
 * @example
 * autograd.functional.hvp((x) => x.pow(3).sum(), tensor([1, 2]), tensor([1, 1]))[1]; // [6, 12]
 */
export function hvp(fn: (...xs: Tensor[]) => Tensor, inputs: Inputs, v: Tensor | readonly Tensor[], options: FunctionalOptions = {}): [Tensor, Tensor | Tensor[]] {
  const createGraph = optionsOf("hvp", options);
  const xs = prepare(inputs, createGraph);
  return enableGrad(() => {
    const out = fn(...xs);
    if (out.numel !== 1) throw new ArgumentError(`hvp: the function must return a one-element tensor, got shape [${out.shape.join(", ")}]`);
    const gs = grad(out, xs, { createGraph: true, allowUnused: true });
    const vs = asList(v);
    const used = gs.map((g, i) => [g, vs[i]] as const).filter((p): p is readonly [Tensor, Tensor] => p[0] !== null);
    const hv = used.length === 0 ? xs.map(() => null) : grad(used.map(([g]) => g), xs, { gradOutputs: used.map(([, t]) => t), createGraph, allowUnused: true });
    const results = hv.map((h, i) => h ?? Tensor.empty(xs[i].shape, xs[i].dtype));
    return [createGraph ? out : out.detach(), like(inputs, results)];
  });
}

// ---------------------------------------------------------------- helpers

function asList(x: Tensor | readonly Tensor[]): Tensor[] {
  const list = x instanceof Tensor ? [x] : Array.isArray(x) ? [...x] : null;
  if (list === null || !list.every((t) => t instanceof Tensor)) throw new ArgumentError("autograd.functional: expected a Tensor or an array of Tensors");
  return list;
}

/** Fresh leaves (detached), or, with createGraph, aliases that keep the inputs' graph. */
function prepare(inputs: Inputs, createGraph: boolean): Tensor[] {
  return asList(inputs).map((t) => (createGraph && t.requiresGrad ? t.view([...t.shape]) : t.detach().requiresGrad_(true)));
}

function derivative(outs: Tensor[], xs: Tensor[], v: Tensor[] | null, createGraph: boolean, allowUnused: boolean): Tensor[] {
  const gs = enableGrad(() => grad(outs, xs, { gradOutputs: v, createGraph, allowUnused }));
  return gs.map((g, i) => g ?? Tensor.empty(xs[i].shape, xs[i].dtype));
}

function onesFor(x: Tensor, what: string): Tensor {
  if (x.numel !== 1) throw new ArgumentError(`autograd.functional: ${what} can be omitted only for one-element tensors, got shape [${x.shape.join(", ")}]`);
  return Tensor.empty(x.shape, x.dtype).fill_(1);
}

/** Call fn on xs: its outputs as a list, and whether it returned an array. */
function call(fn: Fn, xs: Tensor[]): { outs: Tensor[]; many: boolean } {
  const raw = fn(...xs);
  return { outs: asList(raw), many: Array.isArray(raw) };
}

/** The function's outputs in its own form (a tensor or an array), detached unless createGraph. */
function shaped(outs: Tensor[], many: boolean, createGraph: boolean): Tensor | Tensor[] {
  const list = outs.map((o) => (createGraph ? o : o.detach()));
  return many ? list : list[0];
}

function like(inputs: Inputs, values: Tensor[]): Tensor | Tensor[] {
  return inputs instanceof Tensor ? values[0] : values;
}
