export { Parameter } from "./parameter";
export { Module } from "./module";
export { RemovableHandle, type ForwardHook, type ForwardPreHook } from "./hooks";
export { type FullBackwardHook } from "./backward-hooks";
export type { LoadStateDictResult } from "./state-dict";
export { Linear, type LinearOptions } from "./layers/linear";
export { Sequential } from "./layers/sequential";
export { ModuleList } from "./layers/module-list";
export { ModuleContainer } from "./layers/container";
export { ReLU, Tanh, Sigmoid, GELU } from "./layers/activations";
export { Dropout } from "./layers/dropout";
export { Flatten } from "./layers/flatten";
export { Embedding, type EmbeddingLayerOptions } from "./layers/embedding";
export { LayerNorm, type LayerNormOptions } from "./layers/layer-norm";
export { RNNBase, RNN, LSTM, GRU, type RNNBaseOptions, type RNNOptions } from "./layers/rnn";
export { RNNCellBase, RNNCell, LSTMCell, GRUCell, type RNNCellBaseOptions, type RNNCellOptions } from "./layers/rnn-cell";
export {
  MSELoss,
  CrossEntropyLoss,
  NLLLoss,
  BCEWithLogitsLoss,
  type CrossEntropyLossOptions,
  type NLLLossOptions,
  type BCEWithLogitsLossOptions,
} from "./layers/losses";
export * as functional from "./functional/index";
export * as init from "./init";
export type { Reduction } from "./functional/util";
export * as utils from "./utils/index";
export {
  serialize,
  deserialize,
  safetensorsHeader,
  decodeTensor,
  selectKeys as safetensorsKeys,
  type NamedTensors,
  type SerializeOptions,
  type DeserializeOptions,
} from "./io/safetensors";
export { SafetensorsError, SAFETENSORS_ERROR_CODES, type SafetensorsErrorCode } from "./io/errors";
export type { SafetensorsDType } from "./io/dtypes";
export {
  headerLength as safetensorsHeaderLength,
  parseHeader as parseSafetensorsHeader,
  MAX_HEADER_BYTES,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
} from "./io/header";
export {
  serializeCheckpoint,
  deserializeCheckpoint,
  type CheckpointState,
  type CheckpointTargets,
  type LoadedCheckpoint,
  type ModuleLike,
  type StatefulLike,
} from "./io/checkpoint";
export { BatchNormBase, BatchNorm1d, BatchNorm2d, BatchNorm3d, type BatchNormLayerOptions } from "./layers/batch-norm";
export { GroupNorm, type GroupNormOptions } from "./layers/group-norm";
export {
  LeakyReLU, ELU, SiLU, Softplus, Mish, Hardtanh, Softmax, LogSoftmax, Identity,
} from "./layers/activations-extra";
export { ModuleDict } from "./layers/module-dict";
export { ParameterList } from "./layers/parameter-list";
export { Dropout2d } from "./layers/dropout2d";
export { L1Loss, SmoothL1Loss, HuberLoss, BCELoss, KLDivLoss } from "./layers/losses-extra";
export {
  Conv1d, Conv2d, ConvTranspose2d, type ConvLayerOptions, type ConvTransposeLayerOptions, type PaddingMode,
} from "./layers/conv";
export {
  MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool2d,
  type MaxPoolLayerOptions, type MaxPoolResult, type AvgPoolLayerOptions, type AvgPool2dLayerOptions,
} from "./layers/pooling";
export { Unfold, Fold } from "./layers/unfold";
export { Upsample } from "./layers/upsample";
export {
  MultiheadAttention, NonDynamicallyQuantizableLinear,
  type MultiheadAttentionOptions, type MultiheadAttentionForwardOptions,
} from "./layers/multihead-attention";
export {
  TransformerEncoderLayer,
  type TransformerEncoderLayerOptions, type TransformerEncoderLayerForwardOptions, type TransformerActivation,
} from "./layers/transformer";
