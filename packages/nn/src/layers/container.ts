import { ArgumentError } from "@minigrad/tensor";
import { Module } from "../module";

/**
 * The shared part of Sequential and ModuleList: children named "0", "1", ... kept as
 * numeric fields, so `seq[0]` reads the first one and the member walk finds them in order.
 */
export abstract class ModuleContainer extends Module {
  [index: number]: Module;

  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  /** The number of modules held. */
  get length(): number {
    let n = 0;
    while (this[n] !== undefined) n++;
    return n;
  }

  /** The module at index i; negative counts from the end, as Python. */
  at(index: number): Module {
    return this[this.resolve(index)];
  }

  /** Add a module at the end; returns this. */
  append(module: Module): this {
    this.registerModule(String(this.length), module);
    return this;
  }

  /** Append each module in order; returns this. */
  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** Insert a module before index (the later ones shift up by one). */
  insert(index: number, module: Module): this {
    const n = this.length;
    const at = index < 0 ? Math.max(index + n, 0) : Math.min(index, n);
    if (!(module instanceof Module)) throw new TypeError(`${typeof module} is not a Module subclass`);
    for (let i = n; i > at; i--) this[i] = this[i - 1];
    this[at] = module;
    return this;
  }

  /** The modules in index order: `for (const m of seq)`. */
  *[Symbol.iterator](): Iterator<Module> {
    for (let i = 0; i < this.length; i++) yield this[i];
  }

  private resolve(index: number): number {
    const n = this.length;
    if (!Number.isInteger(index) || index < -n || index >= n) {
      throw new ArgumentError(`index ${index} is out of range`);
    }
    return index < 0 ? index + n : index;
  }
}
