import { ArgumentError, Tensor, keep, noGrad, type DType } from "@minigrad/tensor";
import { convertModules } from "./convert";
import { registerHook, type ForwardHook, type ForwardPreHook, type RemovableHandle } from "./hooks";
import { registerFullBackwardHook, type FullBackwardHook } from "./backward-hooks";
import { checkMemberName, ownMembers, typeName, type MemberHost, type OwnMembers } from "./members";
import { Parameter } from "./parameter";
import { checkStateDict, type LoadStateDictResult } from "./state-dict";

/**
 * The base class of every layer and model, as `torch.nn.Module`.
 *
 * Subclasses just assign fields: a `Parameter` field is a parameter, a `Module` field a
 * child, an array of modules (or parameters) names its elements `field.0`, `field.1`.
 * They are found in declaration order, and traversals follow torch exactly: each module's
 * own parameters before its children's, pre-order, every parameter and module once even
 * when shared, names joined with dots (`fc1.weight`, `0.bias`).
 *
 * A subclass defines `forward(...)` with whatever signature it needs; the base class
 * declares none, so no `override` is needed.
 *
 * @example
 * class MLP extends Module {
 *   fc1 = new Linear(64, 128);
 *   fc2 = new Linear(128, 10);
 *   forward(x: Tensor) { return this.fc2.forward(F.relu(this.fc1.forward(x))); }
 * }
 */
export class Module implements MemberHost {
  /** True in training mode (the default), false after `eval()`; Dropout reads it. */
  training = true;
  /** @internal buffer name -> persistent; see registerBuffer. */
  declare readonly _bufferNames: Map<string, boolean>;

  constructor() {
    // Not enumerable, so it is not mistaken for a field when the module walks its members.
    Object.defineProperty(this, "_bufferNames", { value: new Map<string, boolean>(), enumerable: false });
  }

  // ---------------------------------------------------------------- registration

  /** Add a parameter under `name` (null reserves the name); returns it. */
  registerParameter<P extends Parameter | null>(name: string, param: P): P {
    checkMemberName(this, "parameter", name, (v) => v instanceof Parameter);
    if (param !== null && !(param instanceof Parameter)) {
      throw new TypeError(`cannot assign '${typeName(param)}' object to parameter '${name}' (Parameter or null required)`);
    }
    if (param !== null && param.gradFn !== null) {
      throw new ArgumentError(
        `Cannot assign non-leaf Tensor to parameter '${name}'. Model parameters must be created explicitly. ` +
          `To express '${name}' as a function of another Tensor, compute the value in the forward() method.`,
      );
    }
    this.setField(name, param);
    return param;
  }

  /**
   * Add a buffer: a tensor that is part of the module's state but not a parameter (running
   * statistics, say). Persistent buffers are saved in `stateDict()`. Returns the tensor.
   */
  registerBuffer<B extends Tensor | null>(name: string, tensor: B, { persistent = true }: { persistent?: boolean } = {}): B {
    // A plain tensor field may become a buffer (`mean = zeros([4])`, then registerBuffer("mean", this.mean)).
    checkMemberName(this, "buffer", name, (v) => v instanceof Tensor && !(v instanceof Parameter));
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new TypeError(`cannot assign '${typeName(tensor)}' object to buffer '${name}' (Tensor or null required)`);
    }
    this._bufferNames.set(name, persistent);
    if (tensor !== null) keep(tensor); // module state outlives any tidy scope
    this.setField(name, tensor);
    return tensor;
  }

  /** Add a child module under a name chosen at run time; returns it. */
  registerModule<M extends Module | null>(name: string, module: M): M {
    if (module !== null && !(module instanceof Module)) throw new TypeError(`${typeName(module)} is not a Module subclass`);
    checkMemberName(this, "module", name, (v) => v instanceof Module);
    this.setField(name, module);
    return module;
  }

  private setField(name: string, value: unknown): void {
    (this as unknown as Record<string, unknown>)[name] = value;
  }

  /** @internal own parameters, buffers and children, in field order. */
  _members(): OwnMembers<Module> {
    return ownMembers<Module>(this, (v): v is Module => v instanceof Module);
  }

  // ---------------------------------------------------------------- traversal

  /** This module and every descendant, pre-order, each once: `["", this]`, `["fc1", ...]`. */
  *namedModules(prefix = "", memo: Set<Module> = new Set()): Generator<[string, Module]> {
    if (memo.has(this)) return;
    memo.add(this);
    yield [prefix, this];
    for (const [name, child] of this._members().children) {
      yield* child.namedModules(prefix ? `${prefix}.${name}` : name, memo);
    }
  }

  /** This module and every descendant, pre-order, each once (`namedModules` without names). */
  *modules(): Generator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** The direct children, each once, with their field names. */
  *namedChildren(): Generator<[string, Module]> {
    const memo = new Set<Module>();
    for (const [name, child] of this._members().children) {
      if (memo.has(child)) continue;
      memo.add(child);
      yield [name, child];
    }
  }

  /** The direct children, each once (`namedChildren` without names). */
  *children(): Generator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /** Parameters with dotted names; own first, then each child's; a shared one once, first name wins. */
  *namedParameters(prefix = "", recurse = true): Generator<[string, Parameter]> {
    yield* this.namedMembers(prefix, recurse, (m) => m._members().parameters);
  }

  /** Every parameter once (what an optimizer takes). */
  *parameters(recurse = true): Generator<Parameter> {
    for (const [, p] of this.namedParameters("", recurse)) yield p;
  }

  /** Buffers with dotted names, in the order of `namedParameters`; a shared one once. */
  *namedBuffers(prefix = "", recurse = true): Generator<[string, Tensor]> {
    yield* this.namedMembers(prefix, recurse, (m) => m._members().buffers.map(([n, t]) => [n, t] as [string, Tensor]));
  }

  /** Every buffer once: state that is not a parameter, such as a loss's class weights. */
  *buffers(recurse = true): Generator<Tensor> {
    for (const [, b] of this.namedBuffers("", recurse)) yield b;
  }

  private *namedMembers<T extends Tensor>(
    prefix: string,
    recurse: boolean,
    own: (m: Module) => [string, T][],
  ): Generator<[string, T]> {
    const seen = new Set<T>();
    const modules: Iterable<[string, Module]> = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [modulePrefix, module] of modules) {
      for (const [name, member] of own(module)) {
        if (seen.has(member)) continue;
        seen.add(member);
        yield [modulePrefix ? `${modulePrefix}.${name}` : name, member];
      }
    }
  }

  /** Call fn on every descendant (children first) and then on this module, as torch's apply. */
  apply(fn: (module: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  // ---------------------------------------------------------------- modes and gradients

  /** Set training mode here and in every descendant; returns this. */
  train(mode = true): this {
    if (typeof mode !== "boolean") throw new ArgumentError("training mode is expected to be boolean");
    this.training = mode;
    for (const child of this.children()) child.train(mode);
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Set requiresGrad on every parameter (freeze with false); returns this. */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }

  /**
   * Convert every floating-point parameter and buffer to `dtype` ("float32" or "float64"),
   * here and in every descendant; returns this. Each converted parameter is a new
   * `Parameter` (dtypes are fixed), so build optimizers after converting.
   */
  to(dtype: DType): this {
    convertModules(this.modules(), dtype);
    return this;
  }

  /** `to("float64")`, as torch's `double()`. */
  double(): this {
    return this.to("float64");
  }

  /** `to("float32")`, as torch's `float()`. */
  float(): this {
    return this.to("float32");
  }

  // ---------------------------------------------------------------- hooks

  /**
   * Run `hook(module, inputs)` before every `forward` of this module; an array it returns
   * replaces the arguments, another value the single argument. Returns a handle whose
   * `remove()` unregisters it.
   */
  registerForwardPreHook(hook: ForwardPreHook<this>): RemovableHandle {
    return registerHook(this, "pre", hook);
  }

  /**
   * Run `hook(module, inputs, output)` after every `forward` of this module; a value it
   * returns (other than undefined) replaces the output. Returns a removable handle.
   */
  registerForwardHook(hook: ForwardHook<this>): RemovableHandle {
    return registerHook(this, "post", hook);
  }

  /**
   * Run `hook(module, gradInputs, gradOutputs)` in every backward through this module, once
   * the gradient with respect to its input is known (torch's register_full_backward_hook); an
   * array it returns replaces those gradients (one per input that requires grad); a Tensor
   * output. Returns a removable handle.
   */
  registerFullBackwardHook(hook: FullBackwardHook<this>): RemovableHandle {
    return registerFullBackwardHook(this, hook);
  }

  /**
   * Reset the gradients of every parameter: zero-filled in place by default (torch 1.13's
   * default), or set to null with `setToNone` (optimizers then skip those parameters).
   */
  zeroGrad(setToNone = false): void {
    for (const p of this.parameters()) {
      const g = p.grad;
      if (g === null) continue;
      if (setToNone) {
        p.grad = null;
      } else {
        if (g.gradFn !== null) g.detach_();
        else g.requiresGrad_(false);
        noGrad(() => g.zero_());
      }
    }
  }

  // ---------------------------------------------------------------- state dict

  /**
   * Parameters and persistent buffers by torch's keys: own parameters, own buffers, then
   * each child's under `name.` (no de-duplication: a shared module appears under every
   * name). Values are detached and share storage with the module's tensors.
   */
  stateDict(prefix = "", destination: Record<string, Tensor> = {}): Record<string, Tensor> {
    const { parameters, buffers, children } = this._members();
    for (const [name, p] of parameters) destination[prefix + name] = p.detach();
    for (const [name, b, persistent] of buffers) if (persistent) destination[prefix + name] = b.detach();
    for (const [name, child] of children) child.stateDict(`${prefix}${name}.`, destination);
    return destination;
  }

  /**
   * Copy values from a state dict into the parameters and buffers (cast to their dtypes).
   * Every key and shape is checked first; on any problem it throws naming the missing,
   * unexpected and mis-shaped keys and changes nothing. `strict: false` tolerates missing
   * and unexpected keys (they are returned) but never a shape mismatch.
   */
  loadStateDict(stateDict: Record<string, Tensor>, { strict = true }: { strict?: boolean } = {}): LoadStateDictResult {
    const targets = this.stateDictTargets();
    const result = checkStateDict(this.constructor.name, targets, stateDict, strict);
    noGrad(() => {
      // A value sharing storage with another target (`{ a: m.b.detach(), b: m.a.detach() }`)
      // would be overwritten before it is read: copy those first, so the dict loads as it was.
      const storages = new Set([...targets.values()].map((t) => t._data));
      const sources = new Map<Tensor, Tensor>();
      for (const [key, target] of targets) {
        if (!Object.prototype.hasOwnProperty.call(stateDict, key)) continue;
        const value = stateDict[key];
        const aliased = storages.has(value._data) && !sameView(value, target);
        sources.set(target, aliased ? value.clone() : value);
      }
      for (const [target, value] of sources) target.copy_(value);
    });
    return result;
  }

  /** The live tensors behind each state-dict key (not detached: they are written to). */
  private stateDictTargets(prefix = "", out = new Map<string, Tensor>()): Map<string, Tensor> {
    const { parameters, buffers, children } = this._members();
    for (const [name, p] of parameters) out.set(prefix + name, p);
    for (const [name, b, persistent] of buffers) if (persistent) out.set(prefix + name, b);
    for (const [name, child] of children) child.stateDictTargets(`${prefix}${name}.`, out);
    return out;
  }

  // ---------------------------------------------------------------- printing

  /** The part inside the parentheses of this module's line, e.g. `in_features=4, ...`. */
  extraRepr(): string {
    return "";
  }

  /** The module tree, as torch prints it. */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split("\n") : [];
    const childLines = this._members().children.map(([name, child]) => `(${name}): ${indent(child.toString(), 2)}`);
    const lines = [...extraLines, ...childLines];
    let main = `${this.constructor.name}(`;
    if (lines.length > 0) {
      main += extraLines.length === 1 && childLines.length === 0 ? extraLines[0] : `\n  ${lines.join("\n  ")}\n`;
    }
    return `${main})`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** The same elements of the same storage, in the same layout. */
function sameView(a: Tensor, b: Tensor): boolean {
  const same = (x: readonly number[], y: readonly number[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return a._data === b._data && a.offset === b.offset && same(a.shape, b.shape) && same(a.strides, b.strides);
}

/** Indent every line but the first (torch's _addindent). */
function indent(text: string, spaces: number): string {
  const lines = text.split("\n");
  if (lines.length === 1) return text;
  const pad = " ".repeat(spaces);
  return [lines[0], ...lines.slice(1).map((l) => pad + l)].join("\n");
}
