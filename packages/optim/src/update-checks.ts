import { Tensor, keep, zerosLike } from "@minigrad/tensor";
import { OptimizerError, checkTensor, fmtShape } from "./errors";
import type { ParamGroup } from "./param-groups";
import type { StateEntry } from "./state-dict";
import { hasOverlap } from "./strided";

// What the optimizers share: reading options, checking every parameter, grad and state
// before the first write (as RMSprop does), and the small pieces of state. The row loop of
// their updates is update-rows.ts's.

/**
 * The options a user passed, over `defaults` (torch's key order): an unknown key (a
 * snake_case name, say) is a TypeError; `undefined` counts as missing.
 */
export function resolveOptions<O extends object>(name: string, defaults: Readonly<O>, options: object): O {
  const resolved: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(options)) {
    if (!(key in defaults)) throw new TypeError(`${name} got an unexpected option '${key}'`);
    if (value !== undefined) resolved[key] = value;
  }
  return resolved as O;
}

/** A state scalar: a number, or a one-element tensor (a PyTorch checkpoint's 0-d tensor) read as its value. */
export function stateScalar(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (value instanceof Tensor && value.numel === 1) return value.item();
  return undefined;
}

/** `step` is a plain number; a one-element tensor (a PyTorch checkpoint) is read as its value. */
export function stepCount(step: unknown): number {
  return stateScalar(step) ?? 0;
}

/** Every write is in place, so bump the version counters as torch's in-place ops do. */
export function bumpVersion(t: Tensor): void {
  t._version.value++;
}

/** The state of `param`, if a step (or a load, or Adagrad's constructor) created one. */
export function existingState(state: ReadonlyMap<Tensor, StateEntry>, param: Tensor): StateEntry | undefined {
  const entry = state.get(param);
  return entry !== undefined && Object.keys(entry).length > 0 ? entry : undefined;
}

/** The state of `param`, or (on its first step) the one `create` makes, stored in `state`. */
export function stateFor(state: Map<Tensor, StateEntry>, param: Tensor, create: () => StateEntry): StateEntry {
  let entry = existingState(state, param);
  if (entry === undefined) state.set(param, (entry = create()));
  return entry;
}

/** A state buffer of zeros like `param`, kept: the state outlives the tidy scope (if any) of the step creating it. */
export function zeroBuffer(param: Tensor): Tensor {
  return keep(zerosLike(param));
}

/**
 * `t` must exist (else say why it may not) and have its parameter's shape and dtype:
 * torch's KeyError for a buffer an option turned on later, or its shape errors.
 */
export function checkOperand(
  optimizer: string, name: string, t: unknown, param: Tensor, where = "", whyMissing = "",
): Tensor {
  const at = where && ` (${where})`;
  if (!(t instanceof Tensor)) {
    throw new OptimizerError(`${optimizer}: the parameter's state has no ${name}${whyMissing && ` (${whyMissing})`}${where && `, for ${where}`}`);
  }
  checkTensor(t, `${optimizer}: the ${name}${where && ` of ${where}`}`);
  const sameShape = t.shape.length === param.shape.length && t.shape.every((d, i) => d === param.shape[i]);
  if (!sameShape || t.dtype !== param.dtype) {
    throw new OptimizerError(
      `${optimizer}: ${name} is ${t.dtype} ${fmtShape(t.shape)} but the parameter is ${param.dtype} ${fmtShape(param.shape)}${at}`,
    );
  }
  return t;
}

/** A parameter the update can write: usable, float32 or float64, no shared elements; its grad fits. */
export function checkParamAndGrad(optimizer: string, param: Tensor, grad: Tensor, where = ""): void {
  const at = where && ` (${where})`;
  checkTensor(param, `${optimizer}: ${where || "the parameter"}`);
  if (param.dtype !== "float32" && param.dtype !== "float64") {
    throw new OptimizerError(`${optimizer}: parameters must be float32 or float64, got ${param.dtype}${at}`);
  }
  if (hasOverlap(param)) {
    throw new OptimizerError(`${optimizer}: cannot update a parameter whose elements share memory (an expanded view)${at}`);
  }
  checkOperand(optimizer, "grad", grad, param, where);
}

/**
 * The buffers `names` of `buffers` (a state entry, or an update's buffers), each checked
 * as `checkOperand` does, in `names`' order.
 */
export function checkBuffers(
  optimizer: string, buffers: object, names: readonly string[], param: Tensor, where = "",
): Tensor[] {
  return names.map((name) => checkOperand(optimizer, name, (buffers as Record<string, unknown>)[name], param, where));
}

/** One parameter to update this step: it has a grad, and everything it needs was checked. */
export interface Work<O extends object> {
  param: Tensor;
  grad: Tensor;
  group: ParamGroup<O>;
}

/**
 * Every parameter with a grad, in group order, checked before the first write: the
 * parameter and grad, and (when the parameter has state) what `checkState` checks, so a
 * disposed or mis-shaped tensor in a later group throws with nothing changed.
 */
export function gatherWork<O extends object>(
  optimizer: string,
  groups: readonly ParamGroup<O>[],
  state: ReadonlyMap<Tensor, StateEntry>,
  checkState: (entry: StateEntry, param: Tensor, group: ParamGroup<O>, where: string) => void,
): Work<O>[] {
  return groups.flatMap((group, g) =>
    group.params.flatMap((param, i) => {
      const grad = param.grad;
      if (grad === null) return [];
      const where = `parameter ${i} of group ${g}`;
      checkParamAndGrad(optimizer, param, grad, where);
      const entry = existingState(state, param);
      if (entry !== undefined) {
        checkState(entry, param, group, where);
        if (entry.step instanceof Tensor) checkTensor(entry.step, `${optimizer}: the step of ${where}`);
      }
      return [{ param, grad, group }];
    }),
  );
}
