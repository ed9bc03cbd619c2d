import { ArgumentError, Tensor } from "@minigrad/tensor";
import { Parameter } from "./parameter";

/**
 * How a Module finds its parameters, buffers and children: by reading its own fields.
 *
 * TypeScript class fields are defined after the base constructor has run, so the base
 * class cannot intercept them; instead every traversal walks the module's own enumerable
 * properties in insertion order (declaration order for class fields). A field holding a
 * Parameter is a parameter, one holding a Module a child, and an array of them names its
 * elements `field.0`, `field.1`, ... (the names a torch ModuleList would give). Buffers
 * cannot be told from plain tensor attributes by their value, so their names are
 * registered (`registerBuffer`) and only their values are read from the fields.
 */

/** The parts of a Module this file needs (avoids a circular import of the class). */
export interface MemberHost {
  /** @internal buffer name -> persistent (in the state dict) or not. */
  readonly _bufferNames: Map<string, boolean>;
}

export interface OwnMembers<M> {
  parameters: [string, Parameter][];
  buffers: [string, Tensor, boolean][];
  children: [string, M][];
}

/** The module's own parameters, buffers and children, in field order (nothing recursive). */
export function ownMembers<M extends MemberHost>(host: M, isModule: (v: unknown) => v is M): OwnMembers<M> {
  const out: OwnMembers<M> = { parameters: [], buffers: [], children: [] };
  const fields = host as unknown as Record<string, unknown>;
  for (const key of Object.keys(host)) {
    const value = fields[key];
    const persistent = host._bufferNames.get(key);
    if (persistent !== undefined) {
      if (value instanceof Tensor) out.buffers.push([key, value, persistent]);
    } else if (value instanceof Parameter) {
      out.parameters.push([key, value]);
    } else if (isModule(value)) {
      out.children.push([key, value]);
    } else if (Array.isArray(value)) {
      value.forEach((item: unknown, i) => {
        if (item instanceof Parameter) out.parameters.push([`${key}.${i}`, item]);
        else if (isModule(item)) out.children.push([`${key}.${i}`, item]);
      });
    }
  }
  return out;
}

export type MemberKind = "parameter" | "buffer" | "module";

/**
 * torch's checks before registering `name` (messages as register_parameter, register_buffer
 * and add_module). A name may be taken over when its field is unset, or already holds a
 * member of the same kind.
 */
export function checkMemberName(host: MemberHost, kind: MemberKind, name: string, sameKind: (v: unknown) => boolean): void {
  if (typeof name !== "string") {
    throw new TypeError(`${kind} name should be a string. Got ${typeName(name)}`);
  }
  const taken = (): boolean => {
    if (!(name in host)) return false;
    if (kind === "buffer" && host._bufferNames.has(name)) return false;
    if (!Object.prototype.hasOwnProperty.call(host, name)) return true; // a method or getter
    const value = (host as unknown as Record<string, unknown>)[name];
    return !(value === undefined || value === null || (sameKind(value) && !host._bufferNames.has(name)));
  };
  if (kind === "module" && taken()) throw new ArgumentError(`attribute '${name}' already exists`);
  if (name.includes(".")) {
    throw new ArgumentError(kind === "module" ? `module name can't contain ".", got: ${name}` : `${kind} name can't contain "."`);
  }
  if (name === "") throw new ArgumentError(`${kind} name can't be empty string ""`);
  if (kind !== "module" && taken()) throw new ArgumentError(`attribute '${name}' already exists`);
}

/** A short name for a value's type in messages: its class name, or typeof. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}
