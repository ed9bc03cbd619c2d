import { Tensor, enableGrad, noGrad } from "@minigrad/tensor";
import { OptimizerError, typeName } from "./errors";
import { HookList, type RemovableHandle } from "./hooks";
import {
  DUPLICATE_PARAMS_WARNING, checkGroupParams, checkOptions, describeValue, hasDuplicates, listParamGroups,
  resolveGroup, type OptimizerChecks, type ParamGroup, type ParamGroupInput, type Params,
} from "./param-groups";
import { packStateDict, planLoad, type OptimizerStateDict, type StateEntry } from "./state-dict";

/** The arguments of `step`, as hooks see them (torch's `args`; there are no kwargs). */
export type StepArgs = [closure?: () => unknown];
/** Runs before each step; may return replacement arguments. */
export type StepPreHook<T> = (optimizer: T, args: StepArgs) => StepArgs | void;
/** Runs after each step. */
export type StepPostHook<T> = (optimizer: T, args: StepArgs) => void;
/** Runs at the start of `stateDict()`, before the state is packed. */
export type StateDictPreHook<T> = (optimizer: T) => void;
/** May return a replacement for the state dict being returned. */
export type StateDictPostHook<T> = (optimizer: T, stateDict: OptimizerStateDict) => OptimizerStateDict | void;
/** May return a replacement for the state dict being loaded. */
export type LoadStateDictPreHook<T> = (optimizer: T, stateDict: OptimizerStateDict) => OptimizerStateDict | void;
/** Runs at the end of `loadStateDict()`, once the loaded state is in place. */
export type LoadStateDictPostHook<T> = (optimizer: T) => void;

/** Options of the state-dict hook registrations: `prepend` runs the hook before the others. */
export interface HookOptions {
  /** Run this hook before the ones already registered (false: after them). */
  prepend?: boolean;
}

// Global step hooks (torch.optim.optimizer.register_optimizer_step_pre_hook): run for every optimizer.
const globalStepPre = new HookList<StepPreHook<Optimizer<object>>>();
const globalStepPost = new HookList<StepPostHook<Optimizer<object>>>();

/** Run `hook` before every optimizer's step, before that optimizer's own pre-hooks. */
export function registerOptimizerStepPreHook(hook: StepPreHook<Optimizer<object>>): RemovableHandle {
  return globalStepPre.add(hook);
}

/** Run `hook` after every optimizer's step, after that optimizer's own post-hooks. */
export function registerOptimizerStepPostHook(hook: StepPostHook<Optimizer<object>>): RemovableHandle {
  return globalStepPost.add(hook);
}

/**
 * The base class of optimizers, as `torch.optim.Optimizer`: parameter groups with every
 * option resolved, per-parameter state keyed by the parameter itself, `zeroGrad`, a
 * hook-wrapped `step`, and torch's state-dict layout and loading rules.
 *
 * A subclass validates its options, passes them as `defaults`, and implements `update()`,
 * which reads each group's options and each parameter's `.grad` and `state`.
 */
export abstract class Optimizer<O extends object> {
  /** The options every group starts from. */
  readonly defaults: O;
  /** Per-parameter state, created lazily by the first step that updates the parameter. */
  readonly state = new Map<Tensor, StateEntry>();
  /** The groups, each with every option resolved; mutate `group.lr` freely (schedulers do). */
  readonly paramGroups: ParamGroup<O>[] = [];

  private readonly stepPreHooks = new HookList<StepPreHook<this>>();
  private readonly stepPostHooks = new HookList<StepPostHook<this>>();
  private readonly stateDictPreHooks = new HookList<StateDictPreHook<this>>();
  private readonly stateDictPostHooks = new HookList<StateDictPostHook<this>>();
  private readonly loadPreHooks = new HookList<LoadStateDictPreHook<this>>();
  private readonly loadPostHooks = new HookList<LoadStateDictPostHook<this>>();
  private readonly checks: OptimizerChecks<O>;

  /**
   * @param params an iterable of tensors (one group) or of groups `{ params, ...options }`;
   *   a generator such as `model.parameters()` is consumed once.
   * @param defaults the options of groups that do not set their own.
   * @param checks the optimizer's option (and state) checks, declared once: run here on
   *   `defaults` before the parameters are read, and by `loadStateDict` on what it loads.
   */
  constructor(params: Params<O>, defaults: O, checks: OptimizerChecks<O> = {}) {
    checkOptions(checks.options, defaults as Record<string, unknown>);
    this.checks = checks;
    this.defaults = defaults;
    for (const group of listParamGroups(params)) this.addParamGroup(group as ParamGroupInput<O>);
  }

  /**
   * Add a group (e.g. layers unfrozen mid-training). Missing options come from `defaults`;
   * unknown keys are kept. Throws if a parameter is not a leaf tensor or is already in
   * another group; a parameter repeated inside this group only warns (it would be updated
   * twice per step), as torch does.
   */
  addParamGroup(paramGroup: ParamGroupInput<O>): void {
    const params = checkGroupParams(paramGroup);
    const group = resolveGroup(paramGroup as Record<string, unknown>, params, this.defaults);
    if (hasDuplicates(params)) console.warn(DUPLICATE_PARAMS_WARNING);
    const taken = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => taken.has(p))) {
      throw new OptimizerError("some parameters appear in more than one parameter group");
    }
    this.paramGroups.push(group);
  }

  /**
   * Reset the gradients of every parameter. By default (PyTorch 1.x) each `.grad` is zeroed
   * in place; with `setToNone` it becomes null instead. The two differ: a parameter whose
   * grad is null is skipped by `step`, one whose grad is zero is still stepped (its state
   * advances, and weight decay still moves it).
   */
  zeroGrad(setToNone = false): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const grad = p.grad;
        if (grad === null) continue;
        if (setToNone) {
          p.grad = null;
          continue;
        }
        if (grad.gradFn !== null) grad.detach_();
        else grad.requiresGrad_(false);
        noGrad(() => grad.zero_());
      }
    }
  }

  /**
   * One optimization step. A closure, if given, re-evaluates the model and returns the
   * loss: it runs first, with grad recording on; the update itself runs under no-grad.
   * Returns what the closure returned (undefined without one).
   */
  step<L = unknown>(closure?: () => L): L | undefined {
    let args: StepArgs = closure === undefined ? [] : [closure];
    for (const hook of [...globalStepPre.list(), ...this.stepPreHooks.list()]) {
      const result = (hook as StepPreHook<this>)(this, args);
      if (result === undefined) continue;
      if (!Array.isArray(result)) {
        throw new TypeError(
          `a step pre-hook must return undefined or new step arguments, but got ${typeName(result)}`,
        );
      }
      args = result;
    }
    const [fn] = args;
    const loss = noGrad(() => {
      const value = fn === undefined ? undefined : enableGrad(fn);
      this.update(fn, value);
      return value;
    });
    for (const hook of [...this.stepPostHooks.list(), ...globalStepPost.list()]) {
      (hook as StepPostHook<this>)(this, args);
    }
    return loss as L | undefined;
  }

  /**
   * The update itself, for every group; runs under no-grad, after the closure. It gets the
   * closure and what it returned, for optimizers that evaluate it again (LBFGS).
   */
  protected abstract update(closure?: () => unknown, loss?: unknown): void;

  /**
   * Run `hook(optimizer, args)` before each `step`, after the global pre-hooks; returning new
   * arguments replaces them. As torch's register_step_pre_hook.
   */
  registerStepPreHook(hook: StepPreHook<this>): RemovableHandle {
    return this.stepPreHooks.add(hook);
  }

  /** Run `hook(optimizer, args)` after each `step`, before the global post-hooks. */
  registerStepPostHook(hook: StepPostHook<this>): RemovableHandle {
    return this.stepPostHooks.add(hook);
  }

  /** Run `hook(optimizer)` at the start of every `stateDict()`. */
  registerStateDictPreHook(hook: StateDictPreHook<this>, options: HookOptions = {}): RemovableHandle {
    return this.stateDictPreHooks.add(hook, options.prepend);
  }

  /** Run `hook(optimizer, stateDict)` on what `stateDict()` returns; it may return another. */
  registerStateDictPostHook(hook: StateDictPostHook<this>, options: HookOptions = {}): RemovableHandle {
    return this.stateDictPostHooks.add(hook, options.prepend);
  }

  /** Run `hook(optimizer, stateDict)` before `loadStateDict` checks it; it may return another. */
  registerLoadStateDictPreHook(hook: LoadStateDictPreHook<this>, options: HookOptions = {}): RemovableHandle {
    return this.loadPreHooks.add(hook, options.prepend);
  }

  /** Run `hook(optimizer)` after `loadStateDict` has loaded the state. */
  registerLoadStateDictPostHook(hook: LoadStateDictPostHook<this>, options: HookOptions = {}): RemovableHandle {
    return this.loadPostHooks.add(hook, options.prepend);
  }

  /**
   * The state as torch lays it out: `{ state: { [id]: {...} }, paramGroups: [{ ...options,
   * params: [ids] }] }`, ids numbered in group order and continuing across groups. A
   * snapshot: its tensors are copies, so later steps do not change it.
   */
  stateDict(): OptimizerStateDict {
    for (const hook of this.stateDictPreHooks.list()) hook(this);
    let sd = packStateDict(this.paramGroups, this.state);
    for (const hook of this.stateDictPostHooks.list()) sd = hook(this, sd) ?? sd;
    return sd;
  }

  /**
   * Restore a state dict. Parameters are matched by position (group by group); the
   * hyperparameters come from the dict, replacing the current ones; state tensors are
   * copied (never shared with the dict) and cast to their parameter's dtype, except `step`.
   * Everything is validated first: a dict that does not fit (group count, group sizes, a
   * state tensor of the wrong shape) throws and leaves the optimizer unchanged.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    let sd: OptimizerStateDict = { ...stateDict };
    for (const hook of this.loadPreHooks.list()) sd = hook(this, sd) ?? sd;
    const plan = planLoad(sd, this.paramGroups, (key) => this.stateShapedLikeParam(key));
    const fallback = this.loadDefaults();
    for (const group of plan.groups) {
      for (const [key, value] of Object.entries(fallback)) if (!Object.hasOwn(group, key)) group[key] = value;
    }
    // torch re-checks nothing here; minigrad checks what the constructor checks, so that a
    // checkpoint cannot install `lr: NaN` or `lr: "0.1"` (everything before any change).
    plan.groups.forEach((group, i) => {
      checkOptions(this.checks.options, group, (key) => `loadStateDict: parameter group ${i} has ${key} = ${describeValue(group[key])}: `);
    });
    for (const [id, entry] of Object.entries(sd.state)) {
      for (const [key, check] of Object.entries(this.checks.state ?? {})) {
        if (!Object.hasOwn(entry, key)) continue;
        const problem = check(entry[key]);
        if (problem === undefined) continue;
        const message = `loadStateDict: the state of parameter ${id} has ${key} = ${describeValue(entry[key])}: ${problem.message}`;
        throw problem.kind === "type" ? new TypeError(message) : new OptimizerError(message);
      }
    }
    this.state.clear();
    for (const [param, entry] of plan.state) this.state.set(param, entry);
    this.paramGroups.splice(0, this.paramGroups.length, ...(plan.groups as ParamGroup<O>[]));
    for (const hook of this.loadPostHooks.list()) hook(this);
  }

  /**
   * Whether the state tensor `key` has its parameter's shape (checked by `loadStateDict`).
   * The base says yes for every key but `step`; LBFGS keeps flat vectors of all parameters.
   */
  protected stateShapedLikeParam(_key: string): boolean {
    return true;
  }

  /**
   * Values for options missing from a loaded group (a checkpoint from before an option
   * existed), as torch's `__setstate__`. The base uses `defaults`.
   */
  protected loadDefaults(): Partial<O> {
    return this.defaults;
  }

  /** torch's repr: the class name, then each group's options in sorted key order. */
  toString(): string {
    let out = `${this.constructor.name} (`;
    this.paramGroups.forEach((group, i) => {
      out += `\nParameter Group ${i}\n`;
      for (const key of Object.keys(group).sort()) {
        if (key !== "params") out += `    ${key}: ${formatValue(group[key])}\n`;
      }
    });
    return `${out})`;
  }
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  if (typeof value === "object" && value !== null && !(value instanceof Tensor)) return JSON.stringify(value);
  return String(value);
}
