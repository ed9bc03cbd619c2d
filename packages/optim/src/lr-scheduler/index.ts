/**
 * `torch.optim.lr_scheduler` for minigrad: every scheduler of torch 1.13, with torch's
 * options, state keys and warnings in camelCase (`T_max` → `tMax`, `eta_min` → `etaMin`).
 * Call `optimizer.step()` before `scheduler.step()`.
 */
export {
  LRScheduler, type BaseSchedulerOptions, type SchedulerOptimizer, type SchedulerGroup,
} from "./base";
export { type SchedulerStateDict, type SchedulerStateValue } from "./state";
export { LambdaLR, MultiplicativeLR, type LambdaLROptions, type LrLambda } from "./lambda";
export {
  StepLR, MultiStepLR, ExponentialLR, type StepLROptions, type MultiStepLROptions, type ExponentialLROptions,
} from "./step";
export {
  ConstantLR, LinearLR, PolynomialLR, type ConstantLROptions, type LinearLROptions, type PolynomialLROptions,
} from "./factor";
export {
  CosineAnnealingLR, CosineAnnealingWarmRestarts, type CosineAnnealingLROptions,
  type CosineAnnealingWarmRestartsOptions,
} from "./cosine";
export { SequentialLR, ChainedScheduler, type SequentialLROptions } from "./compose";
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from "./plateau";
export { CyclicLR, type CyclicLROptions } from "./cyclic";
export { OneCycleLR, type OneCycleLROptions } from "./one-cycle";
export {
  EPOCH_DEPRECATION_WARNING, STEP_ORDER_WARNING, STEP_OVERRIDDEN_WARNING, GET_LR_WARNING, resetWarnings,
} from "./warnings";
