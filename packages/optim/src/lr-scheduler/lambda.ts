import { OptimizerError } from "../errors";
import { LRScheduler, lrOf, type BaseSchedulerOptions, type SchedulerOptimizer } from "./base";
import type { SchedulerStateDict } from "./state";

/** A function of the epoch index (LambdaLR: a factor of the base lr; MultiplicativeLR: of the current lr). */
export type LrLambda = (epoch: number) => number;

/** Options of `LambdaLR` and `MultiplicativeLR`. */
export interface LambdaLROptions extends BaseSchedulerOptions {
  /** One function for every group, or one per group. */
  lrLambda: LrLambda | readonly LrLambda[];
}

function lambdasFor(optimizer: SchedulerOptimizer, lrLambda: LrLambda | readonly LrLambda[]): LrLambda[] {
  const n = optimizer.paramGroups.length;
  if (!Array.isArray(lrLambda)) return new Array<LrLambda>(n).fill(lrLambda as LrLambda);
  if (lrLambda.length !== n) throw new OptimizerError(`Expected ${n} lrLambdas, but got ${lrLambda.length}`);
  return [...(lrLambda as readonly LrLambda[])];
}

/**
 * The lr of each group is its `initialLr` times `lrLambda(epoch)` (not chainable).
 * The functions are not part of the state dict (`lrLambdas` holds null for each, as torch
 * does for plain functions).
 */
export class LambdaLR extends LRScheduler {
  #lambdas: LrLambda[];

  constructor(optimizer: SchedulerOptimizer, { lrLambda, lastEpoch = -1, verbose = false }: LambdaLROptions) {
    super(optimizer);
    this.#lambdas = lambdasFor(this.optimizer, lrLambda);
    this._init(lastEpoch, verbose);
  }

  getLr(): number[] {
    this._warnIfOutsideStep();
    return this.baseLrs.map((base, i) => base * this.#lambdas[i](this.lastEpoch));
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), lrLambdas: this.#lambdas.map(() => null) };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    const { lrLambdas: _ignored, ...rest } = stateDict;
    super.loadStateDict(rest);
  }
}

/**
 * Each step multiplies each group's lr by `lrLambda(epoch)` (from epoch 1; chainable).
 */
export class MultiplicativeLR extends LRScheduler {
  #lambdas: LrLambda[];

  constructor(optimizer: SchedulerOptimizer, { lrLambda, lastEpoch = -1, verbose = false }: LambdaLROptions) {
    super(optimizer);
    this.#lambdas = lambdasFor(this.optimizer, lrLambda);
    this._init(lastEpoch, verbose);
  }

  getLr(): number[] {
    this._warnIfOutsideStep();
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch > 0) return groups.map((g, i) => lrOf(g) * this.#lambdas[i](this.lastEpoch));
    return groups.map((g) => lrOf(g));
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), lrLambdas: this.#lambdas.map(() => null) };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    const { lrLambdas: _ignored, ...rest } = stateDict;
    super.loadStateDict(rest);
  }
}
