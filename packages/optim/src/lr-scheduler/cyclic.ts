import { OptimizerError } from "../errors";
import { LRScheduler, perGroup, type BaseSchedulerOptions, type SchedulerOptimizer } from "./base";
import type { SchedulerStateDict } from "./state";

/** Options of `CyclicLR`; the defaults are torch's. */
export interface CyclicLROptions extends BaseSchedulerOptions {
  /** The lower lr of the cycle, for all groups or one per group (it replaces each group's lr). */
  baseLr: number | readonly number[];
  /** The upper lr of the cycle, for all groups or one per group. */
  maxLr: number | readonly number[];
  /** Steps of the rising half (2000). */
  stepSizeUp?: number;
  /** Steps of the falling half (`stepSizeUp`). */
  stepSizeDown?: number | null;
  /** The amplitude policy ("triangular"); ignored with `scaleFn`. */
  mode?: "triangular" | "triangular2" | "exp_range";
  /** The factor of "exp_range": amplitude · gamma^iterations (1). */
  gamma?: number;
  /** A custom amplitude scaling, with values in [0, 1]; replaces `mode`. */
  scaleFn?: ((x: number) => number) | null;
  /** What `scaleFn` receives: the cycle number or the iteration ("cycle"). */
  scaleMode?: "cycle" | "iterations";
  /** Cycle each group's `momentum` inversely to the lr (true; the optimizer needs a `momentum` option). */
  cycleMomentum?: boolean;
  /** The momentum at the peak lr (0.8). */
  baseMomentum?: number | readonly number[];
  /** The momentum at the lowest lr (0.9). */
  maxMomentum?: number | readonly number[];
}

/**
 * The cyclical learning rate policy (CLR): each group's lr moves linearly between `baseLr`
 * and `maxLr` and back, every `stepSizeUp + stepSizeDown` steps (call `step()` after each
 * batch), its amplitude scaled per cycle or per iteration; momentum moves the other way.
 * Not chainable. The state dict holds no function (`_scaleFnCustom` is null).
 */
export class CyclicLR extends LRScheduler {
  /** Each group's upper lr of the cycle. */
  maxLrs: number[];
  /** Steps in one cycle: stepSizeUp + stepSizeDown. */
  totalSize: number;
  /** The fraction of the cycle spent rising: stepSizeUp / totalSize. */
  stepRatio: number;
  /** The amplitude policy: "triangular", "triangular2" or "exp_range" (unused with scaleFn). */
  mode: string;
  /** The factor of "exp_range": the amplitude is scaled by gamma^iterations. */
  gamma: number;
  /** What the amplitude's scale is a function of: the cycle number or the iteration. */
  scaleMode: "cycle" | "iterations";
  /** Whether each group's momentum moves inversely to the lr. */
  cycleMomentum: boolean;
  /** Each group's momentum at the peak lr (only when cycling momentum). */
  baseMomentums?: number[];
  /** Each group's momentum at the lowest lr (only when cycling momentum). */
  maxMomentums?: number[];
  #scaleFnCustom: ((x: number) => number) | null;

  constructor(
    optimizer: SchedulerOptimizer,
    {
      baseLr, maxLr, stepSizeUp = 2000, stepSizeDown = null, mode = "triangular", gamma = 1.0, scaleFn = null,
      scaleMode = "cycle", cycleMomentum = true, baseMomentum = 0.8, maxMomentum = 0.9, lastEpoch = -1,
      verbose = false,
    }: CyclicLROptions,
  ) {
    super(optimizer);
    const groups = this.optimizer.paramGroups;
    const baseLrs = perGroup("baseLr", this.optimizer, baseLr);
    if (lastEpoch === -1) groups.forEach((group, i) => (group.lr = baseLrs[i]));
    this.maxLrs = perGroup("maxLr", this.optimizer, maxLr);
    const up = Number(stepSizeUp);
    const down = stepSizeDown !== null ? Number(stepSizeDown) : up;
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    if (!["triangular", "triangular2", "exp_range"].includes(mode) && scaleFn === null) {
      throw new OptimizerError("mode is invalid and scaleFn is null");
    }
    this.mode = mode;
    this.gamma = gamma;
    this.#scaleFnCustom = scaleFn;
    this.scaleMode = scaleFn !== null ? scaleMode : mode === "exp_range" ? "iterations" : "cycle";
    this.cycleMomentum = cycleMomentum;
    if (cycleMomentum) {
      if (!("momentum" in this.optimizer.defaults)) {
        throw new OptimizerError("optimizer must support momentum with `cycleMomentum` option enabled");
      }
      const baseMomentums = perGroup("baseMomentum", this.optimizer, baseMomentum);
      if (lastEpoch === -1) groups.forEach((group, i) => (group.momentum = baseMomentums[i]));
      this.baseMomentums = groups.map((g) => g.momentum as number);
      this.maxMomentums = perGroup("maxMomentum", this.optimizer, maxMomentum);
    }
    this._init(lastEpoch, verbose);
    this.baseLrs = baseLrs;
  }

  /** The amplitude's scale at `x` (the cycle number or the iteration). */
  scaleFn(x: number): number {
    if (this.#scaleFnCustom !== null) return this.#scaleFnCustom(x);
    if (this.mode === "triangular") return 1.0;
    if (this.mode === "triangular2") return 1 / 2.0 ** (x - 1);
    return this.gamma ** x;
  }

  /** The lrs at batch `lastEpoch`; sets each group's momentum too when cycling it. */
  getLr(): number[] {
    this._warnIfOutsideStep();
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1.0 + this.lastEpoch / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const at = this.scaleMode === "cycle" ? cycle : this.lastEpoch;
    const lrs = this.baseLrs.map((base, i) => base + (this.maxLrs[i] - base) * scaleFactor * this.scaleFn(at));
    if (this.cycleMomentum && this.baseMomentums !== undefined && this.maxMomentums !== undefined) {
      const maxes = this.maxMomentums;
      const momentums = this.baseMomentums.map((base, i) => maxes[i] - (maxes[i] - base) * scaleFactor * this.scaleFn(at));
      const groups = this.optimizer.paramGroups;
      for (let i = 0; i < Math.min(groups.length, momentums.length); i++) groups[i].momentum = momentums[i];
    }
    return lrs;
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), _scaleFnCustom: null };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    const { _scaleFnCustom: _ignored, ...rest } = stateDict;
    super.loadStateDict(rest);
  }
}
