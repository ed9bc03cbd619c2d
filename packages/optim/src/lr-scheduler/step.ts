import { LRScheduler, lrOf, type BaseSchedulerOptions, type SchedulerOptimizer } from "./base";

/** Options of `StepLR`. */
export interface StepLROptions extends BaseSchedulerOptions {
  /** Period of the decay, in epochs. */
  stepSize: number;
  /** Factor of the decay (0.1). */
  gamma?: number;
}

/** Multiply each group's lr by `gamma` every `stepSize` epochs. Closed form `baseLr · gamma^⌊e / stepSize⌋`. */
export class StepLR extends LRScheduler {
  /** The period of the decay, in epochs. */
  stepSize: number;
  /** The factor applied every `stepSize` epochs. */
  gamma: number;

  constructor(optimizer: SchedulerOptimizer, { stepSize, gamma = 0.1, lastEpoch = -1, verbose = false }: StepLROptions) {
    super(optimizer);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this._init(lastEpoch, verbose);
  }

  getLr(): number[] {
    this._warnIfOutsideStep();
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return groups.map((g) => lrOf(g));
    return groups.map((g) => lrOf(g) * this.gamma);
  }

  override _getClosedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Options of `MultiStepLR`. */
export interface MultiStepLROptions extends BaseSchedulerOptions {
  /** Epoch indices where the lr decays (a repeated one decays that many times). */
  milestones: readonly number[];
  /** Factor of the decay (0.1). */
  gamma?: number;
}

/**
 * Multiply each group's lr by `gamma` at each milestone. `milestones` is kept as torch's
 * Counter: `{ [epoch]: times }`.
 */
export class MultiStepLR extends LRScheduler {
  /** How many times the lr decays at each milestone epoch (torch's Counter). */
  milestones: { [epoch: string]: number };
  /** The factor applied at each milestone (once per repeat). */
  gamma: number;

  constructor(optimizer: SchedulerOptimizer, { milestones, gamma = 0.1, lastEpoch = -1, verbose = false }: MultiStepLROptions) {
    super(optimizer);
    this.milestones = {};
    for (const m of milestones) this.milestones[String(m)] = (this.milestones[String(m)] ?? 0) + 1;
    this.gamma = gamma;
    this._init(lastEpoch, verbose);
  }

  getLr(): number[] {
    this._warnIfOutsideStep();
    const groups = this.optimizer.paramGroups;
    const times = Object.hasOwn(this.milestones, String(this.lastEpoch)) ? this.milestones[String(this.lastEpoch)] : 0;
    if (times === 0) return groups.map((g) => lrOf(g));
    return groups.map((g) => lrOf(g) * this.gamma ** times);
  }

  override _getClosedFormLr(): number[] {
    // bisect_right over the sorted milestones (with repeats): how many are <= lastEpoch.
    let passed = 0;
    for (const [m, times] of Object.entries(this.milestones)) if (Number(m) <= this.lastEpoch) passed += times;
    return this.baseLrs.map((base) => base * this.gamma ** passed);
  }
}

/** Options of `ExponentialLR`. */
export interface ExponentialLROptions extends BaseSchedulerOptions {
  /** Factor of the decay, every epoch. */
  gamma: number;
}

/** Multiply each group's lr by `gamma` every epoch. Closed form `baseLr · gamma^e`. */
export class ExponentialLR extends LRScheduler {
  /** The factor applied every epoch. */
  gamma: number;

  constructor(optimizer: SchedulerOptimizer, { gamma, lastEpoch = -1, verbose = false }: ExponentialLROptions) {
    super(optimizer);
    this.gamma = gamma;
    this._init(lastEpoch, verbose);
  }

  getLr(): number[] {
    this._warnIfOutsideStep();
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((g) => lrOf(g));
    return groups.map((g) => lrOf(g) * this.gamma);
  }

  override _getClosedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }
}
