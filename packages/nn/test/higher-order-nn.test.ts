import { describe, expect, it } from "vitest";
import { autograd, gradgradcheck, randn, tensor } from "@minigrad/tensor";
import { functional as F } from "@minigrad/nn";

describe("second derivatives through nn's fused primitives (createGraph)", () => {
  it("crossEntropy against torch 1.13 (class weights and label smoothing)", () => {
    // x = [[0.2,-1,0.5],[1.5,0.3,-0.7],[0,0.4,0.9]] (float64), t = [0,2,1], weight = [0.5,1,2], label_smoothing = 0.1
    // g, = grad(F.cross_entropy(x, t, weight, label_smoothing=0.1), x, create_graph=True); h, = grad((g * W).sum(), x)
    const x = tensor([[0.2, -1, 0.5], [1.5, 0.3, -0.7], [0, 0.4, 0.9]], { dtype: "float64", requiresGrad: true });
    const t = tensor([0, 2, 1], { dtype: "int32" });
    const W = tensor([[1, -2, 0.5], [0.3, 0.7, -1], [2, 0, 1]], { dtype: "float64" });
    const weight = tensor([0.5, 1, 2], { dtype: "float64" });
    const [g] = autograd.grad(F.crossEntropy(x, t, { weight, labelSmoothing: 0.1 }), x, { createGraph: true });
    const [h] = autograd.grad(g!.mul(W).sum(), x);
    const torchG = [[-0.07226146464018357, 0.008870683837229216, 0.06339078080295435], [0.3830710042417243, 0.10728921785715533, -0.4903602220988797], [0.0539032321830471, -0.17914856648168018, 0.12524533429863308]];
    const torchH = [[0.03636392003469391, -0.04423087784622825, 0.00786695781153434], [0.006472982064142835, 0.048674835683917256, -0.05514781774806008], [0.06449233757357978, -0.07882493836908869, 0.014332600795508918]];
    (g!.toArray() as number[][]).flat().forEach((v, i) => expect(v).toBeCloseTo(torchG.flat()[i], 12));
    (h!.toArray() as number[][]).flat().forEach((v, i) => expect(v).toBeCloseTo(torchH.flat()[i], 12));
  });

  it("crossEntropy passes gradgradcheck for every reduction, ignoreIndex, extra dims and one sample", () => {
    const t = tensor([0, 2, 1], { dtype: "int32" });
    for (const options of [{}, { reduction: "sum" as const }, { reduction: "none" as const }, { ignoreIndex: 2 }]) {
      expect(gradgradcheck((a) => F.crossEntropy(a, t, options), [randn([3, 3], { dtype: "float64", requiresGrad: true })])).toBe(true);
    }
    const t2 = tensor([[0, 1], [2, 0]], { dtype: "int32" });
    expect(gradgradcheck((a) => F.crossEntropy(a, t2), [randn([2, 3, 2], { dtype: "float64", requiresGrad: true })])).toBe(true);
    const one = tensor(2, { dtype: "int32" });
    expect(gradgradcheck((a) => F.crossEntropy(a, one, { reduction: "none" }), [randn([4], { dtype: "float64", requiresGrad: true })])).toBe(true);
  });

  it("linear (addmm) passes gradgradcheck with respect to the input, the weight and the bias", () => {
    const x = randn([3, 4], { dtype: "float64", requiresGrad: true });
    const w = randn([2, 4], { dtype: "float64", requiresGrad: true });
    const b = randn([2], { dtype: "float64", requiresGrad: true });
    expect(gradgradcheck((a, ww, bb) => F.linear(a, ww, bb).tanh(), [x, w, b])).toBe(true);
  });

  it("embedding passes gradgradcheck (the weight's second derivative through a product), padding rows excluded", () => {
    const idx = tensor([[0, 2], [2, 3]], { dtype: "int32" });
    const w = randn([4, 3], { dtype: "float64", requiresGrad: true });
    expect(gradgradcheck((ww) => F.embedding(idx, ww).pow(3).sum(), [w])).toBe(true);
    expect(gradgradcheck((ww) => F.embedding(idx, ww, { paddingIdx: 2 }).pow(3).sum(), [w])).toBe(true);
  });

  it("layerNorm (a composite) passes gradgradcheck", () => {
    const x = randn([2, 4], { dtype: "float64", requiresGrad: true });
    const w = randn([4], { dtype: "float64", requiresGrad: true });
    expect(gradgradcheck((a, ww) => F.layerNorm(a, 4, ww), [x, w])).toBe(true);
  });

  it("nllLoss (after logSoftmax) passes gradgradcheck for every reduction, weights and ignoreIndex", () => {
    const t = tensor([0, 2, 1], { dtype: "int32" });
    const weight = tensor([0.5, 1, 2], { dtype: "float64" });
    for (const options of [{}, { reduction: "sum" as const }, { reduction: "none" as const }, { weight, ignoreIndex: 1 }]) {
      const x = randn([3, 3], { dtype: "float64", requiresGrad: true });
      expect(gradgradcheck((a) => F.nllLoss(a.logSoftmax(1), t, options), [x])).toBe(true);
    }
  });

  it("batchNorm (training and eval, with and without affine) passes gradgradcheck", () => {
    const x = randn([4, 3, 2], { dtype: "float64", requiresGrad: true });
    const w = randn([3], { dtype: "float64", requiresGrad: true });
    const b = randn([3], { dtype: "float64", requiresGrad: true });
    const rm = () => tensor([0.1, -0.2, 0.3], { dtype: "float64" });
    const rv = () => tensor([1.5, 0.5, 2], { dtype: "float64" });
    // the running statistics change in training: fresh ones for every call of the function
    expect(gradgradcheck((a, ww, bb) => F.batchNorm(a, rm(), rv(), { weight: ww, bias: bb, training: true }).pow(2), [x, w, b])).toBe(true);
    expect(gradgradcheck((a) => F.batchNorm(a, null, null, { training: true }).pow(3), [x])).toBe(true);
    expect(gradgradcheck((a, ww) => F.batchNorm(a, rm(), rv(), { weight: ww, training: false }).pow(3), [x, w])).toBe(true);
  });

  it("crossEntropy with class probabilities passes gradgradcheck (input and target, weights, smoothing)", () => {
    const y = randn([3, 4], { dtype: "float64" }).softmax(1).detach().requiresGrad_(true);
    const weight = tensor([0.5, 1, 2, 1.5], { dtype: "float64" });
    for (const options of [{}, { reduction: "none" as const }, { weight, labelSmoothing: 0.2, reduction: "sum" as const }]) {
      const x = randn([3, 4], { dtype: "float64", requiresGrad: true });
      expect(gradgradcheck((a, t) => F.crossEntropy(a, t, options), [x, y])).toBe(true);
    }
  });

  it("binaryCrossEntropy passes gradgradcheck (input and target, weights, every reduction)", () => {
    const weight = tensor([0.5, 2, 1], { dtype: "float64" });
    for (const options of [{}, { reduction: "none" as const }, { weight, reduction: "sum" as const }]) {
      const x = randn([2, 3], { dtype: "float64" }).sigmoid().detach().requiresGrad_(true);
      const t = randn([2, 3], { dtype: "float64" }).sigmoid().detach().requiresGrad_(true);
      expect(gradgradcheck((a, b) => F.binaryCrossEntropy(a, b, options), [x, t])).toBe(true);
    }
  });
});
