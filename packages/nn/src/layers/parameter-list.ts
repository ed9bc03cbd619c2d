import { ArgumentError, Tensor } from "@minigrad/tensor";
import { Module } from "../module";
import { Parameter } from "../parameter";

/**
 * A list of parameters named "0", "1", ..., as torch.nn.ParameterList: a module that holds
 * them (so `parameters()` and the state dict find them) and prints their dtypes and sizes.
 * A plain tensor is wrapped in a `Parameter` (sharing its storage), as torch does.
 *
 * @example
 * ```ts
 * const scales = new ParameterList([ones([4]), ones([8])]);
 * [...scales.namedParameters()].map(([n]) => n); // ["0", "1"]
 * ```
 */
export class ParameterList extends Module {
  [index: number]: Parameter;

  constructor(parameters: Iterable<Tensor> = []) {
    super();
    this.extend(parameters);
  }

  /** The number of parameters held. */
  get length(): number {
    let n = 0;
    while (this[n] !== undefined) n++;
    return n;
  }

  /** The parameter at `index`; negative counts from the end, as Python. */
  at(index: number): Parameter {
    const n = this.length;
    if (!Number.isInteger(index) || index < -n || index >= n) throw new ArgumentError(`index ${index} is out of range`);
    return this[index < 0 ? index + n : index];
  }

  /** Add a parameter (or a tensor, wrapped) at the end; returns this. */
  append(param: Tensor): this {
    if (!(param instanceof Tensor)) throw new TypeError(`ParameterList: expected a Tensor, got ${typeof param}`);
    this.registerParameter(String(this.length), param instanceof Parameter ? param : new Parameter(param));
    return this;
  }

  /** Replace the parameter at `index` (negative counts from the end) with `param` (a tensor is wrapped); returns this. */
  set(index: number, param: Tensor): this {
    const n = this.length;
    if (!Number.isInteger(index) || index < -n || index >= n) throw new ArgumentError(`index ${index} is out of range`);
    if (!(param instanceof Tensor)) throw new TypeError(`ParameterList: expected a Tensor, got ${typeof param}`);
    this.registerParameter(String(index < 0 ? index + n : index), param instanceof Parameter ? param : new Parameter(param));
    return this;
  }

  /** Append each in order; returns this. */
  extend(parameters: Iterable<Tensor>): this {
    for (const p of parameters) this.append(p);
    return this;
  }

  /** The parameters in index order. */
  *[Symbol.iterator](): Iterator<Parameter> {
    for (let i = 0; i < this.length; i++) yield this[i];
  }

  override extraRepr(): string {
    return [...this].map((p, i) => `  (${i}): Parameter containing: [torch.${p.dtype} of size ${p.shape.join("x")}]`)
      .join("\n");
  }
}
