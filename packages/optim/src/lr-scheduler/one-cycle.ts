import { OptimizerError } from "../errors";
import { LRScheduler, lrOf, perGroup, type BaseSchedulerOptions, type SchedulerGroup, type SchedulerOptimizer } from "./base";

/** Options of `OneCycleLR`; the defaults are torch's. */
export interface OneCycleLROptions extends BaseSchedulerOptions {
  /** The peak lr, for all groups or one per group. */
  maxLr: number | readonly number[];
  /** The number of steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number | null;
  /** With `stepsPerEpoch`, the cycle's length as epochs; used when `totalSteps` is not given. */
  epochs?: number | null;
  /** With `epochs`: totalSteps = epochs * stepsPerEpoch. */
  stepsPerEpoch?: number | null;
  /** The fraction of the cycle spent raising the lr (0.3). */
  pctStart?: number;
  /** "cos" or "linear" annealing ("cos"). */
  annealStrategy?: "cos" | "linear";
  /** Cycle the momentum (or Adam's beta1) inversely to the lr (true). */
  cycleMomentum?: boolean;
  /** The momentum at the peak lr (0.85). */
  baseMomentum?: number | readonly number[];
  /** The momentum at the start and end (0.95). */
  maxMomentum?: number | readonly number[];
  /** initialLr = maxLr / divFactor (25). */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor (1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to initialLr, down to minLr) instead of two (false). */
  threePhase?: boolean;
}

/** A phase of the cycle: where it ends and the group keys it anneals between. */
interface Phase {
  [key: string]: number | string;
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}

/**
 * The 1cycle policy: each group's lr rises from `maxLr / divFactor` to `maxLr` over
 * `pctStart` of the cycle, then anneals to `initialLr / finalDivFactor` (call `step()` after
 * each batch; stepping past `totalSteps` throws). Momentum (or beta1) moves the other way.
 * Writes `initialLr`, `maxLr`, `minLr` (and `maxMomentum`, `baseMomentum`) into each group.
 * Not chainable. The state dict names the strategy in `_annealFuncType` (as torch 2.x).
 */
export class OneCycleLR extends LRScheduler {
  /** The number of `step()` calls in the cycle; one more throws. */
  totalSteps: number;
  /** @internal the phases' end steps and group keys (torch's `_schedule_phases`; state dict). */
  _schedulePhases: Phase[];
  /** @internal the annealing strategy, as torch 2.x saves it in the state dict. */
  _annealFuncType: "cos" | "linear";
  /** Whether momentum (or beta1) moves inversely to the lr. */
  cycleMomentum: boolean;
  /** True when the optimizer has `betas` (Adam-like): beta1 is cycled, not `momentum`. */
  useBeta1?: boolean;

  constructor(
    optimizer: SchedulerOptimizer,
    {
      maxLr, totalSteps = null, epochs = null, stepsPerEpoch = null, pctStart = 0.3, annealStrategy = "cos",
      cycleMomentum = true, baseMomentum = 0.85, maxMomentum = 0.95, divFactor = 25.0, finalDivFactor = 1e4,
      threePhase = false, lastEpoch = -1, verbose = false,
    }: OneCycleLROptions,
  ) {
    super(optimizer);
    if (totalSteps === null && epochs === null && stepsPerEpoch === null) {
      throw new OptimizerError("You must define either totalSteps OR (epochs AND stepsPerEpoch)");
    } else if (totalSteps !== null) {
      if (totalSteps <= 0 || !Number.isInteger(totalSteps)) {
        throw new OptimizerError(`Expected positive integer totalSteps, but got ${totalSteps}`);
      }
      this.totalSteps = totalSteps;
    } else {
      if (epochs === null || epochs <= 0 || !Number.isInteger(epochs)) {
        throw new OptimizerError(`Expected positive integer epochs, but got ${epochs === null ? "None" : epochs}`);
      }
      if (stepsPerEpoch === null || stepsPerEpoch <= 0 || !Number.isInteger(stepsPerEpoch)) {
        throw new OptimizerError(
          `Expected positive integer stepsPerEpoch, but got ${stepsPerEpoch === null ? "None" : stepsPerEpoch}`,
        );
      }
      this.totalSteps = epochs * stepsPerEpoch;
    }
    const phase = (endStep: number, startLr: string, endLr: string, startMomentum: string, endMomentum: string): Phase => ({
      endStep, startLr, endLr, startMomentum, endMomentum,
    });
    this._schedulePhases = threePhase
      ? [
          phase(pctStart * this.totalSteps - 1, "initialLr", "maxLr", "maxMomentum", "baseMomentum"),
          phase(2 * pctStart * this.totalSteps - 2, "maxLr", "initialLr", "baseMomentum", "maxMomentum"),
          phase(this.totalSteps - 1, "initialLr", "minLr", "maxMomentum", "maxMomentum"),
        ]
      : [
          phase(pctStart * this.totalSteps - 1, "initialLr", "maxLr", "maxMomentum", "baseMomentum"),
          phase(this.totalSteps - 1, "maxLr", "minLr", "baseMomentum", "maxMomentum"),
        ];
    if (typeof pctStart !== "number" || !(pctStart >= 0 && pctStart <= 1)) {
      throw new OptimizerError(`Expected float between 0 and 1 pctStart, but got ${pctStart}`);
    }
    if (annealStrategy !== "cos" && annealStrategy !== "linear") {
      throw new OptimizerError(`annealStrategy must by one of 'cos' or 'linear', instead got ${String(annealStrategy)}`);
    }
    this._annealFuncType = annealStrategy;
    const groups = this.optimizer.paramGroups;
    const maxLrs = perGroup("maxLr", this.optimizer, maxLr);
    if (lastEpoch === -1) {
      groups.forEach((group, i) => {
        group.initialLr = maxLrs[i] / divFactor;
        group.maxLr = maxLrs[i];
        group.minLr = (group.initialLr as number) / finalDivFactor;
      });
    }
    this.cycleMomentum = cycleMomentum;
    if (cycleMomentum) {
      const defaults = this.optimizer.defaults;
      if (!("momentum" in defaults) && !("betas" in defaults)) {
        throw new OptimizerError("optimizer must support momentum with `cycleMomentum` option enabled");
      }
      this.useBeta1 = "betas" in defaults;
      const maxes = perGroup("maxMomentum", this.optimizer, maxMomentum);
      const bases = perGroup("baseMomentum", this.optimizer, baseMomentum);
      if (lastEpoch === -1) {
        groups.forEach((group, i) => {
          this.setMomentum(group, maxes[i]);
          group.maxMomentum = maxes[i];
          group.baseMomentum = bases[i];
        });
      }
    }
    this._init(lastEpoch, verbose);
  }

  private setMomentum(group: SchedulerGroup, momentum: number): void {
    if (this.useBeta1) {
      const betas = group.betas;
      group.betas = [momentum, ...(Array.isArray(betas) ? betas.slice(1) : [])];
    } else {
      group.momentum = momentum;
    }
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this._annealFuncType === "cos") return end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  /** The lrs at step `lastEpoch`; sets each group's momentum (or beta1) too when cycling it. */
  getLr(): number[] {
    this._warnIfOutsideStep();
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new OptimizerError(`Tried to step ${stepNum + 1} times. The specified number of total steps is ${this.totalSteps}`);
    }
    const phases = this._schedulePhases;
    return this.optimizer.paramGroups.map((group) => {
      let startStep = 0;
      let lr = NaN;
      let momentum = NaN;
      for (let i = 0; i < phases.length; i++) {
        const p = phases[i];
        if (stepNum <= p.endStep || i === phases.length - 1) {
          const pct = (stepNum - startStep) / (p.endStep - startStep);
          lr = this.anneal(lrOf(group, p.startLr), lrOf(group, p.endLr), pct);
          if (this.cycleMomentum) momentum = this.anneal(lrOf(group, p.startMomentum), lrOf(group, p.endMomentum), pct);
          break;
        }
        startStep = p.endStep;
      }
      if (this.cycleMomentum) this.setMomentum(group, momentum);
      return lr;
    });
  }
}
