import { describe, expect, it } from "vitest";
import { Tensor, manualSeed, ones, tensor, zeros } from "@minigrad/tensor";
import { LayerNorm, Linear, Module, ReLU, Sequential } from "@minigrad/nn";

/** stateDict keys and values, and loadStateDict's all-or-nothing validation. */

const model = () => new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));

function snapshot(m: Module): Record<string, number[]> {
  return Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.toTypedArray())]));
}

describe("stateDict", () => {
  it("uses torch's keys and detached tensors that share the parameters' storage", () => {
    const m = model();
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    expect(sd["0.weight"].requiresGrad).toBe(false);
    expect(sd["0.weight"].storage).toBe((m[0] as Linear).weight.storage);
  });

  it("includes persistent buffers after the parameters of each module", () => {
    class Norm extends Module {
      ln = new LayerNorm(2);
      constructor() {
        super();
        this.registerBuffer("count", zeros([1]));
        this.registerBuffer("scratch", zeros([1]), { persistent: false });
      }
    }
    expect(Object.keys(new Norm().stateDict())).toEqual(["count", "ln.weight", "ln.bias"]);
  });
});

describe("loadStateDict", () => {
  it("copies every value in (a round trip between two models)", () => {
    manualSeed(1);
    const a = model();
    const b = model();
    expect(snapshot(a)).not.toEqual(snapshot(b));
    const weight = (b[0] as Linear).weight;
    expect(b.loadStateDict(a.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(snapshot(b)).toEqual(snapshot(a));
    expect((b[0] as Linear).weight).toBe(weight); // identity kept: an optimizer still holds it
    expect(weight.isLeaf).toBe(true);
    expect(weight.storage).not.toBe((a[0] as Linear).weight.storage); // copied, not aliased
  });

  it("casts values to the parameter's dtype", () => {
    const m = new Linear(2, 1);
    m.loadStateDict({ weight: tensor([[0.5, 1.5]], { dtype: "float64" }), bias: tensor([2], { dtype: "float64" }) });
    expect(m.weight.dtype).toBe("float32");
    expect(m.weight.toArray()).toEqual([[0.5, 1.5]]);
  });

  it("throws naming missing and unexpected keys, and changes nothing", () => {
    const m = model();
    const before = snapshot(m);
    const sd: Record<string, Tensor> = { ...model().stateDict(), extra: ones([1]) };
    delete sd["2.bias"];
    delete sd["0.weight"];
    expect(() => m.loadStateDict(sd)).toThrow(
      "Error(s) in loading state_dict for Sequential:\n" +
        '\tMissing key(s) in state_dict: "0.weight", "2.bias". \n' +
        '\tUnexpected key(s) in state_dict: "extra". ',
    );
    expect(snapshot(m)).toEqual(before);
  });

  it("throws on a shape mismatch even when not strict, and changes nothing", () => {
    const m = model();
    const before = snapshot(m);
    const sd = model().stateDict();
    sd["2.weight"] = zeros([2, 5]);
    const message =
      "Error(s) in loading state_dict for Sequential:\n" +
      "\tsize mismatch for 2.weight: copying a param with shape [2, 5] from checkpoint, " +
      "the shape in current model is [2, 4].";
    expect(() => m.loadStateDict(sd)).toThrow(message);
    expect(() => m.loadStateDict(sd, { strict: false })).toThrow(message);
    expect(snapshot(m)).toEqual(before);
  });

  it("throws on a value that is not a tensor", () => {
    const sd = { weight: [[1, 2]], bias: ones([1]) } as unknown as Record<string, Tensor>;
    expect(() => new Linear(2, 1).loadStateDict(sd)).toThrow(
      'While copying the parameter named "weight", expected Tensor from checkpoint but received Array',
    );
  });

  it("loads what matches and reports the rest when not strict", () => {
    const m = model();
    const src = model();
    const sd: Record<string, Tensor> = { "0.weight": src.stateDict()["0.weight"], other: ones([1]) };
    expect(m.loadStateDict(sd, { strict: false })).toEqual({
      missingKeys: ["0.bias", "2.weight", "2.bias"],
      unexpectedKeys: ["other"],
    });
    expect(snapshot(m)["0.weight"]).toEqual(snapshot(src)["0.weight"]);
  });

  it("does not record a graph when copying into parameters", () => {
    const m = new Linear(1, 1);
    m.loadStateDict({ weight: ones([1, 1], { requiresGrad: true }), bias: zeros([1]) });
    expect(m.weight.isLeaf).toBe(true);
    expect(m.weight.gradFn).toBeNull();
  });
});

describe("loadStateDict validates everything before it copies anything (issue 19)", () => {
  it("a disposed tensor in the dict: throws naming the key, and no parameter changed", () => {
    const m = model();
    const before = snapshot(m);
    const sd = model().stateDict();
    const src = model().stateDict();
    for (const key of Object.keys(sd)) sd[key] = src[key].clone();
    sd["2.bias"].dispose(); // the last key: old code had copied the other three when this threw
    expect(() => m.loadStateDict(sd)).toThrow(
      "Error(s) in loading state_dict for Sequential:\n" +
        '\tWhile copying the parameter named "2.bias", whose dimensions in the model are [2] and whose dimensions ' +
        "in the checkpoint are [2], an exception occurred : (the tensor from the checkpoint: it was disposed).",
    );
    expect(snapshot(m)).toEqual(before);
  });

  it("a disposed parameter in the model: throws before copying into the others", () => {
    const m = model();
    const sd = model().stateDict();
    ((m[2] as Linear).bias as Tensor).dispose();
    const weight = Array.from((m[0] as Linear).weight.toTypedArray());
    expect(() => m.loadStateDict(sd)).toThrow("(the tensor in the model: it was disposed)");
    expect(Array.from((m[0] as Linear).weight.toTypedArray())).toEqual(weight);
  });

  it("a float value an int32 buffer cannot hold: refused (copy_ would truncate 1.5 or wrap 2^31)", () => {
    class Counter extends Module {
      lin = new Linear(1, 1);
      constructor() {
        super();
        this.registerBuffer("count", tensor([0], { dtype: "int32" }));
      }
    }
    const m = new Counter();
    const before = snapshot(m);
    const sd = { ...new Counter().stateDict(), count: tensor([1.5]) };
    expect(() => m.loadStateDict(sd)).toThrow(
      "an exception occurred : (value 1.5 (element 0) of a float32 tensor cannot be converted to type int32 exactly).",
    );
    expect(snapshot(m)).toEqual(before);
    m.loadStateDict({ ...sd, count: tensor([7]) });
    expect(snapshot(m).count).toEqual([7]);
  });

  it("values that alias the model's own tensors load as the dict was (a swap stays a swap)", () => {
    class Two extends Module {
      a = new Linear(2, 2);
      b = new Linear(2, 2);
    }
    const m = new Two();
    const [a, b] = [snapshot(m.a), snapshot(m.b)];
    const own = m.stateDict();
    // old: b.weight was copied from a.weight after a.weight had been overwritten with b's
    m.loadStateDict({ "a.weight": own["b.weight"], "a.bias": own["b.bias"], "b.weight": own["a.weight"], "b.bias": own["a.bias"] });
    expect(snapshot(m.a)).toEqual(b);
    expect(snapshot(m.b)).toEqual(a);
    m.loadStateDict(m.stateDict()); // each value is its own target: a no-op
    expect(snapshot(m.b)).toEqual(a);
  });
});
