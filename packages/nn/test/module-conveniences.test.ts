import { describe, expect, it } from "vitest";
import { Generator, Tensor, gradcheck, noGrad, ones, randn, tensor, zeros } from "@minigrad/tensor";
import {
  BatchNorm1d, BatchNorm2d, Dropout2d, GroupNorm, Identity, Linear, Module, ModuleDict, ParameterList, ReLU, Sequential,
  functional as F,
} from "@minigrad/nn";

const f64 = { dtype: "float64" as const };

describe("Module.to / double / float", () => {
  it("converts parameters and float buffers everywhere, keeps int buffers, requiresGrad, grads and sharing", () => {
    const shared = new Linear(3, 3);
    const model = new Sequential(shared, new BatchNorm1d(3), new Sequential(shared));
    shared.weight.requiresGrad_(false);
    (shared.bias as Tensor).grad = ones([3]);
    const before = shared.weight.toArray();
    expect(model.double()).toBe(model);
    for (const [, p] of model.namedParameters()) expect(p.dtype).toBe("float64");
    const buffers = Object.fromEntries(model.namedBuffers());
    expect(buffers["1.running_mean"].dtype).toBe("float64");
    expect(buffers["1.num_batches_tracked"].dtype).toBe("int32");
    expect(shared.weight.requiresGrad).toBe(false);
    expect(shared.bias?.grad?.dtype).toBe("float64");
    expect(model[2].stateDict()["0.weight"].toArray()).toEqual(model[0].stateDict()["weight"].toArray());
    expect([...model.parameters()].length).toBe(4); // still shared: Linear's two, BatchNorm's two
    expect(shared.weight.toArray()).toEqual(before);
    model.float();
    expect(shared.weight.dtype).toBe("float32");
    expect(() => model.to("int32")).toThrow("nn.Module.to only accepts floating point");
  });
});

describe("forward hooks", () => {
  it("pre-hooks replace inputs, hooks replace outputs, in registration order; remove() unregisters", () => {
    const lin = new Linear(2, 2);
    const calls: string[] = [];
    const pre = lin.registerForwardPreHook((m, inputs) => {
      calls.push(`pre ${m === lin}`);
      return (inputs[0] as Tensor).mul(0);
    });
    const post = lin.registerForwardHook((_m, inputs, output) => {
      calls.push(`post ${(inputs[0] as Tensor).sum().item()}`);
      return (output as Tensor).add(1);
    });
    const seen = lin.registerForwardHook(() => { calls.push("second"); });
    const y = new Sequential(lin).forward(tensor([[1, 2]]));
    const bias = lin.bias as Tensor;
    expect(y.toArray()).toEqual([bias.add(1).toArray()]);
    expect(calls).toEqual(["pre true", "post 0", "second"]);
    pre.remove();
    post.remove();
    seen.remove();
    seen.remove();
    const x = tensor([[1, 2]]);
    expect(lin.forward(x).toArray()).toEqual(F.linear(x, lin.weight, lin.bias).toArray());
    expect(Object.keys(lin)).not.toContain("forward"); // the wrapper is not a member
    expect(pre.id).not.toBe(post.id);
  });

  it("a pre-hook returning an array replaces every argument", () => {
    const m = new Identity();
    m.registerForwardPreHook(() => [tensor([5])]);
    expect(m.forward(tensor([1])).toArray()).toEqual([5]);
  });
});

describe("apply, requiresGrad_, namedBuffers", () => {
  it("apply visits children first; requiresGrad_(false) freezes", () => {
    const model = new Sequential(new Linear(2, 2), new ReLU());
    const names: string[] = [];
    model.apply((m) => names.push(m.constructor.name));
    expect(names).toEqual(["Linear", "ReLU", "Sequential"]);
    model.requiresGrad_(false);
    expect([...model.parameters()].every((p) => !p.requiresGrad)).toBe(true);
    const bn = new Sequential(new BatchNorm2d(2));
    expect([...bn.namedBuffers()].map(([n]) => n)).toEqual(["0.running_mean", "0.running_var", "0.num_batches_tracked"]);
  });
});

describe("ModuleDict and ParameterList", () => {
  it("ModuleDict: get, set, has, pop, keys, entries, iteration over keys, size", () => {
    const md = new ModuleDict({ a: new Linear(2, 2) });
    md.set("b", new ReLU());
    expect(md.has("b")).toBe(true);
    expect([...md]).toEqual(["a", "b"]);
    expect([...md.entries()].map(([k]) => k)).toEqual(["a", "b"]);
    expect(md.size).toBe(2);
    expect(md.pop("a")).toBeInstanceOf(Linear);
    expect([...md.parameters()]).toEqual([]);
    expect(() => md.get("a")).toThrow("no module under key 'a'");
    expect(() => md.set("x.y", new ReLU())).toThrow(`module name can't contain ".", got: x.y`);
    md.clear();
    expect(md.size).toBe(0);
  });

  it("ParameterList wraps tensors in Parameters, indexes and loads a state dict", () => {
    const pl = new ParameterList([zeros([2])]);
    pl.append(ones([3]));
    expect(pl.length).toBe(2);
    expect(pl.at(-1).shape).toEqual([3]);
    expect([...pl.parameters()].length).toBe(2);
    pl.loadStateDict({ 0: tensor([1, 2]), 1: tensor([3, 4, 5]) });
    expect(pl[0].toArray()).toEqual([1, 2]);
    const p = pl[1];
    pl.set(-1, tensor([7]));
    expect(pl[1]).not.toBe(p);
    expect(pl.stateDict()["1"].toArray()).toEqual([7]);
  });
});

describe("Dropout2d", () => {
  it("zeroes whole channels, scales the rest, and is the identity in eval", () => {
    const layer = new Dropout2d(0.5, { generator: new Generator(3) });
    const x = ones([4, 6, 3, 3]);
    const y = layer.forward(x).toArray() as number[][][][];
    for (const sample of y) for (const channel of sample) {
      const values = new Set(channel.flat());
      expect(values.size).toBe(1);
      expect([0, 2]).toContain([...values][0]);
    }
    const kept = y.flat().filter((c) => c[0][0] === 2).length;
    expect(kept).toBeGreaterThan(4);
    expect(kept).toBeLessThan(20);
    layer.eval();
    expect(layer.forward(x)).toBe(x);
    expect(() => F.dropout2d(ones([3]))).toThrow("Feature dropout requires at least 2 dimensions");
  });
});

describe("gradcheck (float64) of the new layers and losses", () => {
  const check = (fn: (...xs: Tensor[]) => Tensor, ...xs: Tensor[]) => {
    const weights = randn(fn(...xs).shape, { ...f64, generator: new Generator(9) });
    expect(gradcheck((...ys) => fn(...ys).mul(weights).sum(), xs.map((x) => x.requiresGrad_()))).toBe(true);
  };

  it("batchNorm in training (batch statistics) and in eval (running statistics)", () => {
    const x = randn([4, 3, 2], f64);
    const w = randn([3], f64);
    const b = randn([3], f64);
    check((x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }), x, w, b);
    const rm = randn([3], f64);
    const rv = ones([3], f64).mul(0.7);
    check((x, w, b) => F.batchNorm(x, rm, rv, { weight: w, bias: b }), x, w, b);
  });

  it("batchNorm's one-pass statistics keep their precision under a large offset", () => {
    const base = randn([64, 2], { ...f64, generator: new Generator(5) });
    const y = F.batchNorm(base.add(1e6), null, null, { training: true });
    const ref = F.batchNorm(base, null, null, { training: true });
    const diff = y.sub(ref).abs().amax().item();
    expect(diff).toBeLessThan(1e-9);
  });

  it("batchNorm's backward throws after an in-place change of the weight it used", () => {
    const bn = new BatchNorm1d(2);
    const y = bn.forward(randn([4, 2]));
    noGrad(() => bn.weight?.mul_(2));
    expect(() => y.sum().backward()).toThrow(/modified by an inplace operation/);
  });

  it("BatchNorm1d updates its running statistics once per training forward, not in eval", () => {
    const bn = new BatchNorm1d(2, { dtype: "float64", momentum: null });
    const x = tensor([[1, 2], [3, 6]], f64);
    bn.forward(x);
    bn.forward(x.mul(2));
    // cumulative average of the batch means (2, 4) and (4, 8); unbiased variances (2, 8) and (8, 32)
    expect(bn.runningMean?.toArray()).toEqual([3, 6]);
    expect(bn.runningVar?.toArray()).toEqual([5, 20]);
    expect(bn.numBatchesTracked?.item()).toBe(2);
    bn.eval();
    noGrad(() => bn.forward(x));
    expect(bn.numBatchesTracked?.item()).toBe(2);
    bn.resetRunningStats();
    expect(bn.runningVar?.toArray()).toEqual([1, 1]);
  });

  it("groupNorm, binaryCrossEntropy, smoothL1Loss, huberLoss, klDiv", () => {
    check((x, w, b) => F.groupNorm(x, 2, w, b), randn([2, 4, 3], f64), randn([4], f64), randn([4], f64));
    const p = randn([3, 4], f64).sigmoid().detach();
    check((x, t) => F.binaryCrossEntropy(x, t, { weight: tensor([1, 2, 3, 4], f64), reduction: "none" }), p, randn([3, 4], f64).sigmoid().detach());
    check((x, t) => F.smoothL1Loss(x, t, { beta: 0.5 }), randn([5], f64), randn([5], f64));
    check((x, t) => F.huberLoss(x, t, { delta: 0.5, reduction: "sum" }), randn([5], f64), randn([5], f64));
    check((x, t) => F.klDiv(x, t, { reduction: "batchmean", logTarget: true }), randn([2, 3], f64), randn([2, 3], f64));
    check((x, t) => F.klDiv(x, t, { reduction: "none" }), randn([2, 3], f64), randn([2, 3], f64).sigmoid().detach());
    check((x, t) => F.l1Loss(x, t, { reduction: "none" }), randn([5], f64), randn([5], f64));
    check((x) => F.dropout2d(x, { p: 0.4, generator: new Generator(2) }), randn([3, 4, 2], f64));
  });

  it("GroupNorm gives the same in train and eval", () => {
    const gn = new GroupNorm(1, 2, { dtype: "float64" });
    const x = randn([2, 2, 3], f64);
    const y = gn.forward(x).toArray();
    expect(gn.eval().forward(x).toArray()).toEqual(y);
  });
});

describe("a PyTorch-style module with BatchNorm", () => {
  it("loads its own state dict back, buffers included", () => {
    class Net extends Module {
      fc = new Linear(3, 2);
      bn = new BatchNorm1d(2);
      forward(x: Tensor) { return this.bn.forward(this.fc.forward(x)); }
    }
    const a = new Net();
    a.forward(randn([4, 3]));
    const b = new Net();
    b.loadStateDict(a.stateDict());
    expect(Object.keys(b.stateDict())).toEqual(["fc.weight", "fc.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]);
    expect(b.bn.runningMean?.toArray()).toEqual(a.bn.runningMean?.toArray());
    expect(b.bn.numBatchesTracked?.item()).toBe(1);
  });
});
