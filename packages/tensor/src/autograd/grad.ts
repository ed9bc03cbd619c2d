import { ArgumentError, AutogradError, ShapeError, fmtShape } from "../errors";
import { sameShape } from "../shape";
import { Tensor } from "../tensor";
import { runBackward } from "./engine";
import type { Node } from "./node";

/** Options of `autograd.grad`, torch's names in camelCase. */
export interface GradOptions {
  /**
   * The gradient of some scalar with respect to each output (torch's grad_outputs), one per
   * output; null (or omitted) for a one-element output means 1.
   */
  gradOutputs?: Tensor | readonly (Tensor | null)[] | null;
  /** Keep the graph's saved tensors for another backward through it (default false). */
  retainGraph?: boolean;
  /**
   * Record the backward pass, so that the gradients returned can be differentiated again
   * (gradients of gradients); retainGraph then defaults to true (default false).
   */
  createGraph?: boolean;
  /** Give null for an input the outputs do not depend on, instead of throwing (default false). */
  allowUnused?: boolean;
}

const OPTIONS = new Set(["gradOutputs", "retainGraph", "createGraph", "allowUnused"]);

/**
 * The gradients of `outputs` with respect to `inputs` (torch.autograd.grad): the sum over
 * the outputs of d(output)/d(input) applied to its gradOutput, one tensor (or null, with
 * `allowUnused`) per input. No `.grad` is touched; only the part of the graph between the
 * outputs and the inputs runs. Non-leaf inputs get the gradient arriving at them (before
 * their hooks, as torch). With `createGraph` the gradients are themselves differentiable.
 *
 * @example
 * const x = tensor([1.5, -0.3], { requiresGrad: true });
 * const [g] = autograd.grad(x.pow(3).sum(), x); // 3x^2: [6.75, 0.27]; x.grad stays null
 */
export function grad(
  outputs: Tensor | readonly Tensor[],
  inputs: Tensor | readonly Tensor[],
  options: GradOptions = {},
): (Tensor | null)[] {
  const outs = asList("outputs", outputs);
  const ins = asList("inputs", inputs);
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`grad: options must be an object such as { retainGraph: true }, got ${String(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTIONS.has(key)) {
      throw new ArgumentError(`grad: unknown option '${key}'; the options are ${[...OPTIONS].join(", ")}`);
    }
  }
  const { createGraph = false, allowUnused = false } = options;
  const { retainGraph = createGraph } = options;
  for (const [name, flag] of [["retainGraph", retainGraph], ["createGraph", createGraph], ["allowUnused", allowUnused]] as const) {
    if (typeof flag !== "boolean") throw new ArgumentError(`grad: ${name} must be a boolean, got ${typeof flag}`);
  }
  const seeds = seedsOf(outs, options.gradOutputs, createGraph);
  const capture = new Map<Node, number>();
  ins.forEach((t, i) => {
    if (!t.requiresGrad) throw new AutogradError("One of the differentiated Tensors does not require grad");
    const node = t.gradFn ?? t._gradAccumulator();
    if (!capture.has(node)) capture.set(node, i);
  });
  const captured = runBackward(outs, seeds, { capture, accumulate: "none", retainGraph, createGraph });
  return ins.map((t) => {
    const g = captured[capture.get(t.gradFn ?? t._gradAccumulator()) as number];
    if (g === null && !allowUnused) {
      throw new AutogradError(
        "One of the differentiated Tensors appears to not have been used in the graph. " +
          "Set allow_unused=True if this is the desired behavior.",
      );
    }
    return g;
  });
}

function asList(what: string, value: Tensor | readonly Tensor[]): readonly Tensor[] {
  const list = value instanceof Tensor ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((t) => t instanceof Tensor)) {
    throw new ArgumentError(`grad: ${what} must be a Tensor or a non-empty array of Tensors`);
  }
  for (const t of list) {
    if (t.isDisposed) throw new AutogradError(`grad: one of the ${what} (shape ${fmtShape(t.shape)}) was disposed`);
  }
  return list;
}

/** One seed per output: its gradOutput (cast to its dtype), or ones for a one-element output. */
function seedsOf(outs: readonly Tensor[], gradOutputs: GradOptions["gradOutputs"], createGraph: boolean): Tensor[] {
  const given = gradOutputs === undefined || gradOutputs === null ? [] : gradOutputs instanceof Tensor ? [gradOutputs] : gradOutputs;
  if (!Array.isArray(given) || (given.length !== 0 && given.length !== outs.length)) {
    throw new ArgumentError(
      `grad: gradOutputs must have one entry per output: got ${Array.isArray(given) ? given.length : typeof given} for ${outs.length}`,
    );
  }
  return outs.map((out, i) => {
    const g = given[i] ?? null;
    if (g === null) {
      if (out.numel !== 1) throw new AutogradError("grad can be implicitly created only for scalar outputs");
      return Tensor.empty(out.shape, out.dtype).fill_(1);
    }
    if (!(g instanceof Tensor)) throw new ArgumentError(`grad: gradOutputs[${i}] must be a Tensor or null, got ${typeof g}`);
    if (!sameShape(g.shape, out.shape)) {
      throw new ShapeError(
        `Mismatch in shape: grad_output[${i}] has a shape of ${fmtShape(g.shape)} and output[${i}] has a ` +
          `shape of ${fmtShape(out.shape)}.`,
      );
    }
    // With createGraph the result may be differentiated with respect to the gradOutputs too (jvp's trick).
    const cast = g.dtype === out.dtype ? g : g.to(out.dtype);
    return createGraph ? cast : cast.detach();
  });
}

/**
 * @internal For a backward function that differentiates a recorded recomputation of its op
 * (createGraph through a fused primitive): the gradients of `out` with respect to `aliases`
 * (views of the function's inputs, made for the recomputation), for `gradOutput`, recorded.
 * The nested pass stops at the aliases, so the graph beyond them (the outer pass's) is not
 * touched; null for an alias that needs no gradient or gets none.
 */
export function gradThrough(out: Tensor, aliases: readonly Tensor[], gradOutput: Tensor): (Tensor | null)[] {
  const capture = new Map<Node, number>();
  aliases.forEach((t, i) => {
    if (t.requiresGrad && t.gradFn !== null && !capture.has(t.gradFn)) capture.set(t.gradFn, i);
  });
  if (!out.requiresGrad || capture.size === 0) return aliases.map(() => null);
  const captured = runBackward([out], [gradOutput], { capture, accumulate: "none", retainGraph: true, createGraph: true, stopAtCapture: true });
  return aliases.map((t) => (t.gradFn !== null && capture.has(t.gradFn) ? captured[capture.get(t.gradFn) as number] : null));
}
