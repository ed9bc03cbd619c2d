import { ArgumentError } from "@minigrad/tensor";
import type { OwnMembers } from "../members";
import { Module } from "../module";

/**
 * Child modules by string key, in insertion order, as torch.nn.ModuleDict: they are
 * registered (their parameters are `key.weight`, ...) and printed as `(key): ...`, but
 * the dict has no forward of its own. Iterating yields the keys, as torch's.
 *
 * @example
 * ```ts
 * const heads = new ModuleDict({ cls: new Linear(8, 3), box: new Linear(8, 4) });
 * heads.get("cls").forward(x);
 * [...heads.namedParameters()].map(([n]) => n); // ["cls.weight", "cls.bias", "box.weight", "box.bias"]
 * ```
 */
export class ModuleDict extends Module {
  /** @internal the modules by key (a Map keeps insertion order even for keys like "0"). */
  declare readonly _modules: Map<string, Module>;

  constructor(modules: Record<string, Module> | Iterable<readonly [string, Module]> = {}) {
    super();
    Object.defineProperty(this, "_modules", { value: new Map<string, Module>(), enumerable: false });
    this.update(modules);
  }

  /** @internal the walk of Module, with the dict's entries as children after any fields. */
  override _members(): OwnMembers<Module> {
    const own = super._members();
    return { ...own, children: [...own.children, ...this._modules] };
  }

  /** The module under `key`; throws torch's KeyError message if there is none. */
  get(key: string): Module {
    const m = this._modules.get(key);
    if (m === undefined) throw new ArgumentError(`ModuleDict: no module under key '${key}'`);
    return m;
  }

  /** Add or replace the module under `key`; returns this. */
  set(key: string, module: Module): this {
    if (!(module instanceof Module)) throw new TypeError(`${typeof module} is not a Module subclass`);
    if (typeof key !== "string") throw new TypeError(`module name should be a string. Got ${typeof key}`);
    if (key.includes(".")) throw new ArgumentError(`module name can't contain ".", got: ${key}`);
    if (key === "") throw new ArgumentError(`module name can't be empty string ""`);
    this._modules.set(key, module);
    return this;
  }

  /** Whether a module is held under `key`. */
  has(key: string): boolean {
    return this._modules.has(key);
  }

  /** Remove the module under `key` and return it (torch's pop). */
  pop(key: string): Module {
    const m = this.get(key);
    this._modules.delete(key);
    return m;
  }

  /** Remove every module. */
  clear(): void {
    this._modules.clear();
  }

  /** Add each `[key, module]` (or each property of a record), in order; returns this. */
  update(modules: Record<string, Module> | Iterable<readonly [string, Module]>): this {
    const entries = Symbol.iterator in modules
      ? (modules as Iterable<readonly [string, Module]>)
      : Object.entries(modules as Record<string, Module>);
    for (const [key, m] of entries) this.set(key, m);
    return this;
  }

  /** The number of modules held. */
  get size(): number {
    return this._modules.size;
  }

  /** The keys, in insertion order. */
  keys(): IterableIterator<string> {
    return this._modules.keys();
  }

  /** The modules, in insertion order. */
  values(): IterableIterator<Module> {
    return this._modules.values();
  }

  /** `[key, module]` pairs, in insertion order (torch's items()). */
  entries(): IterableIterator<[string, Module]> {
    return this._modules.entries();
  }

  /** The keys, as iterating a torch ModuleDict gives. */
  [Symbol.iterator](): IterableIterator<string> {
    return this._modules.keys();
  }
}
