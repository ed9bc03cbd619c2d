/** `torch.nn.utils` for minigrad: gradient clipping and parameters as one vector. */
export { clipGradNorm_, clipGradValue_, type ClipGradNormOptions, type TensorOrTensors } from "./clip-grad";
export { parametersToVector, vectorToParameters } from "./convert-parameters";
