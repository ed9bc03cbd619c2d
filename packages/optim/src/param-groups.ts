import { Tensor } from "@minigrad/tensor";
import { OptimizerError, typeName } from "./errors";

/**
 * A parameter group as the optimizer keeps it: its parameters plus every option, resolved
 * (the group's own values win over the defaults). Keys the optimizer does not know are
 * kept, as torch keeps them, so schedulers and users can store their own (`initialLr`).
 */
export type ParamGroup<O extends object> = O & { params: Tensor[] } & { [key: string]: unknown };

/** A parameter group as a user writes it: `{ params, ...someOptions }`. */
export type ParamGroupInput<O extends object> = { params: Iterable<Tensor> | Tensor } & Partial<O> & {
  [key: string]: unknown;
};

/**
 * What an optimizer is built from: an iterable of tensors (e.g. `model.parameters()`, a
 * generator, consumed once) or of parameter groups.
 */
export type Params<O extends object> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

export const DUPLICATE_PARAMS_WARNING =
  "optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; " +
  "see github.com/pytorch/pytorch/issues/40967 for more information";

const SET_MESSAGE =
  "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets " +
  "will change between runs. Please use a list instead.";

function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    value !== null &&
    value !== undefined &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function"
  );
}

/** The JavaScript counterpart of a Python dict here: a plain object, not a tensor or a collection. */
export function isGroupObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !(value instanceof Tensor) && !isIterable(value);
}

/**
 * The constructor's reading of `params` (torch's `list(params)` and its checks): a list of
 * group objects, each still unchecked. A list of tensors becomes one group.
 */
export function listParamGroups(params: unknown): unknown[] {
  if (params instanceof Tensor || !isIterable(params) || typeof params === "string") {
    throw new TypeError(
      "params argument given to the optimizer should be an iterable of Tensors or dicts, but got " +
        typeName(params),
    );
  }
  const list = Array.from(params);
  if (list.length === 0) throw new OptimizerError("optimizer got an empty parameter list");
  return isGroupObject(list[0]) ? list : [{ params: list }];
}

/**
 * Check a group's parameters as torch's `add_param_group` does, in its order: the group
 * must be an object with `params`; a single tensor is allowed, a Set is not (its order is
 * not the user's); every element must be a leaf tensor (or retain its grad).
 */
export function checkGroupParams(group: unknown): Tensor[] {
  if (!isGroupObject(group)) throw new TypeError(`param_group must be a dict, but got ${typeName(group)}`);
  if (!("params" in group)) throw new TypeError("param_group must have a 'params' key");
  const raw = group.params;
  if (raw instanceof Set) throw new TypeError(SET_MESSAGE);
  let params: unknown[];
  if (raw instanceof Tensor) params = [raw];
  else if (isIterable(raw) && typeof raw !== "string") params = Array.from(raw);
  else throw new TypeError(`optimizer can only optimize Tensors, but one of the params is ${typeName(raw)}`);
  for (const p of params) {
    if (!(p instanceof Tensor)) {
      throw new TypeError(`optimizer can only optimize Tensors, but one of the params is ${typeName(p)}`);
    }
    if (!p.isLeaf && !p.retainsGrad) throw new OptimizerError("can't optimize a non-leaf Tensor");
  }
  return params as Tensor[];
}

/**
 * The resolved group: the user's keys in their order (`undefined` values count as
 * missing), `params` as a fresh array, then each missing default in the defaults' order.
 */
export function resolveGroup<O extends object>(
  group: Record<string, unknown>,
  params: Tensor[],
  defaults: O,
): ParamGroup<O> {
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(group)) {
    if (key === "params") resolved.params = params;
    else if (value !== undefined) resolved[key] = value;
  }
  for (const [key, value] of Object.entries(defaults)) {
    if (!(key in resolved)) resolved[key] = value;
  }
  return resolved as ParamGroup<O>;
}

/** True when some tensor appears twice in the list (compared by identity, as torch's set). */
export function hasDuplicates(params: readonly Tensor[]): boolean {
  return new Set(params).size !== params.length;
}

/** What is wrong with an option's value: a wrong kind (a `TypeError`) or a bad value (an `OptimizerError`). */
export interface OptionProblem {
  /** "type" throws a `TypeError`, "value" an `OptimizerError` (torch's ValueError). */
  kind: "type" | "value";
  /** The message to throw with, in torch's wording. */
  message: string;
}

/** The check of one option (or state entry): undefined when the value is fine. */
export type OptionCheck = (value: unknown) => OptionProblem | undefined;

/**
 * An optimizer's checks, declared once and passed to `Optimizer`'s constructor: the
 * constructor runs the option checks on its defaults (in declaration order, before looking
 * at the parameters, as torch's constructors do), and `loadStateDict` runs them on every
 * loaded group and the state checks on every loaded state entry, before changing anything.
 */
export interface OptimizerChecks<O extends object> {
  /** One check per option, run in this order on the defaults and on every loaded group. */
  options?: { readonly [K in keyof O]?: OptionCheck };
  /** One check per state key, run on every loaded state entry that has the key. */
  state?: { readonly [key: string]: OptionCheck };
}

/** How a value appears in messages: numbers and booleans as written, strings quoted, the rest by type. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) {
    return Object.is(value, -0) ? "-0" : String(value);
  }
  return typeName(value);
}

const wrongKind = (expected: string, value: unknown): OptionProblem => ({
  kind: "type",
  message: `expected ${expected}, got ${describeValue(value)}${typeof value === "string" ? " (a string)" : ""}`,
});

/** Building blocks for `OptimizerChecks`. */
export const optionChecks = {
  /** torch's `0.0 <= value` (so NaN fails): `Invalid learning rate: -1`; a non-number is a TypeError. */
  nonNegative:
    (what: string): OptionCheck =>
    (value) => {
      if (typeof value !== "number") {
        return { kind: "type", message: `Invalid ${what}: ${describeValue(value)} (expected a number, got ${typeName(value)})` };
      }
      return 0 <= value ? undefined : { kind: "value", message: `Invalid ${what}: ${describeValue(value)}` };
    },
  boolean: ((value) => (typeof value === "boolean" ? undefined : wrongKind("a boolean", value))) as OptionCheck,
  booleanOrNull: ((value) =>
    typeof value === "boolean" || value === null ? undefined : wrongKind("a boolean or null", value)) as OptionCheck,
  /** Only `allowed` is supported (a flag minigrad accepts for compatibility but does not implement). */
  only:
    (allowed: unknown, message: string): OptionCheck =>
    (value) =>
      Object.is(value, allowed) ? undefined : { kind: "value", message },
  /** A step count: a non-negative integer, or a one-element tensor holding one (PyTorch 2.x checkpoints). */
  stepCount: ((value) => {
    const n = value instanceof Tensor && value.numel === 1 && !value.isDisposed ? value.item() : value;
    return typeof n === "number" && Number.isInteger(n) && n >= 0
      ? undefined
      : wrongKind("a non-negative integer (or a one-element tensor)", value);
  }) as OptionCheck,
  /** A tensor (its shape and dtype are checked against the parameter separately). */
  tensor: ((value) => (value instanceof Tensor ? undefined : wrongKind("a Tensor", value))) as OptionCheck,
};

/** Any number: options torch does not check (ASGD's lambd, LBFGS's); minigrad refuses a non-number. */
export const isNumber: OptionCheck = (value) =>
  typeof value === "number" ? undefined : { kind: "type", message: `expected a number, got ${describeValue(value)}` };

/** Throw for the first option of `options` that fails its check; `where` prefixes the message. */
export function checkOptions<O extends object>(
  checks: OptimizerChecks<O>["options"],
  options: Record<string, unknown>,
  where: (key: string) => string = () => "",
): void {
  for (const [key, check] of Object.entries(checks ?? {}) as [string, OptionCheck | undefined][]) {
    const problem = check?.(options[key]);
    if (problem === undefined) continue;
    const message = where(key) + problem.message;
    throw problem.kind === "type" ? new TypeError(message) : new OptimizerError(message);
  }
}
