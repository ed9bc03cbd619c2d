import { OptimizerError } from "../errors";
import { LRScheduler, lrOf, type BaseSchedulerOptions, type SchedulerOptimizer } from "./base";

/** Options of `ConstantLR`; the defaults are torch's. */
export interface ConstantLROptions extends BaseSchedulerOptions {
  /** The factor applied until `totalIters` (1/3). */
  factor?: number;
  /** How many epochs the factor applies (5). */
  totalIters?: number;
}

/** Multiply each group's lr by `factor` until epoch `totalIters`, then restore it (a warmup). */
export class ConstantLR extends LRScheduler {
  /** The factor applied to each group's lr before epoch `totalIters`, in [0, 1]. */
  factor: number;
  /** The epoch at which the lr is restored (divided by `factor` again). */
  totalIters: number;

  constructor(
    optimizer: SchedulerOptimizer,
    { factor = 1.0 / 3, totalIters = 5, lastEpoch = -1, verbose = false }: ConstantLROptions = {},
  ) {
    if (factor > 1.0 || factor < 0) throw new OptimizerError("Constant multiplicative factor expected to be between 0 and 1.");
    super(optimizer);
    this.factor = factor;
    this.totalIters = totalIters;
    this._init(lastEpoch, verbose);
  }

  getLr(): number[] {
    this._warnIfOutsideStep();
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((g) => lrOf(g) * this.factor);
    if (this.lastEpoch !== this.totalIters) return groups.map((g) => lrOf(g));
    return groups.map((g) => lrOf(g) * (1.0 / this.factor));
  }

  override _getClosedFormLr(): number[] {
    const past = this.lastEpoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((base) => base * (this.factor + past * (1 - this.factor)));
  }
}

/** Options of `LinearLR`; the defaults are torch's. */
export interface LinearLROptions extends BaseSchedulerOptions {
  /** The factor at epoch 0 (1/3). */
  startFactor?: number;
  /** The factor from epoch `totalIters` on (1). */
  endFactor?: number;
  /** How many epochs the factor moves linearly (5). */
  totalIters?: number;
}

/** Multiply each group's lr by a factor moving linearly from `startFactor` to `endFactor` over `totalIters` epochs. */
export class LinearLR extends LRScheduler {
  /** The factor at epoch 0, in [0, 1]. */
  startFactor: number;
  /** The factor from epoch `totalIters` on, in [0, 1]. */
  endFactor: number;
  /** The epochs over which the factor moves from `startFactor` to `endFactor`. */
  totalIters: number;

  constructor(
    optimizer: SchedulerOptimizer,
    { startFactor = 1.0 / 3, endFactor = 1.0, totalIters = 5, lastEpoch = -1, verbose = false }: LinearLROptions = {},
  ) {
    if (startFactor > 1.0 || startFactor < 0) {
      throw new OptimizerError("Starting multiplicative factor expected to be between 0 and 1.");
    }
    if (endFactor > 1.0 || endFactor < 0) throw new OptimizerError("Ending multiplicative factor expected to be between 0 and 1.");
    super(optimizer);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this._init(lastEpoch, verbose);
  }

  getLr(): number[] {
    this._warnIfOutsideStep();
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((g) => lrOf(g) * this.startFactor);
    if (this.lastEpoch > this.totalIters) return groups.map((g) => lrOf(g));
    const delta = this.endFactor - this.startFactor;
    const ratio = 1 + delta / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * delta);
    return groups.map((g) => lrOf(g) * ratio);
  }

  override _getClosedFormLr(): number[] {
    const delta = this.endFactor - this.startFactor;
    return this.baseLrs.map(
      (base) => base * (this.startFactor + (delta * Math.min(this.totalIters, this.lastEpoch)) / this.totalIters),
    );
  }
}

/** Options of `PolynomialLR`; the defaults are torch's. */
export interface PolynomialLROptions extends BaseSchedulerOptions {
  /** How many epochs the lr decays (5). */
  totalIters?: number;
  /** The power of the polynomial (1). */
  power?: number;
}

/** Decay each group's lr as `(1 − e / totalIters)^power` until `totalIters`, then keep it (at 0 for power > 0). */
export class PolynomialLR extends LRScheduler {
  /** The epochs over which the lr decays; it stays put after. */
  totalIters: number;
  /** The power of the polynomial `(1 - e / totalIters)^power`. */
  power: number;

  constructor(
    optimizer: SchedulerOptimizer,
    { totalIters = 5, power = 1.0, lastEpoch = -1, verbose = false }: PolynomialLROptions = {},
  ) {
    super(optimizer);
    this.totalIters = totalIters;
    this.power = power;
    this._init(lastEpoch, verbose);
  }

  getLr(): number[] {
    this._warnIfOutsideStep();
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0 || this.lastEpoch > this.totalIters) return groups.map((g) => lrOf(g));
    const decay =
      ((1.0 - this.lastEpoch / this.totalIters) / (1.0 - (this.lastEpoch - 1) / this.totalIters)) ** this.power;
    return groups.map((g) => lrOf(g) * decay);
  }

  override _getClosedFormLr(): number[] {
    return this.baseLrs.map(
      (base) => base * (1.0 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power,
    );
  }
}
