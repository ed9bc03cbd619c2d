import { OptimizerError } from "../errors";
import { LRScheduler, type SchedulerOptimizer } from "./base";
import { restoreState, snapshotState, type SchedulerStateDict } from "./state";
import { withoutEpochWarning } from "./warnings";

function nestedStates(stateDict: SchedulerStateDict, count: number, owner: string): SchedulerStateDict[] {
  const nested = stateDict._schedulers;
  if (!Array.isArray(nested) || nested.length !== count) {
    throw new TypeError(`${owner}.loadStateDict: _schedulers should be an array of ${count} state dicts`);
  }
  return nested.map((s, i) => {
    if (typeof s !== "object" || s === null || Array.isArray(s)) {
      throw new TypeError(`${owner}.loadStateDict: _schedulers[${i}] should be a state dict`);
    }
    return s;
  });
}

/** Options of `SequentialLR`. */
export interface SequentialLROptions {
  /** The schedulers, in the order they take over (all on this optimizer). */
  schedulers: readonly LRScheduler[];
  /** The epochs where the next scheduler takes over (one fewer than the schedulers). */
  milestones: readonly number[];
  /** Its own epoch counter starts at lastEpoch + 1 (-1: at 0); each scheduler keeps its own. */
  lastEpoch?: number;
  /** Accepted, and does nothing (as torch). */
  verbose?: boolean;
}

/**
 * Run schedulers one after another: `schedulers[i]` from `milestones[i - 1]` on. At each
 * milestone the next scheduler restarts from its epoch 0 (`step(0)`, its closed form where
 * it has one). Building it resets each group's lr to `initialLr` and restarts the first
 * scheduler. Its state dict nests each scheduler's.
 */
export class SequentialLR extends LRScheduler {
  declare _schedulers: LRScheduler[];
  declare _milestones: number[];

  constructor(optimizer: SchedulerOptimizer, { schedulers, milestones, lastEpoch = -1 }: SequentialLROptions) {
    super(optimizer);
    schedulers.forEach((scheduler, i) => {
      if (scheduler.optimizer !== optimizer) {
        throw new OptimizerError(
          "Sequential Schedulers expects all schedulers to belong to the same optimizer, but " +
            `got schedulers at index ${i} to be different than the optimizer passed in.`,
        );
      }
      if (scheduler.optimizer !== schedulers[0].optimizer) {
        throw new OptimizerError(
          "Sequential Schedulers expects all schedulers to belong to the same optimizer, but " +
            `got schedulers at index 0 and ${i} to be different.`,
        );
      }
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new OptimizerError(
        "Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone " +
          `points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ` +
          `${milestones.length}`,
      );
    }
    this._schedulers = [...schedulers];
    this._milestones = [...milestones];
    this.lastEpoch = lastEpoch + 1;
    for (const group of this.optimizer.paramGroups) group.lr = group.initialLr;
    for (const scheduler of this._schedulers) scheduler.lastEpoch -= 1;
    this._schedulers[0]._initialStep();
    this._lastLr = this._schedulers[0].getLastLr();
  }

  /** Not used: each step delegates to the scheduler in charge. */
  getLr(): number[] {
    return this._schedulers[bisectRight(this._milestones, this.lastEpoch)].getLastLr();
  }

  override step(): void {
    this.lastEpoch += 1;
    const idx = bisectRight(this._milestones, this.lastEpoch);
    const scheduler = this._schedulers[idx];
    if (idx > 0 && this._milestones[idx - 1] === this.lastEpoch) withoutEpochWarning(() => scheduler.step(0));
    else scheduler.step();
    this._lastLr = scheduler.getLastLr();
  }

  override stateDict(): SchedulerStateDict {
    return { ...snapshotState(this, ["_schedulers"]), _schedulers: this._schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    const nested = nestedStates(stateDict, this._schedulers.length, "SequentialLR");
    restoreState(this, stateDict, ["_schedulers"]);
    nested.forEach((s, i) => this._schedulers[i].loadStateDict(s));
  }
}

/**
 * Step several chainable schedulers of one optimizer together: each `step()` steps each in
 * order, so their factors multiply. Its state dict nests each scheduler's.
 */
export class ChainedScheduler extends LRScheduler {
  declare _schedulers: LRScheduler[];

  constructor(schedulers: readonly LRScheduler[]) {
    super(schedulers[0]?.optimizer);
    for (let i = 1; i < schedulers.length; i++) {
      if (schedulers[i].optimizer !== schedulers[0].optimizer) {
        throw new OptimizerError(
          "ChainedScheduler expects all schedulers to belong to the same optimizer, but " +
            `got schedulers at index 0 and ${i} to be different`,
        );
      }
    }
    this._schedulers = [...schedulers];
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr as number);
  }

  /** Not used: each step delegates to the schedulers. */
  getLr(): number[] {
    return this.getLastLr();
  }

  override step(): void {
    for (const scheduler of this._schedulers) scheduler.step();
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr as number);
  }

  override stateDict(): SchedulerStateDict {
    return { ...snapshotState(this, ["_schedulers"]), _schedulers: this._schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    const nested = nestedStates(stateDict, this._schedulers.length, "ChainedScheduler");
    restoreState(this, stateDict, ["_schedulers"]);
    nested.forEach((s, i) => this._schedulers[i].loadStateDict(s));
  }
}

/** Python's `bisect_right`: how many of the sorted `xs` are <= x. */
function bisectRight(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < xs[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
