/**
 * Forward hooks, as torch's `register_forward_pre_hook` / `register_forward_hook`.
 *
 * Modules are not callable (code calls `module.forward(x)` directly), so the first hook
 * registered on a module wraps its `forward` in a non-enumerable own property that runs the
 * pre-hooks, the original forward, then the hooks. Every caller (`Sequential`, user code)
 * goes through it; a module without hooks is untouched.
 */

/**
 * Runs before `forward` with its arguments; returning an array replaces the arguments,
 * another value replaces the single argument (torch wraps it in a tuple), undefined keeps them.
 */
export type ForwardPreHook<M> = (module: M, inputs: unknown[]) => unknown;

/** Runs after `forward` with its arguments and output; a value other than undefined replaces the output. */
export type ForwardHook<M> = (module: M, inputs: unknown[], output: unknown) => unknown;

interface Hooks {
  pre: Map<number, ForwardPreHook<object>>;
  post: Map<number, ForwardHook<object>>;
}

const HOOKS = new WeakMap<object, Hooks>();
let nextId = 0;

/** What a `register...Hook` call returns: `remove()` unregisters the hook (again: nothing). */
export class RemovableHandle {
  /** A number unique to this registration. */
  readonly id: number;
  private readonly table: Map<number, unknown>;

  /** @internal made by registerHook. */
  constructor(table: Map<number, unknown>, id: number) {
    this.table = table;
    this.id = id;
  }

  /** Unregister the hook. */
  remove(): void {
    this.table.delete(this.id);
  }
}

/** @internal register a hook on `module`, wrapping its forward the first time. */
export function registerHook(module: object, kind: "pre" | "post", hook: unknown): RemovableHandle {
  if (typeof hook !== "function") throw new TypeError(`a forward ${kind === "pre" ? "pre-" : ""}hook must be a function`);
  let hooks = HOOKS.get(module);
  if (hooks === undefined) {
    hooks = { pre: new Map(), post: new Map() };
    HOOKS.set(module, hooks);
    wrapForward(module, hooks);
  }
  const id = nextId++;
  const table = hooks[kind] as Map<number, unknown>;
  table.set(id, hook);
  return new RemovableHandle(table, id);
}

function wrapForward(module: object, hooks: Hooks): void {
  const original = (module as { forward?: unknown }).forward;
  if (typeof original !== "function") {
    throw new TypeError(`Module [${module.constructor.name}] is missing the required "forward" function`);
  }
  const forward = original as (...args: unknown[]) => unknown;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    let inputs = args;
    for (const pre of [...hooks.pre.values()]) {
      const result = pre(module, inputs);
      if (result !== undefined) inputs = Array.isArray(result) ? result : [result];
    }
    let output = forward.apply(module, inputs);
    for (const post of [...hooks.post.values()]) {
      const result = post(module, inputs, output);
      if (result !== undefined) output = result;
    }
    return output;
  };
  Object.defineProperty(module, "forward", { value: wrapped, enumerable: false, writable: true, configurable: true });
}
