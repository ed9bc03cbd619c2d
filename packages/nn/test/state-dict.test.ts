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
