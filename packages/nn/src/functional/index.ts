/**
 * `functional` (imported as `F`): the stateless form of every layer and loss, as
 * torch.nn.functional. Layers call these with their parameters.
 */
export { linear } from "./linear";
export { relu, gelu, sigmoid, tanh, softmax, logSoftmax, type GeluApproximation } from "./activations";
export { dropout, type DropoutOptions } from "./dropout";
export { layerNorm } from "./layer-norm";
export { embedding, type EmbeddingOptions } from "./embedding";
export { mseLoss, binaryCrossEntropyWithLogits, type MseLossOptions, type BceWithLogitsOptions } from "./losses";
export { crossEntropy, type CrossEntropyOptions } from "./cross-entropy";
export { nllLoss, type NllLossOptions } from "./nll-loss";
export type { Reduction } from "./util";
export { leakyRelu, elu, softplus, hardtanh, silu, mish } from "@minigrad/tensor";
export { dropout2d } from "./dropout2d";
export { batchNorm, type BatchNormOptions } from "./batch-norm";
export { groupNorm } from "./group-norm";
export {
  l1Loss, smoothL1Loss, huberLoss, klDiv, binaryCrossEntropy,
  type L1LossOptions, type SmoothL1LossOptions, type HuberLossOptions, type KLDivOptions, type KLDivReduction,
  type BinaryCrossEntropyOptions,
} from "./regression-losses";
export {
  conv1d, conv2d, convTranspose2d, type ConvOptions, type ConvTransposeOptions, type ConvPadding, type IntOrTuple,
} from "./conv";
export {
  maxPool1d, maxPool2d, avgPool1d, avgPool2d, adaptiveAvgPool2d,
  type MaxPoolOptions, type AvgPoolOptions, type AvgPool2dOptions, type AdaptiveSize,
} from "./pooling";
export { pad, type PadMode } from "./pad";
export { unfold, fold, type UnfoldOptions } from "./unfold";
export { interpolate, type InterpolateOptions, type InterpolateMode } from "./upsample";
export { scaledDotProductAttention, type ScaledDotProductAttentionOptions } from "./attention";
