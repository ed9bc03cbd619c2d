import { OptimizerError } from "../errors";
import { LRScheduler, lrOf, type BaseSchedulerOptions, type SchedulerOptimizer } from "./base";

/** Options of `CosineAnnealingLR`. */
export interface CosineAnnealingLROptions extends BaseSchedulerOptions {
  /** Half the period: the lr reaches `etaMin` after `tMax` epochs (and climbs back after). */
  tMax: number;
  /** The lowest lr (0). */
  etaMin?: number;
}

/**
 * Cosine annealing from each group's `initialLr` to `etaMin` over `tMax` epochs, in torch's
 * recursive (chainable) form: each step scales the distance of the current lr to `etaMin`
 * by the ratio of consecutive `1 + cos(πe/tMax)` terms. Past `tMax` it rises again (a
 * cosine of period `2·tMax`). `step(epoch)` uses the closed form.
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Half the period, in epochs: the lr reaches `etaMin` at epoch `tMax`. */
  tMax: number;
  /** The lowest lr. */
  etaMin: number;

  constructor(optimizer: SchedulerOptimizer, { tMax, etaMin = 0, lastEpoch = -1, verbose = false }: CosineAnnealingLROptions) {
    super(optimizer);
    this.tMax = tMax;
    this.etaMin = etaMin;
    this._init(lastEpoch, verbose);
  }

  getLr(): number[] {
    this._warnIfOutsideStep();
    const { lastEpoch: e, tMax, etaMin } = this;
    const groups = this.optimizer.paramGroups;
    if (e === 0) return groups.map((g) => lrOf(g));
    if (this._stepCount === 1 && e > 0) {
      return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((e * Math.PI) / tMax))) / 2);
    }
    if ((e - 1 - tMax) % (2 * tMax) === 0) {
      return groups.map((g, i) => lrOf(g) + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    const ratio = (1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax));
    return groups.map((g) => ratio * (lrOf(g) - etaMin) + etaMin);
  }

  override _getClosedFormLr(): number[] {
    const { lastEpoch: e, tMax, etaMin } = this;
    return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * e) / tMax))) / 2);
  }
}

/** Options of `CosineAnnealingWarmRestarts`. */
export interface CosineAnnealingWarmRestartsOptions extends BaseSchedulerOptions {
  /** Epochs until the first restart (a positive integer). */
  t0: number;
  /** Each period is `tMult` times the previous one (an integer >= 1; 1). */
  tMult?: number;
  /** The lowest lr (0). */
  etaMin?: number;
}

/**
 * SGDR: cosine annealing from `initialLr` to `etaMin` over `tI` epochs, then a restart at
 * `initialLr` with `tI ← tI · tMult`. `step(epoch)` takes fractional epochs too
 * (`step(epoch + i / iters)` every batch), without a deprecation warning, as torch.
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  /** The length of the first period, in epochs. */
  t0: number;
  /** The length of the current period, in epochs (`t0 * tMult^restarts`). */
  tI: number;
  /** The factor each period's length is multiplied by at a restart. */
  tMult: number;
  /** The lowest lr. */
  etaMin: number;
  /** Epochs since the last restart (fractional after `step(epoch)` with a fraction). */
  tCur: number;

  constructor(
    optimizer: SchedulerOptimizer,
    { t0, tMult = 1, etaMin = 0, lastEpoch = -1, verbose = false }: CosineAnnealingWarmRestartsOptions,
  ) {
    if (t0 <= 0 || !Number.isInteger(t0)) throw new OptimizerError(`Expected positive integer t0, but got ${t0}`);
    if (tMult < 1 || !Number.isInteger(tMult)) throw new OptimizerError(`Expected integer tMult >= 1, but got ${tMult}`);
    super(optimizer);
    this.t0 = t0;
    this.tI = t0;
    this.tMult = tMult;
    this.etaMin = etaMin;
    this.tCur = lastEpoch;
    this._init(lastEpoch, verbose);
  }

  getLr(): number[] {
    this._warnIfOutsideStep();
    const { etaMin } = this;
    return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }

  /** Advance one epoch (restarting when `tCur` reaches `tI`), or jump to `epoch` (fractional allowed). */
  override step(epoch?: number): void {
    let e: number;
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      e = this.lastEpoch + 1;
      this.tCur = this.tCur + 1;
      if (this.tCur >= this.tI) {
        this.tCur = this.tCur - this.tI;
        this.tI = this.tI * this.tMult;
      }
    } else {
      e = epoch;
      if (e < 0) throw new OptimizerError(`Expected non-negative epoch, but got ${e}`);
      if (e >= this.t0) {
        if (this.tMult === 1) {
          this.tCur = pyMod(e, this.t0);
        } else {
          const n = Math.trunc(Math.log((e / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
          this.tCur = e - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = e;
      }
    }
    this.lastEpoch = Math.floor(e);
    this._getLrCalledWithinStep = true;
    let values: number[];
    try {
      values = this.getLr();
    } finally {
      this._getLrCalledWithinStep = false;
    }
    this._setLrs(values, e);
  }
}

/** Python's `%` (the sign of the divisor). */
function pyMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}
