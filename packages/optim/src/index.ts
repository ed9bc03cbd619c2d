export {
  Optimizer, registerOptimizerStepPreHook, registerOptimizerStepPostHook,
  type StepArgs, type StepPreHook, type StepPostHook, type StateDictPreHook, type StateDictPostHook,
  type LoadStateDictPreHook, type LoadStateDictPostHook, type HookOptions,
} from "./optimizer";
export {
  optionChecks, type ParamGroup, type ParamGroupInput, type Params, type OptimizerChecks, type OptionCheck,
  type OptionProblem,
} from "./param-groups";
export { type OptimizerStateDict, type PackedParamGroup, type StateEntry } from "./state-dict";
export { type RemovableHandle } from "./hooks";
export { OptimizerError } from "./errors";
export {
  RMSprop, RMSPROP_DEFAULTS, RMSPROP_CHECKS, type RMSpropOptions, type RMSpropGroupOptions, type RMSpropState,
} from "./rmsprop";
export { rmspropUpdate, type RMSpropHyperparameters, type RMSpropBuffers } from "./rmsprop-update";
export { fma32 } from "./fma";
export {
  SGD, SGD_DEFAULTS, SGD_CHECKS, sgdUpdate, type SGDOptions, type SGDGroupOptions, type SGDState,
  type SGDHyperparameters,
} from "./sgd";
export {
  Adam, ADAM_DEFAULTS, ADAM_CHECKS, adamUpdate, type AdamOptions, type AdamGroupOptions, type AdamState,
  type AdamBuffers, type AdamHyperparameters,
} from "./adam";
export { AdamW, ADAMW_DEFAULTS, ADAMW_CHECKS, adamwUpdate, type AdamWOptions, type AdamWGroupOptions } from "./adamw";
export {
  Adagrad, ADAGRAD_DEFAULTS, ADAGRAD_CHECKS, adagradUpdate, type AdagradOptions, type AdagradGroupOptions,
  type AdagradState, type AdagradHyperparameters,
} from "./adagrad";
export {
  Adamax, ADAMAX_DEFAULTS, ADAMAX_CHECKS, adamaxUpdate, type AdamaxOptions, type AdamaxGroupOptions, type AdamaxState,
  type AdamaxBuffers, type AdamaxHyperparameters,
} from "./adamax";
export {
  NAdam, NADAM_DEFAULTS, NADAM_CHECKS, nadamUpdate, type NAdamOptions, type NAdamGroupOptions, type NAdamState,
  type NAdamBuffers, type NAdamHyperparameters, type MuProductDtype,
} from "./nadam";
export {
  RAdam, RADAM_DEFAULTS, RADAM_CHECKS, radamUpdate, type RAdamOptions, type RAdamGroupOptions, type RAdamState,
  type RAdamBuffers, type RAdamHyperparameters,
} from "./radam";
export {
  Adadelta, ADADELTA_DEFAULTS, ADADELTA_CHECKS, adadeltaUpdate, type AdadeltaOptions, type AdadeltaGroupOptions,
  type AdadeltaState, type AdadeltaBuffers, type AdadeltaHyperparameters,
} from "./adadelta";
export {
  Rprop, RPROP_DEFAULTS, RPROP_CHECKS, rpropUpdate, type RpropOptions, type RpropGroupOptions, type RpropState,
  type RpropHyperparameters,
} from "./rprop";
export {
  ASGD, ASGD_DEFAULTS, ASGD_CHECKS, asgdUpdate, type ASGDOptions, type ASGDGroupOptions, type ASGDState,
  type ASGDHyperparameters,
} from "./asgd";
export {
  LBFGS, LBFGS_DEFAULTS, LBFGS_CHECKS, type LBFGSOptions, type LBFGSGroupOptions, type LBFGSState,
} from "./lbfgs";
export {
  stateDictToJSON, stateDictFromJSON, moduleStateDictFromJSON, type StateDictJSON, type ModuleStateDict,
  type ModuleStateDictJSON, type TensorJSON, type JSONValue, type SpecialNumber,
} from "./serialize";
export * as lrScheduler from "./lr-scheduler/index";
