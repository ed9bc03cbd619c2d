/**
 * The optimizers and learning-rate schedules the examples can run, by command-line name.
 * Each entry builds the optimizer with a learning rate that suits the digits MLP (batch 32,
 * tens of epochs) and one that suits the Rosenbrock function (thousands of full steps);
 * `--lr` replaces either. LBFGS, which needs a closure, is kept apart: only Rosenbrock runs it.
 */
import {
  ASGD, Adadelta, Adagrad, Adam, AdamW, Adamax, LBFGS, NAdam, RAdam, RMSprop, Rprop, SGD, lrScheduler,
} from "@minigrad/optim";
import type { Tensor } from "@minigrad/tensor";

/**
 * What the examples use of an optimizer, whichever it is (the classes themselves differ in
 * their option types): zeroGrad, step, and what a scheduler reads and writes.
 */
export interface AnyOptimizer extends lrScheduler.SchedulerOptimizer {
  zeroGrad(): void;
  step(closure?: () => Tensor): unknown;
}

/** An optimizer the Rosenbrock example can run (every one, LBFGS too). */
export interface PathOptimizerEntry {
  /** How titles and tables name it, with the options other than lr. */
  label: string;
  /** The learning rate for the Rosenbrock function from (-1.5, 2). */
  rosenbrockLr: number;
  create: (params: Iterable<Tensor>, lr: number) => AnyOptimizer;
}

/** An optimizer the minibatch loops (digits, compare) can run. */
export interface OptimizerEntry extends PathOptimizerEntry {
  /** The learning rate for the digits MLP. */
  digitsLr: number;
  /**
   * A full-batch method (Rprop: its sign-based steps fight the noise of minibatch
   * gradients). `digits --optimizer` runs it; `compare` leaves it out unless named.
   */
  fullBatch?: true;
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
  adamax: {
    label: "Adamax",
    digitsLr: 2e-3,
    rosenbrockLr: 3e-2,
    create: (params, lr) => new Adamax(params, { lr }),
  },
  nadam: {
    label: "NAdam",
    digitsLr: 2e-3,
    rosenbrockLr: 1e-2,
    create: (params, lr) => new NAdam(params, { lr }),
  },
  radam: {
    label: "RAdam",
    digitsLr: 3e-3, // torch's 1e-3 starts slowly here (its warm-up): 0.90 test accuracy after 10 epochs
    rosenbrockLr: 1e-2,
    create: (params, lr) => new RAdam(params, { lr }),
  },
  adadelta: {
    label: "Adadelta",
    digitsLr: 1,
    rosenbrockLr: 1,
    create: (params, lr) => new Adadelta(params, { lr }),
  },
  rprop: {
    label: "Rprop",
    digitsLr: 1e-2,
    fullBatch: true,
    rosenbrockLr: 1e-2,
    create: (params, lr) => new Rprop(params, { lr }),
  },
  asgd: {
    label: "ASGD",
    digitsLr: 1e-1,
    rosenbrockLr: 1e-3,
    create: (params, lr) => new ASGD(params, { lr }),
  },
} satisfies Record<string, OptimizerEntry>;

export type OptimizerName = keyof typeof OPTIMIZERS;
export const OPTIMIZER_NAMES = Object.keys(OPTIMIZERS) as OptimizerName[];
/** The optimizers `compare` runs by default: all but the full-batch ones. */
export const MINIBATCH_NAMES = OPTIMIZER_NAMES.filter((name) => !(OPTIMIZERS[name] as OptimizerEntry).fullBatch);

export function isOptimizerName(name: string): name is OptimizerName {
  return Object.hasOwn(OPTIMIZERS, name);
}

/**
 * Optimizers whose step needs a closure that re-evaluates the loss, several times per step:
 * the Rosenbrock example runs them; the minibatch loops refuse them with `minibatchRefusal`.
 */
export const CLOSURE_OPTIMIZERS = {
  lbfgs: {
    label: "LBFGS strong Wolfe",
    rosenbrockLr: 1,
    // One quasi-Newton iteration (and its line search) per step, so the path shows each one;
    // the history carries over between steps, as in torch.
    create: (params, lr) => new LBFGS(params, { lr, maxIter: 1, maxEval: 25, lineSearchFn: "strong_wolfe" }),
  },
} satisfies Record<string, PathOptimizerEntry>;

export type ClosureOptimizerName = keyof typeof CLOSURE_OPTIMIZERS;
export const CLOSURE_OPTIMIZER_NAMES = Object.keys(CLOSURE_OPTIMIZERS) as ClosureOptimizerName[];

/** Every optimizer the Rosenbrock example can run, by name. */
export const PATH_OPTIMIZERS: Readonly<Record<OptimizerName | ClosureOptimizerName, PathOptimizerEntry>> = {
  ...OPTIMIZERS, ...CLOSURE_OPTIMIZERS,
};
export const PATH_OPTIMIZER_NAMES = [...OPTIMIZER_NAMES, ...CLOSURE_OPTIMIZER_NAMES];

export function isPathOptimizerName(name: string): name is OptimizerName | ClosureOptimizerName {
  return Object.hasOwn(PATH_OPTIMIZERS, name);
}

/** Why `digits` and `compare` refuse each closure optimizer (for their flag parser). */
export function minibatchRefusals(): Record<string, string> {
  return Object.fromEntries(
    CLOSURE_OPTIMIZER_NAMES.map((name) => [
      name,
      `${CLOSURE_OPTIMIZERS[name].label.split(" ")[0]} re-evaluates the loss several times per step through a closure ` +
        "over the full batch, which this minibatch loop does not have (the rosenbrock example runs it)",
    ]),
  );
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
  /** The scheduler behind it (null for none): its state goes into checkpoints. */
  scheduler: lrScheduler.LRScheduler | null;
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
      return { label: "", afterBatch: none, afterEpoch: none, lr, scheduler: null };
    case "cosine": {
      const s = new lrScheduler.CosineAnnealingLR(optimizer, { tMax: totalSteps });
      return { label: `CosineAnnealingLR(tMax ${totalSteps} steps)`, afterBatch: () => s.step(), afterEpoch: none, lr, scheduler: s };
    }
    case "onecycle": {
      const defaults = optimizer.defaults as { momentum?: unknown; betas?: unknown };
      const cycleMomentum = (typeof defaults.momentum === "number" && defaults.momentum > 0) || defaults.betas !== undefined;
      const maxLr = lr();
      const s = new lrScheduler.OneCycleLR(optimizer, { maxLr, totalSteps, cycleMomentum });
      const label = `OneCycleLR(maxLr ${maxLr}, totalSteps ${totalSteps})`;
      return { label, afterBatch: () => s.step(), afterEpoch: none, lr, scheduler: s };
    }
    case "step": {
      const stepSize = Math.max(1, Math.ceil(run.epochs / 3));
      const s = new lrScheduler.StepLR(optimizer, { stepSize, gamma: 0.1 });
      const label = `StepLR(stepSize ${stepSize} epoch${stepSize === 1 ? "" : "s"}, gamma 0.1)`;
      return { label, afterBatch: none, afterEpoch: () => s.step(), lr, scheduler: s };
    }
  }
}
