import { describe, expect, it } from "vitest";
import { Tensor, randn, tensor } from "@minigrad/tensor";
import { Linear, ReLU, Sequential } from "@minigrad/nn";
import {
  RMSprop, moduleStateDictFromJSON, stateDictFromJSON, stateDictToJSON, type OptimizerStateDict,
} from "@minigrad/optim";
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

describe("stateDictFromJSON reads own properties only (issue 19)", () => {
  const sdWith = (lr: unknown) => ({ state: {}, paramGroups: [{ lr, params: [0] }] });

  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
    it(`refuses {"$number": "${name}"} instead of decoding it into a function`, () => {
      // old: `x in SPECIALS` found Object.prototype's members, so lr became a function
      expect(() => stateDictFromJSON(sdWith({ $number: name }))).toThrow(
        new TypeError(
          `stateDictFromJSON: stateDict.paramGroups[0].lr is not a number (nor one of "NaN", "Infinity", "-Infinity", "-0"): "${name}"`,
        ),
      );
    });
  }

  it("refuses unknown specials, and a tag next to other keys", () => {
    expect(() => stateDictFromJSON(sdWith({ $number: "nan" }))).toThrow('is not a number (nor one of "NaN"');
    expect(() => stateDictFromJSON(sdWith({ $number: 5 }))).toThrow("is not a number");
    expect(() => stateDictFromJSON(sdWith({ $number: "NaN", extra: 1 }))).toThrow(
      "stateDictFromJSON: stateDict.paramGroups[0].lr has the reserved key '$number' next to other keys ($number, extra)",
    );
    const tensorWith = (t: unknown) => ({ state: { 0: { v: { $tensor: t } } }, paramGroups: [{ params: [0] }] });
    expect(() => stateDictFromJSON(tensorWith({ shape: [1], dtype: "float32", data: [1], extra: 1 }))).toThrow("is not a tensor");
    expect(() => stateDictFromJSON(tensorWith({ shape: [1], dtype: "constructor", data: [1] }))).toThrow("unknown dtype");
    expect(() => stateDictFromJSON(tensorWith(JSON.parse('{"__proto__": {"shape": [1], "dtype": "float32", "data": [1]}}')))).toThrow(
      "is not a tensor",
    );
  });

  it("never lets a JSON key reach a prototype", () => {
    const json = JSON.parse('{"state": {}, "paramGroups": [{"params": [0], "__proto__": {"lr": 1e9, "polluted": true}}]}');
    // old: out["__proto__"] = ... replaced the group's prototype, so group.lr read 1e9 through it
    expect(() => stateDictFromJSON(json)).toThrow(
      "stateDictFromJSON: stateDict.paramGroups[0].__proto__ is not allowed (it would replace a prototype)",
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses tensor values their dtype cannot hold and shapes that are not safe integers", () => {
    const tensorWith = (t: unknown) => ({ state: { 0: { v: { $tensor: t } } }, paramGroups: [{ params: [0] }] });
    expect(() => stateDictFromJSON(tensorWith({ shape: [1], dtype: "int32", data: [2 ** 31] }))).toThrow(
      "stateDictFromJSON: stateDict.state.0.v value 0 is not a int32 value: 2147483648",
    );
    expect(() => stateDictFromJSON(tensorWith({ shape: [1], dtype: "int32", data: ["NaN"] }))).toThrow("is not a int32 value");
    expect(() => stateDictFromJSON(tensorWith({ shape: [1], dtype: "bool", data: [2] }))).toThrow("is not a bool value: 2");
    expect(() => stateDictFromJSON(tensorWith({ shape: [1e300, 0], dtype: "float32", data: [] }))).toThrow(
      "stateDictFromJSON: stateDict.state.0.v has a bad shape [1e+300,0]",
    );
  });
});

describe("a module's state dict through JSON (issue 19)", () => {
  it("round-trips bit for bit through stateDictToJSON / moduleStateDictFromJSON and loads into a model", () => {
    const model = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2, { dtype: "float64" }));
    ((model[0] as Linear).bias as Tensor).detach().copy_(tensor([NaN, -0, Infinity, 1e-45]));
    const json = JSON.parse(JSON.stringify(stateDictToJSON(model.stateDict())));
    expect(Object.keys(json)).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    const sd = moduleStateDictFromJSON(json);
    expectSame(sd, model.stateDict());
    const other = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2, { dtype: "float64" }));
    other.loadStateDict(sd);
    expectSame(other.stateDict(), model.stateDict());
  });

  it("refuses a value that is not a tensor, naming its key", () => {
    expect(() => moduleStateDictFromJSON({ "0.weight": [1, 2] })).toThrow(
      new TypeError('moduleStateDictFromJSON: stateDict["0.weight"] is not a tensor but Array'),
    );
    expect(() => moduleStateDictFromJSON([])).toThrow("expected an object of tensors, but got Array");
  });
});
