import { ArgumentError, ShapeError, noGrad, ones, zeros, type Tensor } from "@minigrad/tensor";
import { pyBool, pyFloat } from "../format";
import { batchNorm } from "../functional/batch-norm";
import { Module } from "../module";
import { Parameter } from "../parameter";

/** Options of `BatchNorm1d` and `BatchNorm2d`; the defaults are torch's. */
export interface BatchNormLayerOptions {
  /** Added to the variance before the square root (1e-5). */
  eps?: number;
  /** How far the running statistics move per training batch (0.1); null: a cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel scale (starting at 1) and shift (starting at 0); default true. */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true); false: always the batch's. */
  trackRunningStats?: boolean;
  /** The dtype of the parameters and running statistics; float32 by default. */
  dtype?: "float32" | "float64";
}

/**
 * The shared part of torch's `_BatchNorm`: parameters `weight` and `bias`, buffers
 * `running_mean`, `running_var` and `num_batches_tracked` under torch's state-dict keys
 * (read them as `runningMean`, `runningVar`, `numBatchesTracked`), and the forward.
 *
 * In training mode (or without running statistics) each batch is normalised with its own
 * per-channel mean and biased variance, and the running statistics move towards the batch's
 * (the variance's unbiased form) by `momentum`, or by 1 / numBatchesTracked when momentum is
 * null (a cumulative average). After `eval()` the running statistics normalise.
 */
export abstract class BatchNormBase extends Module {
  /** The number of channels C of an input (N, C, ...). */
  readonly numFeatures: number;
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** The running statistics' update factor, or null for a cumulative average. */
  momentum: number | null;
  /** Whether `weight` and `bias` exist. */
  readonly affine: boolean;
  /** Whether running statistics are kept (and used after `eval()`). */
  readonly trackRunningStats: boolean;
  /** The per-channel scale (C), starting at 1; null without affine. */
  weight: Parameter | null;
  /** The per-channel shift (C), starting at 0; null without affine. */
  bias: Parameter | null;

  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super();
    const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true, dtype = "float32" } = options;
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) {
      throw new ArgumentError(`${new.target.name}: num_features must be a positive integer, got ${numFeatures}`);
    }
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentum = momentum;
    this.affine = affine;
    this.trackRunningStats = trackRunningStats;
    this.weight = affine ? new Parameter(ones([numFeatures], { dtype })) : null;
    this.bias = affine ? new Parameter(zeros([numFeatures], { dtype })) : null;
    // torch's attribute names, so the state-dict keys are torch's own.
    this.registerBuffer("running_mean", trackRunningStats ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer("running_var", trackRunningStats ? ones([numFeatures], { dtype }) : null);
    this.registerBuffer("num_batches_tracked", trackRunningStats ? zeros([], { dtype: "int32" }) : null);
  }

  private buffer(name: string): Tensor | null {
    return (this as unknown as Record<string, Tensor | null>)[name] ?? null;
  }

  /** The running mean per channel (state-dict key `running_mean`), or null without running statistics. */
  get runningMean(): Tensor | null {
    return this.buffer("running_mean");
  }

  /** The running (unbiased) variance per channel (key `running_var`), or null. */
  get runningVar(): Tensor | null {
    return this.buffer("running_var");
  }

  /** The number of training batches seen, a 0-d int32 tensor (key `num_batches_tracked`), or null. */
  get numBatchesTracked(): Tensor | null {
    return this.buffer("num_batches_tracked");
  }

  /** Reset the running statistics: mean 0, variance 1, no batches tracked. */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.zero_();
    });
  }

  /** Reset the running statistics and the affine parameters (weight 1, bias 0). */
  resetParameters(): void {
    this.resetRunningStats();
    noGrad(() => {
      this.weight?.fill_(1);
      this.bias?.zero_();
    });
  }

  /** @internal the input check of the subclass (its rank). */
  protected abstract checkInputDim(input: Tensor): void;

  /** Normalise `input` (N, C, ...) per channel, updating the running statistics in training. */
  forward(input: Tensor): Tensor {
    this.checkInputDim(input);
    let factor = this.momentum ?? 0;
    const tracked = this.numBatchesTracked;
    if (this.training && this.trackRunningStats && tracked !== null) {
      noGrad(() => tracked.add_(1));
      factor = this.momentum ?? 1 / tracked.item();
    }
    // Batch statistics in training, and always when no running statistics are kept.
    const useBatch = this.training || (this.runningMean === null && this.runningVar === null);
    const trackNow = !this.training || this.trackRunningStats;
    return batchNorm(input, trackNow ? this.runningMean : null, trackNow ? this.runningVar : null, {
      weight: this.weight, bias: this.bias, training: useBatch, momentum: factor, eps: this.eps,
    });
  }

  override extraRepr(): string {
    const momentum = this.momentum === null ? "None" : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${momentum}, affine=${pyBool(this.affine)}, ` +
      `track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/**
 * Batch normalisation of (N, C) or (N, C, L) inputs over the batch (and L), as
 * torch.nn.BatchNorm1d; see `BatchNormBase` for the running statistics.
 *
 * @example
 * ```ts
 * const bn = new BatchNorm1d(16);
 * const y = bn.forward(x);      // x (N, 16): normalised with the batch's statistics
 * bn.eval();
 * bn.forward(x);                // now with bn.runningMean and bn.runningVar
 * ```
 */
export class BatchNorm1d extends BatchNormBase {
  protected override checkInputDim(input: Tensor): void {
    if (input.ndim !== 2 && input.ndim !== 3) throw new ShapeError(`expected 2D or 3D input (got ${input.ndim}D input)`);
  }
}

/**
 * Batch normalisation of (N, C, H, W) inputs per channel, over the batch and the positions,
 * as torch.nn.BatchNorm2d; see `BatchNormBase` for the running statistics.
 */
export class BatchNorm2d extends BatchNormBase {
  protected override checkInputDim(input: Tensor): void {
    if (input.ndim !== 4) throw new ShapeError(`expected 4D input (got ${input.ndim}D input)`);
  }
}

/**
 * Batch normalisation of (N, C, D, H, W) inputs per channel, over the batch and the
 * positions, as torch.nn.BatchNorm3d; see `BatchNormBase` for the running statistics.
 */
export class BatchNorm3d extends BatchNormBase {
  protected override checkInputDim(input: Tensor): void {
    if (input.ndim !== 5) throw new ShapeError(`expected 5D input (got ${input.ndim}D input)`);
  }
}
