import { describe, expect, it } from "vitest";
import { Tensor, randn, tensor } from "@minigrad/tensor";
import { RMSprop, stateDictFromJSON, stateDictToJSON, type OptimizerStateDict } from "@minigrad/optim";
import { bits } from "./helpers/models";

const roundTrip = (sd: OptimizerStateDict) => stateDictFromJSON(JSON.parse(JSON.stringify(stateDictToJSON(sd))));

/** Deep equality where tensors must agree in shape, dtype and every bit. */
function expectSame(got: unknown, want: unknown, path = "sd"): void {
  if (want instanceof Tensor) {
    expect(got, path).toBeInstanceOf(Tensor);
    const g = got as Tensor;
    expect([g.shape, g.dtype], path).toEqual([want.shape, want.dtype]);
    if (want.dtype === "float32" || want.dtype === "float64") expect(bits(g), path).toEqual(bits(want));
    else expect(Array.from(g.toTypedArray()), path).toEqual(Array.from(want.toTypedArray()));
  } else if (typeof want === "object" && want !== null) {
    expect(Object.keys(got as object), path).toEqual(Object.keys(want));
    for (const [k, v] of Object.entries(want)) expectSame((got as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else {
    expect(Object.is(got, want), `${path}: ${String(got)} vs ${String(want)}`).toBe(true);
  }
}

describe("stateDictToJSON / stateDictFromJSON", () => {
  it("survive JSON.stringify / JSON.parse exactly, special values included", () => {
    const awkward = new Float32Array([NaN, -0, 0, Infinity, -Infinity, 1e-45, 3.4028234663852886e38, 0.1, -1 / 3]);
    const sd: OptimizerStateDict = {
      state: {
        0: { step: 3, squareAvg: tensor(awkward, { shape: [3, 3] }), note: "kept", nested: [1, { x: -0 }] },
        2: { step: 1, squareAvg: tensor([Math.PI, -0, 5e-324], { dtype: "float64" }), count: tensor(7, { dtype: "int32" }) },
        3: { step: 0, mask: tensor([true, false]), empty: tensor([], { shape: [0, 2] }) },
      },
      paramGroups: [
        { lr: 0.01, eps: 1e-8, centered: false, maximize: true, initialLr: Infinity, tag: null, params: [0, 1] },
        { lr: -0, weird: NaN, params: [2, 3] },
      ],
    };
    expectSame(roundTrip(sd), sd);
  });

  it("write tensors as shape, dtype and row-major data, and special numbers as tagged strings", () => {
    const t = tensor([[1, 2], [3, 4]]).transpose(0, 1);
    const json = stateDictToJSON({ state: { 0: { v: t, n: -0 } }, paramGroups: [{ lr: NaN, params: [0] }] });
    expect(json).toEqual({
      state: { 0: { v: { $tensor: { shape: [2, 2], dtype: "float32", data: [1, 3, 2, 4] } }, n: { $number: "-0" } } },
      paramGroups: [{ lr: { $number: "NaN" }, params: [0] }],
    });
    const special = stateDictToJSON({ state: { 0: { v: tensor([NaN, -Infinity, -0]) } }, paramGroups: [] });
    expect(JSON.stringify(special)).toContain('"data":["NaN","-Infinity","-0"]');
  });

  it("carry a real RMSprop checkpoint: the loaded optimizer has the same state, bit for bit", () => {
    const p = randn([4, 3], { requiresGrad: true });
    const opt = new RMSprop([p], { momentum: 0.9, centered: true });
    for (let i = 0; i < 3; i++) {
      p.grad = randn([4, 3]);
      opt.step();
    }
    const sd = opt.stateDict();
    const loaded = roundTrip(sd);
    expectSame(loaded, sd);
    const opt2 = new RMSprop([p.detach().clone().requiresGrad_(true)]);
    opt2.loadStateDict(loaded);
    expectSame(opt2.stateDict(), sd);
  });

  it("refuse what they cannot represent or read, saying where", () => {
    const fn = () => 1;
    expect(() => stateDictToJSON({ state: {}, paramGroups: [{ params: [], schedule: fn }] })).toThrow(
      "stateDictToJSON: cannot write stateDict.paramGroups[0].schedule, a function, as JSON",
    );
    const bad = { state: { 0: { v: { $tensor: { shape: [3], dtype: "float32", data: [1, 2] } } } }, paramGroups: [] };
    expect(() => stateDictFromJSON(bad)).toThrow("stateDictFromJSON: stateDict.state.0.v has 2 values for shape [3]");
    const badDtype = { state: { 0: { v: { $tensor: { shape: [1], dtype: "int64", data: [1] } } } }, paramGroups: [] };
    expect(() => stateDictFromJSON(badDtype)).toThrow("is not a tensor");
    expect(() => stateDictFromJSON({ state: {} })).toThrow("expected { state, paramGroups }");
  });
});
