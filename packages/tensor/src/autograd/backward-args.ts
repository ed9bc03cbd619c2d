import { ArgumentError, AutogradError, ShapeError, fmtShape } from "../errors";
import { sameShape } from "../shape";
import { Tensor } from "../tensor";

/**
 * `root.backward(gradient, options)`'s arguments, checked: the seed gradient (ones for a
 * one-element root, else `gradient`, which must match its shape; cast to its dtype) and
 * whether to keep the graph.
 */
export function seedOf(
  root: Tensor, gradient: unknown, options: unknown,
): { seed: Tensor; retainGraph: boolean; createGraph: boolean; inputs: readonly Tensor[] | null } {
  if (gradient !== undefined && gradient !== null && !(gradient instanceof Tensor)) {
    const got = typeof gradient === "object"
      ? "an object (options go second: backward(null, { retainGraph: true }))"
      : `a ${typeof gradient} (${String(gradient)})`;
    throw new ArgumentError(`backward: gradient must be a Tensor, null or undefined, got ${got}`);
  }
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`backward: options must be an object such as { retainGraph: true }, got ${String(options)}`);
  }
  const { retainGraph } = options as { retainGraph?: unknown };
  if (retainGraph !== undefined && typeof retainGraph !== "boolean") {
    throw new ArgumentError(`backward: retainGraph must be a boolean, got ${typeof retainGraph}`);
  }
  const inputs = inputsOf((options as { inputs?: unknown }).inputs);
  const { createGraph = false } = options as { createGraph?: unknown };
  if (typeof createGraph !== "boolean") throw new ArgumentError(`backward: createGraph must be a boolean, got ${typeof createGraph}`);
  // torch: retain_graph defaults to create_graph
  if (gradient === undefined || gradient === null) {
    if (root.numel !== 1) throw new AutogradError("grad can be implicitly created only for scalar outputs");
    const seed = Tensor.empty(root.shape, root.dtype);
    seed._data.fill(1);
    return { seed, retainGraph: retainGraph ?? createGraph, createGraph, inputs };
  }
  if (!sameShape(gradient.shape, root.shape)) {
    throw new ShapeError(
      `Mismatch in shape: grad_output[0] has a shape of ${fmtShape(gradient.shape)} and output[0] has a ` +
        `shape of ${fmtShape(root.shape)}.`,
    );
  }
  const seed = gradient.dtype === root.dtype ? gradient.detach() : gradient.to(root.dtype).detach();
  return { seed, retainGraph: retainGraph ?? createGraph, createGraph, inputs };
}

/** backward's `inputs`: tensors that require grad, the only ones whose `.grad` it fills. */
function inputsOf(inputs: unknown): readonly Tensor[] | null {
  if (inputs === undefined) return null;
  if (!Array.isArray(inputs) || !inputs.every((t) => t instanceof Tensor)) {
    throw new ArgumentError("backward: inputs must be an array of Tensors");
  }
  if (inputs.length === 0) throw new AutogradError("'inputs' argument to backward() cannot be empty.");
  for (const t of inputs as Tensor[]) {
    if (!t.requiresGrad) throw new AutogradError("One of the differentiated Tensors does not require grad");
  }
  return inputs as Tensor[];
}
