import { Tensor, forEachRow, keep, zerosLike, type FloatArray, type FusedKernel } from "@minigrad/tensor";
import { OptimizerError, checkTensor, fmtShape } from "./errors";
import type { ParamGroup } from "./param-groups";
import type { StateEntry } from "./state-dict";
import { hasOverlap } from "./strided";

// What the optimizers share: reading options, checking every parameter, grad and state
// before the first write (as RMSprop does), the small pieces of state, and the row loop of
// an elementwise update (each optimizer's rows keep its own math).

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

/** `step` is a plain number; a one-element tensor (a PyTorch checkpoint) is read as its value. */
export function stepCount(step: unknown): number {
  if (typeof step === "number") return step;
  if (step instanceof Tensor && step.numel === 1) return step.item();
  return 0;
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

/** The storage of each view, as the row kernels take them (all the parameter's dtype). */
export function storages(views: readonly Tensor[]): FloatArray[] {
  return views.map((t) => t._data as FloatArray);
}

/** One row of an elementwise update: `n` elements of each operand in `arrays`, from `off[k]` by `inc[k]`. */
export type Row<C> = (arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: C) => void;

/** A fused float32 kernel (kernels/), run over unit-stride runs of an update's first `arity` operands. */
export interface FusedRun {
  /** The kernel: the same arithmetic as the update's rowF32 at unit stride. */
  kernel: FusedKernel;
  /** How many operands it takes (a prefix of the update's). */
  arity: number;
  /** Its scalars, in its order. */
  scalars: readonly number[];
}

/**
 * An elementwise update in place over `operands` (the parameter, its grad, then the
 * buffers, all shaped like the parameter; any strides; a buffer an option does not use may
 * alias another operand): the scalars `constants(round)` formed once, `round` rounding to
 * the parameter's precision, then `rowF32` or `rowF64` (by the parameter's dtype) over every
 * row; the version of each operand but the grad is bumped, once. In float32, `fused(c)` may
 * name a kernel for the rows where its operands have unit stride (the whole tensor at once
 * when they are contiguous).
 */
export function updateRows<C>(
  operands: readonly Tensor[], constants: (round: (x: number) => number) => C, rowF32: Row<C>, rowF64: Row<C>,
  fused?: (c: C) => FusedRun | undefined,
): void {
  const param = operands[0];
  const f32 = param.dtype === "float32";
  const c = constants(f32 ? Math.fround : (x) => x);
  const arrays = storages(operands);
  const row = f32 ? rowF32 : rowF64;
  const run = f32 ? fused?.(c) : undefined;
  const kernelArrays = run === undefined ? [] : arrays.slice(0, run.arity);
  if (run !== undefined && operands.slice(0, run.arity).every((t) => t.isContiguous)) {
    // Contiguous tensors (the usual case): one run, no odometer.
    run.kernel.run(kernelArrays, operands.slice(0, run.arity).map((t) => t.offset), param.numel, run.scalars);
  } else {
    forEachRow(param.shape, operands.map((t) => t.strides), operands.map((t) => t.offset), (off, n, inc) => {
      if (run !== undefined && inc.subarray(0, run.arity).every((s) => s === 1)) {
        run.kernel.run(kernelArrays, Array.from(off.subarray(0, run.arity)), n, run.scalars);
      } else {
        row(arrays, off, inc, n, c);
      }
    });
  }
  for (const t of new Set(operands.filter((_, i) => i !== 1))) bumpVersion(t);
}
