import type { Tensor } from "@minigrad/tensor";
import {
  Adagrad, Adam, AdamW, RMSprop, SGD, type AdagradOptions, type AdamOptions, type AdamWOptions, type Optimizer,
  type RMSpropOptions, type SGDOptions,
} from "@minigrad/optim";
import {
  Adadelta, Adamax, NAdam, RAdam, type AdadeltaOptions, type AdamaxOptions, type NAdamOptions, type RAdamOptions,
} from "@minigrad/optim";
import { ASGD, Rprop, type ASGDOptions, type RpropOptions } from "@minigrad/optim";
import { TORCH_RMSPROP_CONFIGS } from "./models";

/**
 * One row per optimizer: everything optimizer-battery.test.ts needs to run torch's
 * optimizer test battery (torch-semantics.md §4) on it. Adding an optimizer to the battery
 * is adding a row here.
 */
export interface OptimizerEntry {
  name: string;
  /** Build one; `options` are the entry's `baseOptions` merged with a config (or a bad option set as is). */
  make: (params: Iterable<Tensor> | Iterable<GroupInput>, options: Options) => Optimizer<object>;
  /** Merged into every config (SGD's lr, which torch 1.13 requires). */
  baseOptions: Options;
  /** torch's defaults, in torch's key order (minigrad's camelCase names). */
  defaults: [string, unknown][];
  /** torch's `optim_inputs_func_<name>` (CPU), the configs every battery test runs with. */
  configs: Options[];
  /** The state keys, in order, of a parameter after one step in a group with these (resolved) options. */
  stateKeys: (group: Options) => string[];
  /** Options that must throw, with torch's message (used as given, not merged with baseOptions). */
  badOptions: [Options, string][];
  /** Whether the state holds a `step` count. */
  hasStep: boolean;
  /** State is created by the constructor for every parameter (Adagrad), not lazily. */
  eagerState?: boolean;
  /** Options whose flags a checkpoint from an older torch may lack (test_can_load_older_state_dict). */
  newerFlags: string[];
  /** Outer options of test_param_groups_lr besides lr 1e-28 (torch gives Rprop step_sizes (0, 50)). */
  lrTestOptions?: Options;
  /** Options that make a zero grad a no-op (test_step_is_noop_for_zero_grads): ASGD's decay term moves θ unless λ = 0. */
  zeroGradOptions?: Options;
}

export type Options = Record<string, unknown>;
export type GroupInput = Options & { params: Tensor[] };

// Each class's hooks are typed by its own `this`, so it is an Optimizer<object> only by a cast.
type Ctor<O> = new (params: never, options: O) => object;
const maker =
  <O>(C: Ctor<O>): OptimizerEntry["make"] =>
  (params, options) =>
    new C(params as never, options as O) as Optimizer<object>;

const adamStateKeys = (g: Options) => ["step", "expAvg", "expAvgSq", ...(g.amsgrad === true ? ["maxExpAvgSq"] : [])];

/** torch's optim_inputs_func_adam / _adamw (CPU). */
const ADAM_CONFIGS: Options[] = [
  {},
  { lr: 1e-2 },
  { weightDecay: 0.1 },
  { weightDecay: 0.1, maximize: true },
  { weightDecay: 0.1, amsgrad: true },
  { weightDecay: 0.1, amsgrad: true, maximize: true },
  { betas: [0.5, 0.9], eps: 1e-6 },
];

const adamBadOptions = (defaultsName: string): [Options, string][] => [
  [{ lr: -1 }, "Invalid learning rate: -1"],
  [{ lr: NaN }, "Invalid learning rate: NaN"],
  [{ eps: -1e-8 }, "Invalid epsilon value: -1e-8"],
  [{ betas: [1.5, 0.999] }, "Invalid beta parameter at index 0: 1.5"],
  [{ betas: [-0.1, 0.999] }, "Invalid beta parameter at index 0: -0.1"],
  [{ betas: [0.9, 1] }, "Invalid beta parameter at index 1: 1"],
  [{ weightDecay: -0.5 }, "Invalid weight_decay value: -0.5"],
  // torch's order: lr, eps, betas, weight_decay
  [{ lr: -1, eps: -1 }, "Invalid learning rate: -1"],
  [{ eps: -1, betas: [2, 2] }, "Invalid epsilon value: -1"],
  [{ betas: [0.9, 2], weightDecay: -1 }, "Invalid beta parameter at index 1: 2"],
  [{ weight_decay: 0.1 }, `${defaultsName} got an unexpected option 'weight_decay'`],
];

export const OPTIMIZERS: OptimizerEntry[] = [
  {
    name: "SGD",
    make: maker<SGDOptions>(SGD),
    baseOptions: { lr: 1e-2 },
    defaults: [
      ["lr", undefined], ["momentum", 0], ["dampening", 0], ["weightDecay", 0], ["nesterov", false],
      ["maximize", false], ["foreach", null], ["differentiable", false],
    ],
    configs: [
      {},
      { momentum: 0.9 },
      { momentum: 0.9, dampening: 0.5 },
      { momentum: 0.9, weightDecay: 0.1 },
      { momentum: 0.9, nesterov: true, weightDecay: 0.1 },
      { weightDecay: 0.1, maximize: true },
      { momentum: 0.9, maximize: true },
    ],
    stateKeys: () => ["momentumBuffer"],
    badOptions: [
      [{ lr: -1 }, "Invalid learning rate: -1"],
      [{ lr: 0.1, momentum: -1 }, "Invalid momentum value: -1"],
      [{ lr: 0.1, weightDecay: -0.5 }, "Invalid weight_decay value: -0.5"],
      [{ lr: 0.1, nesterov: true }, "Nesterov momentum requires a momentum and zero dampening"],
      [{ lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }, "Nesterov momentum requires a momentum and zero dampening"],
      [{}, "parameter group didn't specify a value of required optimization parameter lr"],
      // torch's order: lr, momentum, weight_decay, then nesterov
      [{ lr: -1, momentum: -1 }, "Invalid learning rate: -1"],
      [{ momentum: -1, weightDecay: -1 }, "Invalid momentum value: -1"],
      [{ weightDecay: -1, nesterov: true }, "Invalid weight_decay value: -1"],
      [{ lr: 0.1, weight_decay: 0.1 }, "SGD got an unexpected option 'weight_decay'"],
    ],
    hasStep: false,
    newerFlags: ["nesterov", "maximize", "foreach", "differentiable"],
  },
  {
    name: "Adam",
    make: maker<AdamOptions>(Adam),
    baseOptions: {},
    defaults: [
      ["lr", 1e-3], ["betas", [0.9, 0.999]], ["eps", 1e-8], ["weightDecay", 0], ["amsgrad", false], ["maximize", false],
      ["foreach", null], ["capturable", false], ["differentiable", false], ["fused", false],
    ],
    configs: ADAM_CONFIGS,
    stateKeys: adamStateKeys,
    badOptions: adamBadOptions("Adam"),
    hasStep: true,
    newerFlags: ["amsgrad", "maximize", "foreach", "capturable", "differentiable", "fused"],
  },
  {
    name: "AdamW",
    make: maker<AdamWOptions>(AdamW),
    baseOptions: {},
    defaults: [
      ["lr", 1e-3], ["betas", [0.9, 0.999]], ["eps", 1e-8], ["weightDecay", 1e-2], ["amsgrad", false], ["foreach", null],
      ["maximize", false], ["capturable", false],
    ],
    configs: [...ADAM_CONFIGS, { weightDecay: 0 }],
    stateKeys: adamStateKeys,
    badOptions: adamBadOptions("AdamW"),
    hasStep: true,
    newerFlags: ["amsgrad", "maximize", "foreach", "capturable"],
  },
  {
    name: "Adagrad",
    make: maker<AdagradOptions>(Adagrad),
    baseOptions: {},
    defaults: [
      ["lr", 1e-2], ["lrDecay", 0], ["eps", 1e-10], ["weightDecay", 0], ["initialAccumulatorValue", 0], ["foreach", null],
      ["maximize", false],
    ],
    configs: [
      {},
      { weightDecay: 0.1 },
      { weightDecay: 0.1, maximize: true },
      { lr: 0.1 },
      { initialAccumulatorValue: 0.1, weightDecay: 0.1 },
      { lr: 0.1, lrDecay: 0.5, weightDecay: 0.1 },
    ],
    stateKeys: () => ["step", "sum"],
    badOptions: [
      [{ lr: -1 }, "Invalid learning rate: -1"],
      [{ lrDecay: -0.5 }, "Invalid lr_decay value: -0.5"],
      [{ weightDecay: -0.5 }, "Invalid weight_decay value: -0.5"],
      [{ initialAccumulatorValue: -1 }, "Invalid initial_accumulator_value value: -1"],
      [{ eps: -1e-10 }, "Invalid epsilon value: -1e-10"],
      // torch's order: lr, lr_decay, weight_decay, initial_accumulator_value, eps
      [{ lr: -1, lrDecay: -1 }, "Invalid learning rate: -1"],
      [{ lrDecay: -1, weightDecay: -1 }, "Invalid lr_decay value: -1"],
      [{ weightDecay: -1, initialAccumulatorValue: -1 }, "Invalid weight_decay value: -1"],
      [{ initialAccumulatorValue: -1, eps: -1 }, "Invalid initial_accumulator_value value: -1"],
      [{ lr_decay: 0.1 }, "Adagrad got an unexpected option 'lr_decay'"],
    ],
    hasStep: true,
    eagerState: true,
    newerFlags: ["foreach", "maximize"],
  },
  {
    name: "RMSprop",
    make: maker<RMSpropOptions>(RMSprop),
    baseOptions: {},
    defaults: [
      ["lr", 0.01], ["momentum", 0], ["alpha", 0.99], ["eps", 1e-8], ["centered", false], ["weightDecay", 0],
      ["foreach", null], ["maximize", false], ["differentiable", false],
    ],
    configs: TORCH_RMSPROP_CONFIGS,
    stateKeys: (g) => [
      "step", "squareAvg", ...((g.momentum as number) > 0 ? ["momentumBuffer"] : []), ...(g.centered === true ? ["gradAvg"] : []),
    ],
    badOptions: [
      [{ lr: -1 }, "Invalid learning rate: -1"],
      [{ eps: -1e-8 }, "Invalid epsilon value: -1e-8"],
      [{ momentum: -1 }, "Invalid momentum value: -1"],
      [{ weightDecay: -0.5 }, "Invalid weight_decay value: -0.5"],
      [{ alpha: -0.1 }, "Invalid alpha value: -0.1"],
      [{ alpha: -1, momentum: -1 }, "Invalid momentum value: -1"],
    ],
    hasStep: true,
    newerFlags: ["foreach", "maximize", "differentiable"],
  },
  {
    name: "Adamax",
    make: maker<AdamaxOptions>(Adamax),
    baseOptions: {},
    defaults: [["lr", 2e-3], ["betas", [0.9, 0.999]], ["eps", 1e-8], ["weightDecay", 0], ["foreach", null], ["maximize", false]],
    // torch's optim_inputs_func_adamax (CPU)
    configs: [{}, { lr: 0.1 }, { weightDecay: 0.1 }, { weightDecay: 0.1, maximize: true }],
    stateKeys: () => ["step", "expAvg", "expInf"],
    badOptions: [
      ...adamBadOptions("Adamax"),
      [{ lr: 1e-2, betas: [0, 1] }, "Invalid beta parameter at index 1: 1"],
    ],
    hasStep: true,
    newerFlags: ["foreach", "maximize"],
  },
  {
    name: "NAdam",
    make: maker<NAdamOptions>(NAdam),
    baseOptions: {},
    defaults: [
      ["lr", 2e-3], ["betas", [0.9, 0.999]], ["eps", 1e-8], ["weightDecay", 0], ["momentumDecay", 4e-3], ["foreach", null],
    ],
    // torch's optim_inputs_func_nadam (CPU), without decoupled_weight_decay (2.1)
    configs: [{}, { lr: 1e-3 }, { momentumDecay: 6e-3 }, { weightDecay: 0.1, momentumDecay: 6e-3 }],
    stateKeys: () => ["step", "muProduct", "expAvg", "expAvgSq"],
    badOptions: [
      ...adamBadOptions("NAdam"),
      [{ lr: 1e-2, momentumDecay: -0.2 }, "Invalid momentum_decay value: -0.2"],
      // torch's order: ..., weight_decay, then momentum_decay
      [{ weightDecay: -1, momentumDecay: -1 }, "Invalid weight_decay value: -1"],
      [{ maximize: true }, "NAdam got an unexpected option 'maximize'"], // 1.13's NAdam has none
    ],
    hasStep: true,
    newerFlags: ["foreach"],
  },
  {
    name: "RAdam",
    make: maker<RAdamOptions>(RAdam),
    baseOptions: {},
    defaults: [["lr", 1e-3], ["betas", [0.9, 0.999]], ["eps", 1e-8], ["weightDecay", 0], ["foreach", null]],
    // torch's optim_inputs_func_radam (CPU), without decoupled_weight_decay (2.1)
    configs: [{}, { lr: 2e-3 }, { eps: 1e-6 }, { weightDecay: 0.1 }],
    stateKeys: () => ["step", "expAvg", "expAvgSq"],
    badOptions: [
      ...adamBadOptions("RAdam"),
      [{ lr: 1e-2, weightDecay: -1 }, "Invalid weight_decay value: -1"],
      [{ maximize: true }, "RAdam got an unexpected option 'maximize'"], // 1.13's RAdam has none
    ],
    hasStep: true,
    newerFlags: ["foreach"],
  },
  {
    name: "Adadelta",
    make: maker<AdadeltaOptions>(Adadelta),
    baseOptions: {},
    defaults: [["lr", 1.0], ["rho", 0.9], ["eps", 1e-6], ["weightDecay", 0], ["maximize", false], ["foreach", null]],
    // torch's optim_inputs_func_adadelta (CPU)
    configs: [{}, { lr: 0.01 }, { weightDecay: 0.1 }, { weightDecay: 0.1, maximize: true }, { rho: 0.95, weightDecay: 0.9 }],
    stateKeys: () => ["step", "squareAvg", "accDelta"],
    badOptions: [
      [{ lr: -1 }, "Invalid learning rate: -1"],
      [{ lr: 1e-2, rho: 1.1 }, "Invalid rho value: 1.1"],
      [{ rho: -0.1 }, "Invalid rho value: -0.1"],
      [{ rho: NaN }, "Invalid rho value: NaN"],
      [{ eps: -1 }, "Invalid epsilon value: -1"],
      [{ weightDecay: -0.5 }, "Invalid weight_decay value: -0.5"],
      // torch's order: lr, rho, eps, weight_decay
      [{ lr: -1, rho: 2 }, "Invalid learning rate: -1"],
      [{ rho: 2, eps: -1 }, "Invalid rho value: 2"],
      [{ eps: -1, weightDecay: -1 }, "Invalid epsilon value: -1"],
      [{ weight_decay: 0.1 }, "Adadelta got an unexpected option 'weight_decay'"],
    ],
    hasStep: true,
    newerFlags: ["foreach", "maximize"],
  },
  {
    name: "Rprop",
    make: maker<RpropOptions>(Rprop),
    baseOptions: {},
    defaults: [["lr", 1e-2], ["etas", [0.5, 1.2]], ["stepSizes", [1e-6, 50]], ["foreach", null], ["maximize", false]],
    // torch's optim_inputs_func_rprop (CPU)
    configs: [{}, { lr: 2e-4 }, { etas: [0.5, 1.5] }, { stepSizes: [2e-6, 100] }, { maximize: true }],
    stateKeys: () => ["step", "prev", "stepSize"],
    badOptions: [
      [{ lr: -1 }, "Invalid learning rate: -1"],
      [{ lr: 1e-2, etas: [1.0, 0.5] }, "Invalid eta values: 1, 0.5"],
      [{ etas: [0, 1.2] }, "Invalid eta values: 0, 1.2"],
      [{ etas: [0.5, 1] }, "Invalid eta values: 0.5, 1"],
      [{ etas: [0.5, NaN] }, "Invalid eta values: 0.5, NaN"],
      // torch's order: lr, then etas
      [{ lr: -1, etas: [2, 0.5] }, "Invalid learning rate: -1"],
      [{ step_sizes: [0, 1] }, "Rprop got an unexpected option 'step_sizes'"],
    ],
    hasStep: true,
    newerFlags: ["foreach", "maximize"],
    lrTestOptions: { stepSizes: [0, 50] },
  },
  {
    name: "ASGD",
    make: maker<ASGDOptions>(ASGD),
    baseOptions: {},
    defaults: [
      ["lr", 1e-2], ["lambd", 1e-4], ["alpha", 0.75], ["t0", 1e6], ["weightDecay", 0], ["foreach", null], ["maximize", false],
    ],
    // torch's optim_inputs_func_asgd (CPU)
    configs: [{}, { lambd: 0.1 }, { lr: 0.02 }, { t0: 100 }, { weightDecay: 0.1 }, { weightDecay: 0.1, maximize: true }],
    stateKeys: () => ["step", "eta", "mu", "ax"],
    badOptions: [
      [{ lr: -1 }, "Invalid learning rate: -1"],
      [{ lr: 1e-2, weightDecay: -0.5 }, "Invalid weight_decay value: -0.5"],
      // torch's order: lr, then weight_decay
      [{ lr: -1, weightDecay: -1 }, "Invalid learning rate: -1"],
      [{ weight_decay: 0.1 }, "ASGD got an unexpected option 'weight_decay'"],
    ],
    hasStep: true,
    newerFlags: ["foreach", "maximize"],
    zeroGradOptions: { lambd: 0 },
  },
];
