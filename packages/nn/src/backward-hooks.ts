import { Tensor } from "@minigrad/tensor";
import { RemovableHandle, registerHook } from "./hooks";

/**
 * Full backward hooks (torch's `register_full_backward_hook`): `hook(module, gradInputs,
 * gradOutputs)` runs once per backward through the module, when the gradient with respect to
 * its input is known; an array it returns replaces the gradient that flows on to the input.
 *
 * Built on the forward hooks (hooks.ts) and tensor hooks: before forward, the input that
 * requires grad is replaced by an alias (a view), whose tensor hook sees the gradient with
 * respect to the input; after forward, a tensor hook on the output records the gradient
 * with respect to it. Supported: a Tensor output and at most one tensor input that requires
 * grad (a layer); other modules throw when they run, naming what is missing.
 */
export type FullBackwardHook<M> = (
  module: M, gradInputs: (Tensor | null)[], gradOutputs: (Tensor | null)[],
) => readonly (Tensor | null)[] | void;

/** @internal Module.registerFullBackwardHook's implementation. */
export function registerFullBackwardHook<M extends object>(module: M, hook: FullBackwardHook<M>): RemovableHandle {
  if (typeof hook !== "function") throw new TypeError("a full backward hook must be a function");
  const name = module.constructor.name;
  let alias: Tensor | null = null;
  let gradOutput: Tensor | null = null;
  const pre = registerHook(module, "pre", (_m: M, inputs: unknown[]) => {
    const wanted = inputs.map((x, i) => [x, i] as const).filter(([x]) => x instanceof Tensor && x.requiresGrad);
    if (wanted.length > 1) {
      throw new TypeError(`registerFullBackwardHook: ${name} got ${wanted.length} inputs that require grad; one at most is supported`);
    }
    alias = null;
    gradOutput = null;
    if (wanted.length === 0) return undefined;
    const [x, at] = wanted[0] as readonly [Tensor, number];
    const view = x.view([...x.shape]); // a recorded alias: its gradient is the input's
    alias = view;
    view.registerHook((g) => {
      const replaced = hook(module, [g], [gradOutput]);
      return replaced === undefined ? undefined : replaced[0] ?? undefined;
    });
    const args = [...inputs];
    args[at] = view;
    return args;
  });
  const post = registerHook(module, "post", (_m: M, _inputs: unknown[], output: unknown) => {
    if (!(output instanceof Tensor)) {
      throw new TypeError(`registerFullBackwardHook: ${name} returned ${Array.isArray(output) ? "an array" : typeof output}; a Tensor output is supported`);
    }
    if (!output.requiresGrad) return undefined;
    const noInput = alias === null;
    output.registerHook((g) => {
      gradOutput = g;
      if (noInput) hook(module, [null], [g]); // no input needs a gradient: torch calls it here, with None
    });
    return undefined;
  });
  return new CombinedHandle([pre, post]);
}

/** One handle for the pair of forward hooks a full backward hook is made of. */
class CombinedHandle extends RemovableHandle {
  constructor(private readonly parts: RemovableHandle[]) {
    super(new Map(), -1);
  }

  override remove(): void {
    for (const p of this.parts) p.remove();
  }
}
