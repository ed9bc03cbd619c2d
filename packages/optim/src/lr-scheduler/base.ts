import { OptimizerError } from "../errors";
import { Optimizer } from "../optimizer";
import type { RemovableHandle } from "../hooks";
import type { ParamGroup } from "../param-groups";
import { restoreState, snapshotState, type SchedulerStateDict } from "./state";
import {
  GET_LR_WARNING, STEP_ORDER_WARNING, STEP_OVERRIDDEN_WARNING, lrMessage, warnEpochDeprecated, warnOnce,
} from "./warnings";

/** A group as schedulers see it: its options by name. */
export type SchedulerGroup = ParamGroup<object>;

/**
 * What a scheduler needs of an optimizer (any `Optimizer` subclass: RMSprop, SGD, Adam, ...):
 * its groups, to read and write `lr` (and `momentum` or `betas`), its defaults, and a step
 * pre-hook, to notice `scheduler.step()` called before `optimizer.step()`. Checked with
 * `instanceof Optimizer` at run time, as torch checks `isinstance`.
 */
export interface SchedulerOptimizer {
  /** The groups whose `lr` (and `momentum` or `betas`) the scheduler reads and writes. */
  readonly paramGroups: SchedulerGroup[];
  /** The optimizer's defaults: cyclic schedulers look for `momentum` or `betas` here. */
  readonly defaults: object;
  /** The optimizer's step, compared at each scheduler step to notice a replaced one. */
  step(...args: never[]): unknown;
  /** Used once per optimizer to count its steps (for the step-order warning). */
  registerStepPreHook(hook: () => void): RemovableHandle;
}

/** The options every scheduler built on `LRScheduler` takes. */
export interface BaseSchedulerOptions {
  /**
   * The index of the last epoch (-1: start from the beginning). Resuming (any other value)
   * needs `initialLr` in every group, as a checkpointed optimizer has.
   */
  lastEpoch?: number;
  /** Print a line (torch's text) each time a group's lr is set. */
  verbose?: boolean;
}

/**
 * How many times each optimizer stepped since a scheduler was last attached, counted by a
 * step pre-hook installed once per optimizer (torch wraps `optimizer.step` for the same
 * purpose), and the `step` method seen when it was attached, to notice a replaced one.
 */
interface StepCounter {
  count: number;
  step: unknown;
}
const counters = new WeakMap<SchedulerOptimizer, StepCounter>();

function attachCounter(optimizer: SchedulerOptimizer): StepCounter {
  let counter = counters.get(optimizer);
  if (counter === undefined) {
    const created: StepCounter = { count: 0, step: optimizer.step };
    optimizer.registerStepPreHook(() => {
      created.count += 1;
    });
    counters.set(optimizer, created);
    counter = created;
  }
  counter.step = optimizer.step;
  return counter;
}

/** torch's `TypeError: X is not an Optimizer`. */
export function checkOptimizer(optimizer: unknown): SchedulerOptimizer {
  if (!(optimizer instanceof Optimizer)) {
    const name = optimizer === null ? "NoneType" : typeof optimizer === "object" ? (optimizer.constructor?.name ?? "Object") : typeof optimizer;
    throw new TypeError(`${name} is not an Optimizer`);
  }
  return optimizer as unknown as SchedulerOptimizer;
}

/** A group's lr as a number (schedulers do arithmetic on it). */
export function lrOf(group: SchedulerGroup, key = "lr"): number {
  const lr = group[key];
  if (typeof lr !== "number") throw new TypeError(`paramGroups entry ${key} should be a number, got ${typeof lr}`);
  return lr;
}

/**
 * A per-group option: one value for every group, or an array with one per group (torch's
 * `_format_param`): `expected 2 values for maxLr, got 3`.
 */
export function perGroup(name: string, optimizer: SchedulerOptimizer, value: number | readonly number[]): number[] {
  const n = optimizer.paramGroups.length;
  if (Array.isArray(value)) {
    if (value.length !== n) throw new OptimizerError(`expected ${n} values for ${name}, got ${value.length}`);
    return [...value];
  }
  return new Array<number>(n).fill(value as number);
}

/**
 * The base class of the learning-rate schedulers, as torch's `LRScheduler`
 * (`_LRScheduler` in 1.13).
 *
 * Attaching a scheduler stores `initialLr` in every group (unless one is there: a second
 * scheduler keeps the first one's), takes `baseLrs` from it, and performs the initial step,
 * which moves `lastEpoch` from -1 to 0 and writes each group's epoch-0 lr. Each `step()`
 * then advances `lastEpoch` and sets every group's lr from the chainable `getLr()`, which
 * starts from the current lr (so schedulers compose and outside changes persist).
 *
 * Call `optimizer.step()` before `scheduler.step()`; the other order warns once, with
 * torch's text, as it skips the first value of the schedule.
 *
 * A subclass sets its own fields, then calls `this._init(lastEpoch, verbose)` at the end of
 * its constructor (torch sets them before `super().__init__`, which steps once), and
 * implements `getLr()` (starting with `this._warnIfOutsideStep()`).
 */
export abstract class LRScheduler {
  /** The optimizer whose groups this scheduler sets. */
  readonly optimizer: SchedulerOptimizer;
  /** Each group's `initialLr`, when this scheduler was attached. */
  declare baseLrs: number[];
  /** The epoch (or batch) index of the last `step()`; 0 after construction. */
  declare lastEpoch: number;
  /** Print torch's line each time a group's lr is set. */
  declare verbose: boolean;
  /** @internal how many times `step` ran (the initial step included). */
  declare _stepCount: number;
  /** @internal true while `step` computes the new lrs. */
  declare _getLrCalledWithinStep: boolean;
  /** @internal the lrs the last step set. */
  declare _lastLr: number[];

  #counter: StepCounter | undefined;

  constructor(optimizer: SchedulerOptimizer) {
    this.optimizer = checkOptimizer(optimizer);
  }

  /**
   * torch's `LRScheduler.__init__` (after the subclass set its own fields): `initialLr` in
   * each group, `baseLrs`, `lastEpoch`, the optimizer's step counter, then the initial step.
   */
  protected _init(lastEpoch = -1, verbose = false): void {
    const groups = this.optimizer.paramGroups;
    if (lastEpoch === -1) {
      for (const group of groups) if (!("initialLr" in group)) group.initialLr = lrOf(group);
    } else {
      groups.forEach((group, i) => {
        if (!("initialLr" in group)) {
          throw new OptimizerError(`param 'initialLr' is not specified in paramGroups[${i}] when resuming an optimizer`);
        }
      });
    }
    this.baseLrs = groups.map((group) => lrOf(group, "initialLr"));
    this.lastEpoch = lastEpoch;
    this.#counter = attachCounter(this.optimizer);
    this.verbose = verbose;
    this._initialStep();
  }

  /** @internal reset the step counts and step once (SequentialLR calls it to restart its first scheduler). */
  _initialStep(): void {
    if (this.#counter !== undefined) this.#counter.count = 0;
    this._stepCount = 0;
    this.step();
  }

  /** The lrs the last step set, one per group. */
  getLastLr(): number[] {
    return [...this._lastLr];
  }

  /**
   * The chainable form: each group's lr at `lastEpoch`, usually from its current lr.
   * Called by `step`; calling it yourself warns (use `getLastLr()`).
   */
  abstract getLr(): number[];

  /** The closed form (`baseLr`-based) that `step(epoch)` uses, where torch has one. */
  _getClosedFormLr?(): number[];

  /** @internal torch's warning when `getLr()` is called outside `step`. */
  protected _warnIfOutsideStep(): void {
    if (!this._getLrCalledWithinStep) warnOnce(GET_LR_WARNING);
  }

  /**
   * Advance one epoch and set each group's lr. `step(epoch)` (deprecated in torch, and
   * warned about) jumps to `epoch` and uses the closed form where there is one.
   */
  step(epoch?: number): void {
    if (this._stepCount === 1) {
      const counter = this.#counter;
      if (counter !== undefined && this.optimizer.step !== counter.step) warnOnce(STEP_OVERRIDDEN_WARNING);
      else if (counter !== undefined && counter.count < 1) warnOnce(STEP_ORDER_WARNING);
    }
    this._stepCount += 1;
    let values: number[];
    this._getLrCalledWithinStep = true;
    try {
      if (epoch === undefined) {
        this.lastEpoch += 1;
        values = this.getLr();
      } else {
        warnEpochDeprecated();
        this.lastEpoch = epoch;
        values = this._getClosedFormLr !== undefined ? this._getClosedFormLr() : this.getLr();
      }
    } finally {
      this._getLrCalledWithinStep = false;
    }
    this._setLrs(values, epoch);
  }

  /** @internal write the lrs into the groups (zipped, as torch), print them if verbose, remember them. */
  protected _setLrs(values: readonly number[], epoch?: number): void {
    const groups = this.optimizer.paramGroups;
    const n = Math.min(groups.length, values.length);
    for (let i = 0; i < n; i++) {
      groups[i].lr = values[i];
      if (this.verbose) console.log(lrMessage(i, values[i], epoch));
    }
    this._lastLr = groups.map((group) => lrOf(group));
  }

  /** The scheduler's state: every attribute but the optimizer, under torch's names in camelCase. */
  stateDict(): SchedulerStateDict {
    return snapshotState(this);
  }

  /** Restore a state from `stateDict()` (torch's `__dict__.update`, checked first: unknown keys throw). */
  loadStateDict(stateDict: SchedulerStateDict): void {
    restoreState(this, stateDict);
  }
}
