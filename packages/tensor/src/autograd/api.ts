/**
 * The `autograd` namespace (torch.autograd): gradients with respect to chosen tensors,
 * without touching any `.grad`.
 */
export { grad, type GradOptions } from "./grad";
export * as functional from "./functional";
export type { FunctionalOptions } from "./functional";
export { detectAnomaly, isAnomalyEnabled } from "./anomaly";
