import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AutogradError, Tensor, autograd, gradcheck, gradgradcheck, keep, randn, tensor, tidy, zeros, Generator, type DType } from "@minigrad/tensor";
import { GRU, GRUCell, LSTM, LSTMCell, Module, RNN, RNNCell, deserialize } from "@minigrad/nn";
import { loadFixture } from "./helpers/cases";

/**
 * The recurrent layers against test/fixtures/rnn.json, recorded by gen_rnn.py with PyTorch
 * 1.13: every layer and option set, with torch's weights loaded through `loadStateDict`
 * (torch's keys, unchanged), in float64 (to 1e-10) and float32 (to 1e-5): outputs, final
 * states, and the gradients of the input, the initial states and every parameter.
 */

interface FT { shape: number[]; data: number[] }
interface Run { outputs: FT[]; inputGrad: FT; h0Grad: FT | null; c0Grad: FT | null; paramGrads: Record<string, FT> }
interface Case {
  layer: "RNN" | "LSTM" | "GRU" | "RNNCell" | "LSTMCell" | "GRUCell";
  nonlinearity: "relu" | null;
  cell: boolean;
  options: { numLayers?: number; bias?: boolean; batchFirst?: boolean; bidirectional?: boolean };
  stateDict: Record<string, FT>;
  stateDictKeys: string[];
  repr: string;
  input: FT;
  h0: FT | null;
  c0: FT | null;
  upstream: FT[];
  float64: Run;
  float32: Run;
}
interface Fixture {
  sizes: { input: number; hidden: number };
  cases: Case[];
  reprs: { ts: string; repr: string; keys: string[] }[];
  errors: { layer: string; ts: string; message: string }[];
  dropoutWarning: string;
  init: { hidden: number; bound: number; std: number };
  torchFile: { input: FT; outputs: FT[]; keys: string[] };
}

const fx = loadFixture<Fixture>("rnn.json");
const f64 = { dtype: "float64" as const };
const TOL = { float64: 1e-10, float32: 1e-5 };

type Layer = Module & { forward(x: Tensor, hx?: never): unknown };

function build(c: Case, dtype: "float32" | "float64"): Layer {
  const { input: I, hidden: H } = fx.sizes;
  const o = { ...c.options, dtype };
  const nonlinearity = c.nonlinearity ?? "tanh";
  switch (c.layer) {
    case "RNN": return new RNN(I, H, { ...o, nonlinearity }) as unknown as Layer;
    case "LSTM": return new LSTM(I, H, o) as unknown as Layer;
    case "GRU": return new GRU(I, H, o) as unknown as Layer;
    case "RNNCell": return new RNNCell(I, H, { ...o, nonlinearity }) as unknown as Layer;
    case "LSTMCell": return new LSTMCell(I, H, o) as unknown as Layer;
    case "GRUCell": return new GRUCell(I, H, o) as unknown as Layer;
  }
}

const t = (f: FT, dtype: DType, requiresGrad = false) => tensor(f.data, { shape: f.shape, dtype, requiresGrad });

function expectClose(got: Tensor | null, want: FT, dtype: "float32" | "float64", what: string): void {
  if (got === null) return expect.fail(`${what}: no gradient`);
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  const tol = TOL[dtype];
  const values = got.toTypedArray();
  for (let i = 0; i < want.data.length; i++) {
    if (!(Math.abs(values[i] - want.data[i]) <= tol * (1 + Math.abs(want.data[i])))) {
      expect.fail(`${what}: element ${i} is ${values[i]}, PyTorch has ${want.data[i]} (tolerance ${tol})`);
    }
  }
}

function caseName(c: Case): string {
  const opts = Object.entries(c.options).map(([k, v]) => `${k}=${String(v)}`).join(", ");
  const input = c.input.shape.length === (c.cell ? 1 : 2) ? "unbatched" : "batched";
  return `${c.layer}${c.nonlinearity ? "(relu)" : ""} {${opts}} ${input}${c.h0 ? " with initial state" : ""}`;
}

describe("recurrent layers against PyTorch 1.13", () => {
  for (const c of fx.cases) {
    for (const dtype of ["float64", "float32"] as const) {
      it(`${caseName(c)}, ${dtype}`, () => {
        const m = build(c, dtype);
        expect(Object.keys(m.stateDict())).toEqual(c.stateDictKeys);
        expect(m.toString()).toBe(c.repr);
        const sd = Object.fromEntries(Object.entries(c.stateDict).map(([k, v]) => [k, t(v, "float64")]));
        m.loadStateDict(sd);
        const x = t(c.input, dtype, true);
        const h0 = c.h0 ? t(c.h0, dtype, true) : null;
        const c0 = c.c0 ? t(c.c0, dtype, true) : null;
        const lstm = c.layer === "LSTM" || c.layer === "LSTMCell";
        const hx = h0 === null ? undefined : lstm ? [h0, c0 as Tensor] : h0;
        const res = (m.forward as (x: Tensor, hx?: unknown) => unknown)(x, hx);
        const outs: Tensor[] = c.cell
          ? (lstm ? (res as Tensor[]) : [res as Tensor])
          : lstm ? [(res as [Tensor, Tensor[]])[0], ...(res as [Tensor, Tensor[]])[1]] : (res as Tensor[]);
        const want = c[dtype];
        outs.forEach((o, i) => expectClose(o, want.outputs[i], dtype, `output ${i}`));
        outs.map((o, i) => o.mul(t(c.upstream[i], dtype)).sum()).reduce((a, b) => a.add(b)).backward();
        expectClose(x.grad, want.inputGrad, dtype, "input grad");
        if (h0) expectClose(h0.grad, want.h0Grad as FT, dtype, "h0 grad");
        if (c0) expectClose(c0.grad, want.c0Grad as FT, dtype, "c0 grad");
        for (const [name, p] of m.namedParameters()) expectClose(p.grad, want.paramGrads[name], dtype, `${name} grad`);
        expect(Object.keys(want.paramGrads)).toEqual([...m.namedParameters()].map(([n]) => n));
      });
    }
  }
});

describe("reprs, state-dict keys and initialisation", () => {
  const construct = new Function("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "return (code) => eval(code)")(
    RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell,
  ) as (code: string) => Module;

  for (const r of fx.reprs) {
    it(`${r.ts} prints and names its parameters as torch`, () => {
      const m = construct(r.ts);
      expect(m.toString()).toBe(r.repr);
      expect(Object.keys(m.stateDict())).toEqual(r.keys);
    });
  }

  it("every weight and bias is drawn from U(-1/sqrt(hidden), 1/sqrt(hidden))", () => {
    const m = new LSTM(8, fx.init.hidden, { generator: new Generator(5) });
    const values = [...m.parameters()].flatMap((p) => Array.from(p.toTypedArray()));
    const bound = fx.init.bound;
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
    expect(Math.abs(std - fx.init.std)).toBeLessThan(0.002); // torch's sample: 0.0819; uniform: bound / sqrt(3)
    expect(Math.abs(std - bound / Math.sqrt(3))).toBeLessThan(0.002);
  });

  it("allWeights lists each layer's and direction's parameters in torch's order", () => {
    const m = new GRU(3, 4, { numLayers: 2, bidirectional: true });
    const names = new Map([...m.namedParameters()].map(([n, p]) => [p, n]));
    expect(m.allWeights.map((ws) => ws.map((p) => names.get(p)))).toEqual([
      ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"],
      ["weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse"],
      ["weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"],
      ["weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"],
    ]);
    expect(m.allWeights[2][0].shape).toEqual([12, 8]);
  });
});

describe("torch's errors for bad input", () => {
  const layers: Record<string, () => Module> = {
    lstm: () => new LSTM(3, 4, { numLayers: 2, ...f64 }),
    gru: () => new GRU(3, 4, { bidirectional: true, ...f64 }),
    rnn: () => new RNN(3, 4, { batchFirst: true, ...f64 }),
    lcell: () => new LSTMCell(3, 4, f64),
    gcell: () => new GRUCell(3, 4, f64),
    rcell: () => new RNNCell(3, 4, f64),
  };
  for (const e of fx.errors) {
    it(`${e.ts}: ${e.message}`, () => {
      const run = new Function("l", "randn", "f64", "RNN", "LSTM", `return ${e.ts};`) as (...a: unknown[]) => unknown;
      const l = e.layer === "ctor" ? null : layers[e.layer]();
      expect(() => run(l, randn, f64, RNN, LSTM)).toThrow(e.message);
    });
  }

  it("dropout with one layer warns as torch", () => {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (m: string) => void warnings.push(m);
    try {
      new LSTM(3, 4, { dropout: 0.5 });
    } finally {
      console.warn = original;
    }
    expect(warnings).toEqual([fx.dropoutWarning]);
  });
});

describe("dropout between layers and training mode", () => {
  it("is applied between layers in training mode only", () => {
    const m = new LSTM(3, 4, { numLayers: 2, dropout: 0.5, ...f64 });
    const x = randn([6, 2, 3], f64);
    m.eval();
    const [a] = m.forward(x);
    const [b] = m.forward(x);
    expect(a.toArray()).toEqual(b.toArray());
    m.train();
    const [c] = m.forward(x);
    expect(c.toArray()).not.toEqual(a.toArray());
    const noDrop = new LSTM(3, 4, { numLayers: 2, ...f64 });
    noDrop.loadStateDict(m.stateDict());
    expect(noDrop.forward(x)[0].toArray()).toEqual(a.toArray());
  });
});

describe("gradcheck (float64) of the cells and a small bidirectional layer", () => {
  /** gradcheck with respect to input, state and every parameter (swapped into the fields). */
  function check(m: Module, call: (x: Tensor, h: Tensor, c: Tensor) => Tensor, x: Tensor, h: Tensor, c: Tensor): void {
    const params = [...m.namedParameters()];
    const fields = m as unknown as Record<string, Tensor>;
    let weights: Tensor | null = null; // fixed random weights, so every output element counts distinctly
    gradcheck((x, h, c, ...leaves) => {
      params.forEach(([name], i) => (fields[name] = leaves[i]));
      try {
        const y = call(x, h, c);
        weights ??= randn(y.shape, { ...f64, generator: new Generator(3) });
        return y.mul(weights).sum();
      } finally {
        params.forEach(([name, p]) => (fields[name] = p));
      }
    }, [x.requiresGrad_(), h.requiresGrad_(), c.requiresGrad_(), ...params.map(([, p]) => p)]);
  }
  const x = () => randn([2, 3], f64), s = () => randn([2, 4], f64).mul(0.5);

  it("RNNCell (tanh and relu), LSTMCell, GRUCell", () => {
    const rnnCell = new RNNCell(3, 4, f64), reluCell = new RNNCell(3, 4, { ...f64, nonlinearity: "relu" });
    const lstmCell = new LSTMCell(3, 4, f64), gruCell = new GRUCell(3, 4, f64);
    check(rnnCell, (x, h) => rnnCell.forward(x, h), x(), s(), s());
    check(reluCell, (x, h) => reluCell.forward(x, h), x(), s(), s());
    check(lstmCell, (x, h, c) => { const [h1, c1] = lstmCell.forward(x, [h, c]); return h1.mul(c1.add(2)); }, x(), s(), s());
    check(gruCell, (x, h) => gruCell.forward(x, h), x(), s(), s());
  });

  it("a two-layer bidirectional batch-first LSTM (input, h0, c0 and every parameter)", () => {
    const m = new LSTM(2, 2, { numLayers: 2, bidirectional: true, batchFirst: true, ...f64 });
    check(m, (x, h, c) => {
      const [out, [hn, cn]] = m.forward(x, [h, c]);
      return out.sum().add(hn.mul(cn).sum());
    }, randn([2, 3, 2], f64), randn([4, 2, 2], f64), randn([4, 2, 2], f64));
  });

  it("zeros as the default state, as an explicit zero state", () => {
    const m = new GRU(3, 4, { numLayers: 2, ...f64 });
    const x = randn([5, 2, 3], f64);
    expect(m.forward(x)[0].toArray()).toEqual(m.forward(x, zeros([2, 2, 4], f64))[0].toArray());
  });
});

describe("module conveniences", () => {
  it("double() converts every weight, and the layer runs on the new parameters", () => {
    const m = new LSTM(3, 4, { numLayers: 2, bidirectional: true }).double();
    expect([...m.parameters()].every((p) => p.dtype === "float64")).toBe(true);
    expect(m.allWeights.flat().every((p) => p.dtype === "float64")).toBe(true);
    const [out, [h]] = m.forward(randn([5, 2, 3], f64));
    expect(out.dtype).toBe("float64");
    expect(h.shape).toEqual([4, 2, 4]);
    const cell = new GRUCell(3, 4).double();
    expect(cell.forward(randn([2, 3], f64)).dtype).toBe("float64");
  });
});

describe("empty batches", () => {
  it("a batch of 0 gives empty outputs and states, as torch", () => {
    const [out, [h, c]] = new LSTM(3, 4, { numLayers: 2, bidirectional: true }).forward(randn([5, 0, 3]));
    expect([out.shape, h.shape, c.shape]).toEqual([[5, 0, 8], [4, 0, 4], [4, 0, 4]]);
    expect(new GRUCell(3, 4).forward(randn([0, 3])).shape).toEqual([0, 4]);
  });
});

describe("a PyTorch state dict in a safetensors file", () => {
  it("loads into the same model with no renaming and gives PyTorch's outputs", () => {
    class Net extends Module {
      rnn = new LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true });
      cell = new GRUCell(8, 5);
      forward(x: Tensor): Tensor[] {
        const [out, [h, c]] = this.rnn.forward(x);
        return [this.cell.forward(out.select(1, -1)), h, c];
      }
    }
    const bytes = readFileSync(fileURLToPath(new URL("./fixtures/rnn_torch.safetensors", import.meta.url)));
    const net = new Net();
    const sd = deserialize(new Uint8Array(bytes));
    expect(Object.keys(sd)).toEqual(fx.torchFile.keys);
    expect(net.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const outs = net.forward(t(fx.torchFile.input, "float32"));
    outs.forEach((o, i) => expectClose(o, fx.torchFile.outputs[i], "float32", `output ${i}`));
  });
});

describe("gradients of gradients", () => {
  it("second derivatives through recurrent layers (createGraph): gradgradcheck of LSTM, GRU and RNN, bidirectional", () => {
    const x = randn([3, 2, 2], f64).requiresGrad_();
    for (const make of [
      () => new LSTM(2, 2, { ...f64, numLayers: 2, bidirectional: true }),
      () => new GRU(2, 3, { ...f64, bidirectional: true }),
      () => new RNN(2, 2, { ...f64, nonlinearity: "relu" }),
    ]) {
      const layer = make();
      expect(gradgradcheck((a) => layer.forward(a)[0].pow(2).sum(), [x])).toBe(true);
    }
  });
});

describe("tidy", () => {
  it("a step inside tidy keeps the gradients; a graph whose buffers tidy freed throws on backward", () => {
    const m = new GRU(3, 4, { numLayers: 2 });
    const x = randn([6, 2, 3]);
    tidy(() => { m.forward(x)[0].sum().backward(); });
    expect([...m.parameters()].every((p) => p.grad !== null && !p.grad.isDisposed)).toBe(true);
    const loss = tidy(() => keep(m.forward(x)[0].sum()));
    expect(() => loss.backward()).toThrow(AutogradError); // "a tensor saved for the backward of GruBackward was disposed"
  });
});
