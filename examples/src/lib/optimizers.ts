/**
 * The optimizers and learning-rate schedules the examples can run, by command-line name.
 * Each entry builds the optimizer with a learning rate that suits the digits MLP (batch 32,
 * tens of epochs) and one that suits the Rosenbrock function (thousands of full steps);
 * `--lr` replaces either.
 */
import { Adagrad, Adam, AdamW, RMSprop, SGD, lrScheduler } from "@minigrad/optim";
import type { Tensor } from "@minigrad/tensor";

/**
 * What the examples use of an optimizer, whichever it is (the classes themselves differ in
 * their option types): zeroGrad, step, and what a scheduler reads and writes.
 */
export interface AnyOptimizer extends lrScheduler.SchedulerOptimizer {
  zeroGrad(): void;
  step(closure?: () => Tensor): unknown;
}

export interface OptimizerEntry {
  /** How titles and tables name it, with the options other than lr. */
  label: string;
  /** The learning rate for the digits MLP. */
  digitsLr: number;
  /** The learning rate for the Rosenbrock function from (-1.5, 2). */
  rosenbrockLr: number;
  create: (params: Iterable<Tensor>, lr: number) => AnyOptimizer;
}

/**
 * Torch's defaults except lr (and SGD's momentum); `rmsprop` at 1e-3 is the digits
 * reference protocol. The lrs were picked from a few runs of each (examples/README.md).
 */
export const OPTIMIZERS = {
  rmsprop: {
    label: "RMSprop",
    digitsLr: 1e-3,
    rosenbrockLr: 3e-3,
    create: (params, lr) => new RMSprop(params, { lr }),
  },
  sgd: {
    label: "SGD momentum 0.9",
    digitsLr: 5e-2,
    rosenbrockLr: 1e-3,
    create: (params, lr) => new SGD(params, { lr, momentum: 0.9 }),
  },
  adam: {
    label: "Adam",
    digitsLr: 1e-3,
    rosenbrockLr: 1e-2,
    create: (params, lr) => new Adam(params, { lr }),
  },
  adamw: {
    label: "AdamW",
    digitsLr: 1e-3,
    rosenbrockLr: 1e-2,
    create: (params, lr) => new AdamW(params, { lr }),
  },
  adagrad: {
    label: "Adagrad",
    digitsLr: 5e-2,
    rosenbrockLr: 5e-1,
    create: (params, lr) => new Adagrad(params, { lr }),
  },
} satisfies Record<string, OptimizerEntry>;

export type OptimizerName = keyof typeof OPTIMIZERS;
export const OPTIMIZER_NAMES = Object.keys(OPTIMIZERS) as OptimizerName[];

export function isOptimizerName(name: string): name is OptimizerName {
  return Object.hasOwn(OPTIMIZERS, name);
}

/** Builds `name` over `params` with `lr`, or the digits default. */
export function createOptimizer(name: OptimizerName, params: Iterable<Tensor>, lr?: number): AnyOptimizer {
  const entry: OptimizerEntry = OPTIMIZERS[name];
  return entry.create(params, lr ?? entry.digitsLr);
}

export const SCHEDULER_NAMES = ["none", "cosine", "onecycle", "step"] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** A learning-rate schedule the training loop drives: after every batch and every epoch. */
export interface Schedule {
  /** e.g. "CosineAnnealingLR(tMax 450 steps)"; "" for none. */
  label: string;
  afterBatch(): void;
  afterEpoch(): void;
  /** The lr of the first group now. */
  lr(): number;
}

/**
 * The schedule `name` over a run of `epochs` x `stepsPerEpoch` batches, from the optimizer's
 * lr (its peak for OneCycleLR):
 * - `cosine`: CosineAnnealingLR down to 0 over all the run's steps, stepped per batch;
 * - `onecycle`: OneCycleLR with maxLr = lr over all the run's steps, stepped per batch
 *   (momentum, or Adam's beta1, cycles too when the optimizer uses one);
 * - `step`: StepLR, lr x 0.1 every third of the epochs, stepped per epoch.
 */
export function createSchedule(
  name: SchedulerName,
  optimizer: AnyOptimizer,
  run: { epochs: number; stepsPerEpoch: number },
): Schedule {
  const lr = () => Number(optimizer.paramGroups[0].lr);
  const totalSteps = run.epochs * run.stepsPerEpoch;
  const none = () => {};
  switch (name) {
    case "none":
      return { label: "", afterBatch: none, afterEpoch: none, lr };
    case "cosine": {
      const s = new lrScheduler.CosineAnnealingLR(optimizer, { tMax: totalSteps });
      return { label: `CosineAnnealingLR(tMax ${totalSteps} steps)`, afterBatch: () => s.step(), afterEpoch: none, lr };
    }
    case "onecycle": {
      const defaults = optimizer.defaults as { momentum?: unknown; betas?: unknown };
      const cycleMomentum = (typeof defaults.momentum === "number" && defaults.momentum > 0) || defaults.betas !== undefined;
      const maxLr = lr();
      const s = new lrScheduler.OneCycleLR(optimizer, { maxLr, totalSteps, cycleMomentum });
      return { label: `OneCycleLR(maxLr ${maxLr}, totalSteps ${totalSteps})`, afterBatch: () => s.step(), afterEpoch: none, lr };
    }
    case "step": {
      const stepSize = Math.max(1, Math.ceil(run.epochs / 3));
      const s = new lrScheduler.StepLR(optimizer, { stepSize, gamma: 0.1 });
      return { label: `StepLR(stepSize ${stepSize} epoch${stepSize === 1 ? "" : "s"}, gamma 0.1)`, afterBatch: none, afterEpoch: () => s.step(), lr };
    }
  }
}
