import { Tensor, cat } from "@minigrad/tensor";
import { RemovableHandle, registerHook } from "./hooks";

/**
 * Full backward hooks (torch's `register_full_backward_hook`): `hook(module, gradInputs,
 * gradOutputs)` runs once per backward through the module, when the gradient with respect to
 * its input is known; an array it returns replaces the gradient that flows on to the input.
 *
 * Built on the forward hooks (hooks.ts) and tensor hooks: before forward, the input that
 * requires grad is replaced by an alias (a view), whose tensor hook sees the gradient with
 * respect to the input; after forward, a tensor hook on the output records the gradient
 * with respect to it. Several inputs that require grad go through one concatenation, so the
 * hook sees (and may replace) all their gradients in one call, as torch's. Supported: a
 * Tensor output; other modules throw when they run, naming what is missing.
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
    const wanted = inputs.map((x, i) => [x, i] as const).filter((p): p is readonly [Tensor, number] => p[0] instanceof Tensor && p[0].requiresGrad);
    alias = null;
    gradOutput = null;
    if (wanted.length === 0) return undefined;
    const xs = wanted.map(([x]) => x);
    if (xs.some((x) => x.dtype !== xs[0].dtype)) {
      throw new TypeError(`registerFullBackwardHook: ${name}'s inputs that require grad must share a dtype, got ${xs.map((x) => x.dtype).join(", ")}`);
    }
    // One tensor that all inputs needing grad flow through (torch's BackwardHookFunction): its
    // gradient holds every input's at once, so the hook runs once with all of them and may
    // replace any. One input: a view; several: their flattened concatenation, cut back apart.
    const joined = xs.length === 1 ? xs[0].view([...xs[0].shape]) : cat(xs.map((x) => x.reshape([-1])), 0);
    alias = joined;
    const sizes = xs.map((x) => x.numel);
    const pieces = (t: Tensor): Tensor[] => {
      if (xs.length === 1) return [t];
      let at = 0;
      return sizes.map((n, i) => {
        const piece = t.narrow(0, at, n).reshape([...xs[i].shape]);
        at += n;
        return piece;
      });
    };
    joined.registerHook((g) => {
      const replaced = hook(module, pieces(g), [gradOutput]);
      if (replaced === undefined) return undefined;
      if (!Array.isArray(replaced) || replaced.length !== xs.length) {
        throw new TypeError(`registerFullBackwardHook: the hook of ${name} must return nothing or one gradient per input that requires grad (${xs.length})`);
      }
      const gs = replaced.map((r, i) => r ?? pieces(g)[i]);
      return xs.length === 1 ? gs[0] : cat(gs.map((r) => r.reshape([-1])), 0);
    });
    const args = [...inputs];
    const views = pieces(joined);
    wanted.forEach(([, at], i) => { args[at] = views[i]; });
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
