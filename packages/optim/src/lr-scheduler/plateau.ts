import { Tensor } from "@minigrad/tensor";
import { OptimizerError } from "../errors";
import { checkOptimizer, lrOf, type SchedulerOptimizer } from "./base";
import { restoreState, snapshotState, type SchedulerStateDict } from "./state";
import { formatLr, warnEpochDeprecated } from "./warnings";

/** Options of `ReduceLROnPlateau`; the defaults are torch's. */
export interface ReduceLROnPlateauOptions {
  /** "min": reduce when the metric stops decreasing; "max": when it stops increasing ("min"). */
  mode?: "min" | "max";
  /** new lr = lr · factor (0.1; must be < 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (10). */
  patience?: number;
  /** How much better counts as better (1e-4). */
  threshold?: number;
  /** "rel": better than best·(1 ∓ threshold); "abs": than best ∓ threshold ("rel"). */
  thresholdMode?: "rel" | "abs";
  /** Epochs to wait after a reduction before counting bad epochs again (0). */
  cooldown?: number;
  /** A lower bound on the lr, for all groups or one per group (0). */
  minLr?: number | readonly number[];
  /** A reduction smaller than this is skipped (1e-8). */
  eps?: number;
  /** Print a line (torch's text) for each reduction. */
  verbose?: boolean;
}

/**
 * Reduce each group's lr by `factor` when a metric has not improved for `patience` epochs:
 * `step(metric)` after each validation. Not an `LRScheduler` (as in torch): it sets no
 * `initialLr` and does not step at construction.
 */
export class ReduceLROnPlateau {
  /** The optimizer whose groups' lrs are reduced. */
  readonly optimizer: SchedulerOptimizer;
  /** new lr = lr * factor at each reduction (< 1). */
  factor: number;
  /** Each group's lower bound on the lr. */
  minLrs: number[];
  /** Epochs without improvement tolerated before a reduction. */
  patience: number;
  /** Print torch's line for each reduction. */
  verbose: boolean;
  /** Epochs to wait after a reduction before counting bad epochs again. */
  cooldown: number;
  /** Epochs of cooldown left (0: not in cooldown). */
  cooldownCounter: number;
  /** "min": lower metrics are better; "max": higher ones are. */
  mode: "min" | "max";
  /** How much better counts as better (relative or absolute, per `thresholdMode`). */
  threshold: number;
  /** "rel": better than best * (1 -/+ threshold); "abs": than best -/+ threshold. */
  thresholdMode: "rel" | "abs";
  /** The best metric so far (±Infinity before the first step). */
  best: number;
  /** Consecutive epochs without improvement so far. */
  numBadEpochs: number;
  /** The worst value for `mode` (Infinity for min, -Infinity for max): `best` at the start. */
  modeWorse: number;
  /** A reduction smaller than this is skipped. */
  eps: number;
  /** The epoch of the last `step` (0 before the first). */
  lastEpoch: number;
  _lastLr: number[];

  constructor(
    optimizer: SchedulerOptimizer,
    {
      mode = "min", factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = "rel", cooldown = 0, minLr = 0,
      eps = 1e-8, verbose = false,
    }: ReduceLROnPlateauOptions = {},
  ) {
    if (factor >= 1.0) throw new OptimizerError("Factor should be < 1.0.");
    this.factor = factor;
    this.optimizer = checkOptimizer(optimizer);
    const n = this.optimizer.paramGroups.length;
    if (Array.isArray(minLr)) {
      if (minLr.length !== n) throw new OptimizerError(`expected ${n} minLrs, got ${minLr.length}`);
      this.minLrs = [...(minLr as readonly number[])];
    } else {
      this.minLrs = new Array<number>(n).fill(minLr as number);
    }
    this.patience = patience;
    this.verbose = verbose;
    this.cooldown = cooldown;
    this.cooldownCounter = 0;
    checkModes(mode, thresholdMode);
    this.mode = mode;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.modeWorse = mode === "min" ? Infinity : -Infinity;
    this.best = this.modeWorse;
    this.numBadEpochs = 0;
    this.eps = eps;
    this.lastEpoch = 0;
    this._lastLr = this.optimizer.paramGroups.map((g) => lrOf(g));
  }

  /** Whether `a` improves on `best` by the threshold. */
  isBetter(a: number, best: number): boolean {
    if (this.mode === "min" && this.thresholdMode === "rel") return a < best * (1 - this.threshold);
    if (this.mode === "min" && this.thresholdMode === "abs") return a < best - this.threshold;
    if (this.mode === "max" && this.thresholdMode === "rel") return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /** True while waiting after a reduction. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /**
   * Record one epoch's metric (a number or a one-element tensor) and reduce the lrs if it
   * has not improved for more than `patience` epochs. `epoch` is deprecated, as in torch.
   */
  step(metrics: number | Tensor, epoch?: number): void {
    const current = metrics instanceof Tensor ? metrics.item() : Number(metrics);
    if (epoch === undefined) epoch = this.lastEpoch + 1;
    else warnEpochDeprecated();
    this.lastEpoch = epoch;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr(epoch);
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this._lastLr = this.optimizer.paramGroups.map((g) => lrOf(g));
  }

  private reduceLr(epoch: number): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      const oldLr = lrOf(group);
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
      if (oldLr - newLr > this.eps) {
        group.lr = newLr;
        if (this.verbose) {
          const e = Number.isInteger(epoch) ? String(epoch).padStart(5, "0") : epoch.toFixed(2);
          console.log(`Epoch ${e}: reducing learning rate of group ${i} to ${formatLr(newLr)}.`);
        }
      }
    });
  }

  /** The lrs after the last step (the optimizer's lrs before the first). */
  getLastLr(): number[] {
    return [...this._lastLr];
  }

  /** Every field but the optimizer, as torch's state_dict. */
  stateDict(): SchedulerStateDict {
    return snapshotState(this);
  }

  /** Restore the fields from a `stateDict()`, all checked first: a bad one changes nothing. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    const mode = stateDict.mode ?? this.mode;
    const thresholdMode = stateDict.thresholdMode ?? this.thresholdMode;
    checkModes(mode, thresholdMode);
    restoreState(this, stateDict);
    this.modeWorse = this.mode === "min" ? Infinity : -Infinity;
  }
}

function checkModes(mode: unknown, thresholdMode: unknown): void {
  if (mode !== "min" && mode !== "max") throw new OptimizerError(`mode ${String(mode)} is unknown!`);
  if (thresholdMode !== "rel" && thresholdMode !== "abs") {
    throw new OptimizerError(`threshold mode ${String(thresholdMode)} is unknown!`);
  }
}
