import { Tensor } from "@minigrad/tensor";
import { Module } from "../module";
import { ModuleContainer } from "./container";

/**
 * Modules applied one after another, as torch.nn.Sequential; children are named "0", "1",
 * ... (so parameters are `0.weight`, `2.bias`, ...) and `seq[i]` / `seq.at(-1)` index them.
 */
export class Sequential extends ModuleContainer {
  constructor(...modules: Module[]) {
    super(modules);
  }

  /** Feed `input` through each child in order; each output is the next one's input. */
  forward(input: Tensor): Tensor {
    let x: unknown = input;
    for (const [, m] of this._members().children) x = callForward(m, x);
    if (!(x instanceof Tensor)) throw new TypeError(`Sequential: the last module returned ${typeof x}, not a Tensor`);
    return x;
  }
}

/** Run a module's forward; the base Module declares none, so check it exists. */
export function callForward(module: Module, ...inputs: unknown[]): unknown {
  const forward = (module as unknown as { forward?: unknown }).forward;
  if (typeof forward !== "function") {
    throw new TypeError(`Module [${module.constructor.name}] is missing the required "forward" function`);
  }
  return (forward as (...args: unknown[]) => unknown).apply(module, inputs);
}
