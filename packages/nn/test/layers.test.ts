import { describe, expect, it } from "vitest";
import { Generator, Tensor, gradcheck, manualSeed, noGrad, ones, randn, tensor } from "@minigrad/tensor";
import {
  BCEWithLogitsLoss, CrossEntropyLoss, Dropout, Embedding, Flatten, GELU, LayerNorm, Linear, MSELoss, Module,
  ModuleList, NLLLoss, ReLU, Sequential, Sigmoid, Tanh, functional as F,
} from "@minigrad/nn";

/** Every layer: shapes, options, and gradcheck in float64 with respect to inputs and parameters. */

const f64 = { dtype: "float64" as const };

/**
 * gradcheck of a layer's forward with respect to the input (when float) and every parameter.
 * gradcheck hands the function fresh leaves, so they are swapped into the layer's fields for
 * the call. The output is weighted by fixed random numbers so every element counts distinctly.
 */
function gradcheckLayer(layer: Module & { forward(x: Tensor): Tensor }, input: Tensor): void {
  const params = [...layer.namedParameters()];
  gradcheck((x, ...leaves) => {
    params.forEach(([path], i) => setField(layer, path, leaves[i]));
    try {
      const y = layer.forward(x);
      return y.mul(randn(y.shape, { dtype: "float64", generator: new Generator(7) })).sum();
    } finally {
      params.forEach(([path, p]) => setField(layer, path, p));
    }
  }, [input.dtype === "float64" ? input.requiresGrad_() : input, ...params.map(([, p]) => p)]);
}

/** Assign the field at a dotted path (`0.weight`) of a module tree. */
function setField(root: Module, path: string, value: Tensor): void {
  const parts = path.split(".");
  const last = parts.pop() as string;
  let node = root as unknown as Record<string, unknown>;
  for (const key of parts) node = node[key] as Record<string, unknown>;
  node[last] = value;
}

describe("gradcheck (float64) for every layer", () => {
  it("Linear, with and without bias, on batched and 1-D inputs", () => {
    gradcheckLayer(new Linear(3, 2, f64), randn([4, 3], f64));
    gradcheckLayer(new Linear(3, 2, { ...f64, bias: false }), randn([2, 2, 3], f64));
    gradcheckLayer(new Linear(3, 2, f64), randn([3], f64));
  });

  it("activations", () => {
    for (const layer of [new ReLU(), new Tanh(), new Sigmoid(), new GELU(), new GELU({ approximate: "tanh" })]) {
      gradcheckLayer(layer, tensor([-2.1, -0.7, 0.3, 1.4, 2.9], f64));
    }
  });

  it("LayerNorm over one and two dims, with and without affine parameters", () => {
    const ln = new LayerNorm(4, f64);
    noGrad(() => {
      (ln.weight as Tensor).copy_(randn([4], f64));
      (ln.bias as Tensor).copy_(randn([4], f64));
    });
    gradcheckLayer(ln, randn([3, 4], f64));
    gradcheckLayer(new LayerNorm([2, 3], { ...f64, elementwiseAffine: false }), randn([2, 2, 3], f64));
  });

  it("Embedding (with respect to the weight), with repeated indices", () => {
    // Not with a padding index: its row deliberately gets no gradient (tested below).
    gradcheckLayer(new Embedding(5, 3, f64), tensor([[0, 4, 4], [2, 0, 4]], { dtype: "int32" }));
  });

  it("Dropout with a fixed mask, Flatten and Sequential", () => {
    gradcheck((x) => F.dropout(x, { p: 0.4, generator: new Generator(3) }).sum(), [randn([4, 5], f64).requiresGrad_()]);
    gradcheckLayer(new Flatten(), randn([2, 3, 2], f64));
    gradcheckLayer(new Sequential(new Linear(3, 4, f64), new Tanh(), new Linear(4, 2, f64)), randn([5, 3], f64));
  });

  it("losses, with respect to the input (and the target where it is differentiable)", () => {
    const logits = randn([4, 3], f64).requiresGrad_();
    const classes = tensor([2, 0, -100, 1], { dtype: "int32" });
    const weight = tensor([0.3, 1, 2], f64);
    const ce = new CrossEntropyLoss({ weight, labelSmoothing: 0.15 });
    gradcheck((x) => ce.forward(x, classes), [logits]);
    gradcheck((x) => new CrossEntropyLoss({ reduction: "none" }).forward(x, classes), [logits]);
    const nll = new NLLLoss({ weight, reduction: "sum" });
    gradcheck((x) => nll.forward(x, classes), [logits]);
    const probs = randn([4, 3], f64).softmax(1).requiresGrad_();
    gradcheck((x, y) => F.crossEntropy(x, y, { labelSmoothing: 0.1 }), [logits, probs]);
    const targets = tensor([[0, 1, 0.5], [1, 0.2, 0]], f64).requiresGrad_();
    const bce = new BCEWithLogitsLoss({ posWeight: tensor([1, 2, 0.5], f64) });
    gradcheck((x, t) => bce.forward(x, t), [randn([2, 3], f64).requiresGrad_(), targets]);
    gradcheck((x, t) => new MSELoss({ reduction: "sum" }).forward(x, t), [randn([2, 3], f64).requiresGrad_(), targets]);
  });
});

describe("Linear", () => {
  it("has weight (out, in) and bias (out), in the asked dtype", () => {
    const fc = new Linear(5, 3, f64);
    expect(fc.weight.shape).toEqual([5, 3].reverse());
    expect(fc.bias?.shape).toEqual([3]);
    expect(fc.weight.dtype).toBe("float64");
    const noBias = new Linear(5, 3, { bias: false });
    expect(noBias.bias).toBeNull();
    expect([...noBias.namedParameters()].map(([n]) => n)).toEqual(["weight"]);
  });

  it("computes x W^T + b", () => {
    const fc = new Linear(2, 1);
    fc.loadStateDict({ weight: tensor([[2, -1]]), bias: tensor([0.5]) });
    expect(fc.forward(tensor([[1, 3], [4, 1]])).toArray()).toEqual([[-0.5], [7.5]]);
  });

  it("initialises the same way from the same seed", () => {
    manualSeed(11);
    const a = new Linear(4, 4).stateDict();
    manualSeed(11);
    const b = new Linear(4, 4).stateDict();
    expect(a.weight.toArray()).toEqual(b.weight.toArray());
    expect(a.bias.toArray()).toEqual(b.bias.toArray());
  });
});

describe("Dropout", () => {
  it("zeroes about p of the elements and scales the rest by 1 / (1 - p) in training", () => {
    const drop = new Dropout(0.25);
    const y = drop.forward(ones([100, 100])).toTypedArray();
    const zeros = y.filter((v) => v === 0).length;
    expect(zeros / y.length).toBeGreaterThan(0.23);
    expect(zeros / y.length).toBeLessThan(0.27);
    expect(y.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
  });

  it("is the identity after eval() and applies again after train()", () => {
    const model = new Sequential(new Linear(4, 4), new Dropout(0.5));
    const x = ones([8, 4]);
    model.eval();
    const fc = model[0] as Linear;
    const drop = model[1] as Dropout;
    expect(drop.training).toBe(false);
    expect(drop.forward(x)).toBe(x);
    expect(model.forward(x).toArray()).toEqual(fc.forward(x).toArray());
    model.train();
    expect(drop.forward(ones([64])).toTypedArray().some((v) => v === 0)).toBe(true);
  });

  it("draws the same mask from the same seed, and passes the mask to the gradient", () => {
    manualSeed(5);
    const a = F.dropout(ones([50]), 0.5).toTypedArray();
    manualSeed(5);
    const x = ones([50], { requiresGrad: true });
    const b = F.dropout(x, 0.5);
    expect(b.toTypedArray()).toEqual(a);
    b.sum().backward();
    expect(x.grad?.toTypedArray()).toEqual(a);
  });

  it("handles p = 0 and p = 1, and rejects p outside [0, 1]", () => {
    const x = randn([10]);
    expect(F.dropout(x, 0)).toBe(x);
    expect(F.dropout(x, 1).toTypedArray().every((v) => v === 0)).toBe(true);
    expect(() => new Dropout(1.5)).toThrow("dropout probability has to be between 0 and 1, but got 1.5");
    expect(() => F.dropout(x, -0.1)).toThrow("dropout probability has to be between 0 and 1, but got -0.1");
  });
});

describe("Embedding", () => {
  it("looks up rows and scatters the gradient back, adding repeated indices", () => {
    const emb = Embedding.fromPretrained(tensor([[0, 1], [2, 3], [4, 5]]), { freeze: false });
    const idx = tensor([[2, 0], [2, 2]], { dtype: "int32" });
    const y = emb.forward(idx);
    expect(y.toArray()).toEqual([[[4, 5], [0, 1]], [[4, 5], [4, 5]]]);
    y.mul(tensor([1, 10])).sum().backward();
    expect(emb.weight.grad?.toArray()).toEqual([[1, 10], [0, 0], [3, 30]]);
  });

  it("starts the padding row at zero and never updates its gradient", () => {
    const emb = new Embedding(4, 3, { paddingIdx: 1 });
    expect(emb.weight.select(0, 1).toArray()).toEqual([0, 0, 0]);
    emb.forward(tensor([1, 1, 2], { dtype: "int32" })).sum().backward();
    expect(emb.weight.grad?.toArray()).toEqual([[0, 0, 0], [0, 0, 0], [1, 1, 1], [0, 0, 0]]);
  });

  it("freezes pretrained weights by default and rejects bad indices", () => {
    const emb = Embedding.fromPretrained(ones([2, 2]));
    expect(emb.weight.requiresGrad).toBe(false);
    expect(() => emb.forward(tensor([2], { dtype: "int32" }))).toThrow("index out of range in self");
    expect(() => emb.forward(tensor([0]))).toThrow("expected int32 indices");
    expect(() => new Embedding(3, 2, { paddingIdx: 3 })).toThrow("Padding_idx must be within num_embeddings");
  });
});

describe("Sequential and ModuleList", () => {
  it("index, iterate and grow like Python lists", () => {
    const a = new Linear(1, 2);
    const b = new ReLU();
    const seq = new Sequential(a, b);
    expect(seq[0]).toBe(a);
    expect(seq.at(-1)).toBe(b);
    expect(seq.length).toBe(2);
    expect([...seq]).toEqual([a, b]);
    expect(() => seq.at(2)).toThrow("index 2 is out of range");
    seq.append(new Linear(2, 1));
    expect(seq.forward(ones([3, 1])).shape).toEqual([3, 1]);
    const list = new ModuleList([b]);
    list.insert(0, a);
    list.extend([new Tanh()]);
    expect([...list.namedChildren()].map(([n, m]) => `${n}:${m.constructor.name}`)).toEqual(["0:Linear", "1:ReLU", "2:Tanh"]);
    expect([...list.namedParameters()].map(([n]) => n)).toEqual(["0.weight", "0.bias"]);
  });

  it("runs a module repeated in a Sequential each time, but counts its parameters once", () => {
    const fc = new Linear(2, 2);
    const seq = new Sequential(fc, fc);
    expect([...seq.parameters()]).toHaveLength(2);
    const x = ones([1, 2]);
    expect(seq.forward(x).toArray()).toEqual(fc.forward(fc.forward(x)).toArray());
  });

  it("throws torch's message for a module without forward", () => {
    expect(() => new Sequential(new Module()).forward(ones([1]))).toThrow(
      'Module [Module] is missing the required "forward" function',
    );
  });
});

describe("losses as modules", () => {
  it("keep class weights as buffers in the state dict", () => {
    const ce = new CrossEntropyLoss({ weight: tensor([1, 2]) });
    expect(Object.keys(ce.stateDict())).toEqual(["weight"]);
    expect(Object.keys(new CrossEntropyLoss().stateDict())).toEqual([]);
  });

  it("validate their options", () => {
    expect(() => new MSELoss({ reduction: "avg" as "mean" })).toThrow("avg is not a valid value for reduction");
    expect(() => F.crossEntropy(randn([2, 3]), tensor([0, 3], { dtype: "int32" }))).toThrow("Target 3 is out of bounds.");
    expect(() => F.crossEntropy(randn([2, 3]), tensor([0, 1, 2], { dtype: "int32" }))).toThrow(
      "expected target of shape [2] for input of shape [2, 3], got [3]",
    );
    expect(() => F.crossEntropy(randn([2, 3]), tensor([0, 1]), { labelSmoothing: 1.5 })).toThrow(
      "label_smoothing must be between 0.0 and 1.0. Got: 1.5",
    );
    expect(() => F.crossEntropy(randn([2, 3]), tensor([0, 1], { dtype: "int32" }), { weight: ones([2]) })).toThrow(
      "weight tensor should be defined either for all 3 classes or no classes",
    );
    expect(() => F.binaryCrossEntropyWithLogits(randn([2]), randn([3]))).toThrow("Target size ([3]) must be the same as input size ([2])");
  });

  it("cross entropy stays finite for huge logits", () => {
    const x = tensor([[1e4, -1e4, 0], [3e38, -3e38, 0]], { requiresGrad: true });
    const loss = F.crossEntropy(x, tensor([1, 0], { dtype: "int32" }));
    expect(loss.item()).toBeCloseTo(1e4, 0);
    loss.backward();
    expect(x.grad?.toTypedArray().every(Number.isFinite)).toBe(true);
  });

  it("cross entropy's ignored rows: a zero gradient, NaN where their logits are NaN or Inf (torch 1.13)", () => {
    // torch's log-softmax backward runs over every row: 0 - exp(NaN) * 0 is NaN
    for (const dtype of ["float32", "float64"] as const) {
      const x = tensor([[1, 2, 3], [NaN, 1, 2], [Infinity, 1, 2], [4, 5, 6]], { dtype, requiresGrad: true });
      const loss = F.crossEntropy(x, tensor([0, -100, -100, -100], { dtype: "int32" }));
      expect(loss.item()).toBeCloseTo(2.4076, 4); // torch: 2.4076
      loss.backward();
      const g = x.grad!.toArray() as number[][];
      expect(g[0].map((v) => Number(v.toFixed(4)))).toEqual([-0.91, 0.2447, 0.6652]);
      expect(g[1].every(Number.isNaN) && g[2].every(Number.isNaN)).toBe(true);
      expect(g[3]).toEqual([0, 0, 0]);
    }
  });

  it("a second backward through a freed cross entropy throws, as in torch", () => {
    const x = randn([2, 3], { requiresGrad: true });
    const loss = F.crossEntropy(x, tensor([1, 0], { dtype: "int32" }));
    loss.backward();
    expect(() => loss.backward()).toThrow(/backward through the graph a second time/);
  });
});
