import { describe, expect, it } from "vitest";
import { Tensor, ones, randn, tensor, zeros } from "@minigrad/tensor";
import { Linear, Module, Parameter, ReLU, Sequential, functional as F } from "@minigrad/nn";

/** Traversal, names and registration, checked against torch 1.13 (torch-semantics.md section 5). */

class MLP extends Module {
  fc1 = new Linear(64, 128);
  fc2 = new Linear(128, 10);
  forward(x: Tensor) {
    return this.fc2.forward(F.relu(this.fc1.forward(x)));
  }
}

/** torch-semantics.md §5: layer, then w, then shared = layer, then tied (weight = layer.weight). */
class Tied extends Module {
  layer = new Linear(1, 1);
  w = new Parameter(zeros([2]));
  shared = this.layer;
  tied = new Linear(1, 1);
  constructor() {
    super();
    this.registerBuffer("buf", ones([1]));
    this.tied.weight = this.layer.weight;
  }
}

const names = (entries: Iterable<[string, unknown]>) => [...entries].map(([n]) => n);

describe("Module traversal", () => {
  it("names the issue's MLP parameters in declaration order", () => {
    const model = new MLP();
    expect(names(model.namedParameters())).toEqual(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
    expect(model.forward(randn([3, 64])).shape).toEqual([3, 10]);
  });

  it("yields the parameter objects themselves, from a generator", () => {
    const model = new MLP();
    const params = model.parameters();
    expect(typeof params.next).toBe("function");
    expect([...params]).toEqual([model.fc1.weight, model.fc1.bias, model.fc2.weight, model.fc2.bias]);
    for (const p of model.parameters()) {
      expect(p).toBeInstanceOf(Parameter);
      expect(p.isLeaf && p.requiresGrad).toBe(true);
    }
  });

  it("puts own parameters first and yields shared and tied ones once, under the first name", () => {
    const m = new Tied();
    expect(names(m.namedParameters())).toEqual(["w", "layer.weight", "layer.bias", "tied.bias"]);
    expect([...m.parameters()]).toHaveLength(4);
    expect(names(m.namedModules())).toEqual(["", "layer", "tied"]);
    expect(names(m.namedChildren())).toEqual(["layer", "tied"]);
    expect([...m.children()]).toEqual([m.layer, m.tied]);
    expect([...m.modules()]).toEqual([m, m.layer, m.tied]);
  });

  it("keeps every name in the state dict (no de-duplication, as torch)", () => {
    const m = new Tied();
    expect(Object.keys(m.stateDict())).toEqual([
      "w", "buf", "layer.weight", "layer.bias", "shared.weight", "shared.bias", "tied.weight", "tied.bias",
    ]);
  });

  it("walks nested Sequentials pre-order with dotted numeric names", () => {
    const seq = new Sequential(new Linear(2, 3), new ReLU(), new Sequential(new Linear(3, 1)));
    expect(names(seq.namedParameters())).toEqual(["0.weight", "0.bias", "2.0.weight", "2.0.bias"]);
    expect(names(seq.namedModules())).toEqual(["", "0", "1", "2", "2.0"]);
    expect(names(seq.namedParameters("model"))).toEqual(["model.0.weight", "model.0.bias", "model.2.0.weight", "model.2.0.bias"]);
  });

  it("registers arrays of modules and of parameters under field.index names", () => {
    class Stack extends Module {
      scale = [new Parameter(ones([1])), new Parameter(ones([1]))];
      blocks = [new Linear(2, 2), new Linear(2, 2, { bias: false })];
    }
    const s = new Stack();
    expect(names(s.namedParameters())).toEqual(["scale.0", "scale.1", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight"]);
    expect(names(s.namedChildren())).toEqual(["blocks.0", "blocks.1"]);
  });

  it("limits to own members with recurse = false", () => {
    const m = new Tied();
    expect(names(m.namedParameters("", false))).toEqual(["w"]);
    expect([...m.buffers(false)]).toHaveLength(1);
    expect([...m.layer.parameters(false)]).toHaveLength(2);
  });

  it("ignores plain tensors and other values in fields", () => {
    class Plain extends Module {
      cache = randn([2]);
      label = "x";
      fc = new Linear(1, 1);
    }
    expect(names(new Plain().namedParameters())).toEqual(["fc.weight", "fc.bias"]);
    expect(Object.keys(new Plain().stateDict())).toEqual(["fc.weight", "fc.bias"]);
  });

  it("applies a function to every module, children first", () => {
    const seq = new Sequential(new Linear(1, 1), new Sequential(new ReLU()));
    const seen: string[] = [];
    seq.apply((m) => seen.push(m.constructor.name));
    expect(seen).toEqual(["Linear", "ReLU", "Sequential", "Sequential"]);
  });
});

describe("Module registration", () => {
  it("registers parameters, buffers and modules added at run time", () => {
    const m = new Module();
    const p = m.registerParameter("alpha", new Parameter(ones([2])));
    m.registerBuffer("running", zeros([2]));
    m.registerBuffer("scratch", zeros([3]), { persistent: false });
    m.registerModule("head", new Linear(2, 1));
    expect(names(m.namedParameters())).toEqual(["alpha", "head.weight", "head.bias"]);
    expect(names(m.namedBuffers())).toEqual(["running", "scratch"]);
    expect(Object.keys(m.stateDict())).toEqual(["alpha", "running", "head.weight", "head.bias"]);
    expect([...m.parameters()][0]).toBe(p);
  });

  it("lets a null parameter or buffer reserve a name without entering the state dict", () => {
    const m = new Module();
    m.registerParameter("bias", null);
    m.registerBuffer("mask", null);
    expect([...m.parameters()]).toEqual([]);
    expect(m.stateDict()).toEqual({});
    m.registerParameter("bias", new Parameter(ones([1])));
    expect(names(m.namedParameters())).toEqual(["bias"]);
  });

  it("throws torch's errors for bad names", () => {
    const m = new Linear(1, 1);
    const p = () => new Parameter(ones([1]));
    expect(() => m.registerParameter("a.b", p())).toThrow(`parameter name can't contain "."`);
    expect(() => m.registerParameter("", p())).toThrow(`parameter name can't be empty string ""`);
    expect(() => m.registerParameter("train", p())).toThrow("attribute 'train' already exists");
    expect(() => m.registerParameter("inFeatures", p())).toThrow("attribute 'inFeatures' already exists");
    expect(() => m.registerBuffer("a.b", zeros([1]))).toThrow(`buffer name can't contain "."`);
    expect(() => m.registerBuffer("", zeros([1]))).toThrow(`buffer name can't be empty string ""`);
    expect(() => m.registerBuffer("weight", zeros([1]))).toThrow("attribute 'weight' already exists");
    expect(() => m.registerModule("a.b", new ReLU())).toThrow(`module name can't contain ".", got: a.b`);
    expect(() => m.registerModule("", new ReLU())).toThrow(`module name can't be empty string ""`);
    expect(() => m.registerModule("bias", new ReLU())).toThrow("attribute 'bias' already exists");
  });

  it("throws for values of the wrong kind", () => {
    const m = new Module();
    expect(() => m.registerParameter("w", ones([1]) as Parameter)).toThrow(
      "cannot assign 'Tensor' object to parameter 'w' (Parameter or null required)",
    );
    expect(() => m.registerBuffer("b", [1] as unknown as Tensor)).toThrow(
      "cannot assign 'Array' object to buffer 'b' (Tensor or null required)",
    );
    expect(() => m.registerModule("c", {} as Module)).toThrow("Object is not a Module subclass");
  });

  it("refuses a non-leaf parameter", () => {
    const p = new Parameter(zeros([2]), false);
    p.add_(ones([2], { requiresGrad: true })); // recorded: p now has a gradFn
    expect(p.isLeaf).toBe(false);
    expect(() => new Module().registerParameter("w", p)).toThrow(
      "Cannot assign non-leaf Tensor to parameter 'w'. Model parameters must be created explicitly.",
    );
  });
});

describe("Parameter", () => {
  it("is a leaf that requires grad and shares the data's storage", () => {
    const data = tensor([1, 2]);
    const p = new Parameter(data);
    expect(p).toBeInstanceOf(Tensor);
    expect(p.isLeaf && p.requiresGrad).toBe(true);
    expect(p.storage).toBe(data.storage);
    expect(new Parameter(data, false).requiresGrad).toBe(false);
  });

  it("is a fresh leaf even when made from a graph result", () => {
    const x = ones([2], { requiresGrad: true });
    const p = new Parameter(x.mul(2));
    expect(p.isLeaf).toBe(true);
    p.sum().backward();
    expect(x.grad).toBeNull();
    expect(p.grad?.toArray()).toEqual([1, 1]);
  });

  it("refuses integer data when it would require grad", () => {
    expect(() => new Parameter(tensor([1], { dtype: "int32" }))).toThrow(/floating point/);
    expect(new Parameter(tensor([1], { dtype: "int32" }), false).dtype).toBe("int32");
  });
});

describe("train / eval, requiresGrad_, zeroGrad", () => {
  it("switches training mode recursively and returns the module", () => {
    const seq = new Sequential(new Linear(1, 1), new Sequential(new ReLU()));
    expect([...seq.modules()].every((m) => m.training)).toBe(true);
    expect(seq.eval()).toBe(seq);
    expect([...seq.modules()].map((m) => m.training)).toEqual([false, false, false, false]);
    seq.train();
    expect([...seq.modules()].every((m) => m.training)).toBe(true);
    expect(() => seq.train("no" as unknown as boolean)).toThrow("training mode is expected to be boolean");
  });

  it("freezes and unfreezes every parameter", () => {
    const model = new MLP();
    expect(model.requiresGrad_(false)).toBe(model);
    expect([...model.parameters()].some((p) => p.requiresGrad)).toBe(false);
    model.forward(randn([2, 64])).sum();
    model.fc2.requiresGrad_();
    expect([...model.parameters()].map((p) => p.requiresGrad)).toEqual([false, false, true, true]);
  });

  it("zero-fills gradients in place by default and sets them to null with setToNone", () => {
    const model = new MLP();
    model.forward(randn([2, 64])).sum().backward();
    const g = model.fc1.weight.grad as Tensor;
    expect(g.abs().sum().item()).toBeGreaterThan(0);
    model.zeroGrad();
    expect(model.fc1.weight.grad).toBe(g); // the same tensor, zeroed
    expect(g.abs().sum().item()).toBe(0);
    model.zeroGrad(true);
    expect([...model.parameters()].every((p) => p.grad === null)).toBe(true);
    model.zeroGrad(); // nothing to do on null grads
    expect(model.fc1.weight.grad).toBeNull();
  });
});
