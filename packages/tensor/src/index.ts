export { Tensor, TensorBase, type NestedArray, type RemovableHook } from "./tensor";
export { type DType, type TypedArray, type FloatArray, promoteTypes, isFloating } from "./dtype";
export {
  tensor, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye, rand, randn, randint,
  type TensorOptions, type TensorDataOptions, type RandomOptions, type NestedData,
} from "./creation";
export { cat, stack } from "./ops/movement";
export { gather, scatterAdd } from "./ops/gather";
export { flip, roll, repeat, chunk, split, maskedFill } from "./ops/rearrange";
export { where } from "./ops/elementwise";
export { addmm, mm } from "./ops/matmul";
/** One recurrent layer over a whole sequence (what nn's RNN, LSTM and GRU run per layer and direction). */
export { recurrentLayer, type RecurrentMode } from "./ops/recurrent";
/** Parametrised activations (torch.nn.functional's), as primitives: nn's layers call these. */
export { leakyRelu, elu, softplus, hardtanh, silu, mish } from "./ops/activations";
/** Tensor lifetimes: dispose large tensors deterministically instead of waiting for the GC. */
export { tidy, keep, memoryStats, setArenaLimit } from "./memory";
export { noGrad, enableGrad, isGradEnabled } from "./autograd/grad-mode";
export { Node, AccumulateGrad, twice, type BackwardFn, type GradHook } from "./autograd/node";
/** torch.autograd: `autograd.grad(outputs, inputs, options)`. */
export * as autograd from "./autograd/api";
export { record } from "./autograd/record";
export { exportGraph, type ExportGraphOptions } from "./autograd/export-graph";
export { manualSeed, Generator, defaultGenerator, type GeneratorState } from "./random";
export { gradcheck, gradgradcheck, type GradcheckOptions } from "./gradcheck";
export { toNdarray, fromNdarray } from "./ndarray";
export { TensorError, ShapeError, DTypeError, ArgumentError, AutogradError } from "./errors";
export { erf } from "./math/erf";
/** The strided odometer every kernel walks with: for packages that write their own fused loops (optim). */
export { forEachRow, type View } from "./kernels/iterate";
/**
 * Large float32 matmuls, elementwise ops and fused kernels (optimizer updates) use two cores in
 * Node (a worker over shared wasm memory); 1 turns that off, null restores the default.
 */
export { setMatmulThreads } from "./kernels/wasm/threads";
/**
 * Fused kernels for packages that bring their own WebAssembly SIMD loop (optim's updates):
 * described once, run in place on the arena, through copies, or as the TypeScript reference,
 * and shared with the worker thread for long runs.
 */
export { fusedKernel, FusedKernel, type FusedKernelSpec, type FusedReference } from "./kernels/wasm/fused";
export { WasmModule } from "./kernels/wasm/module";
/** Row kernels for layers that fuse softmax into their own primitive (nn's cross entropy). */
export {
  softmaxRow, softmaxRows, logSoftmaxGradRows, softmaxScratch, torchFloat32Sum, type SoftmaxScratch,
} from "./kernels/softmax";
/**
 * Sliding-window primitives (what nn's convolutions, pools, F.pad, F.unfold and Upsample run):
 * im2col / col2im (each the other's backward), max pooling with indices, average pooling over
 * given windows, padding in torch's four modes, and the index-map gather under padding and
 * nearest upsampling.
 */
export { im2col, col2im, slidingBlocks, type SlidingWindow2d } from "./ops/unfold";
export { maxPool2dWithIndices, avgPool2d, type MaxPoolWindow2d, type PoolWindows } from "./ops/pool";
export { pad, type PadMode } from "./ops/pad";
export { remap } from "./ops/remap";
