import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Tensor, autograd, tensor } from "@minigrad/tensor";
import { GRU, LSTM, Module, MultiheadAttention, RNN, functional as F } from "@minigrad/nn";

// fixtures/higher-order-nn.json: second derivatives through nn's layers recorded from torch
// 1.13 by fixtures/gen_higher_order_nn.py (float64): g = d(out . v)/dx with createGraph, then
// h = d(sum_i g_i . w_i)/dx, compared to 1e-9.

interface Flat {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  inputs: Flat[];
  v: Flat;
  w: Flat[];
  grads: (Flat | null)[];
  hessianTimesW: (Flat | null)[];
}

interface LayerCase {
  name: string;
  state: Record<string, Flat>;
  input: Flat;
  v: Flat;
  w: Flat;
  grad: Flat;
  hessianTimesW: Flat;
}

const FIXTURE = JSON.parse(readFileSync(new URL("./fixtures/higher-order-nn.json", import.meta.url), "utf8")) as {
  cases: Case[];
  layers: LayerCase[];
};
const i32 = (v: number[] | number[][]) => tensor(v, { dtype: "int32" });

/** The generator's functions, by name. */
const FUNCTIONS: Record<string, (...xs: Tensor[]) => Tensor> = {
  conv2d: (x, w, b) => F.conv2d(x, w, b, { stride: 1, padding: 1 }).tanh(),
  "conv2d groups dilation": (x, w) => F.conv2d(x, w, null, { padding: 2, dilation: 2, groups: 2 }).pow(2),
  convTranspose2d: (x, w) => F.convTranspose2d(x, w, null, { stride: 2 }).tanh(),
  maxPool2d: (x) => F.maxPool2d(x.mul(x), 2),
  avgPool2d: (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1 }).pow(3),
  adaptiveAvgPool2d: (x) => F.adaptiveAvgPool2d(x, [2, 3]).pow(3),
  "pad reflect": (x) => F.pad(x, [1, 2, 2, 1], "reflect").pow(3),
  "interpolate nearest": (x) => F.interpolate(x, { scaleFactor: 2, mode: "nearest" }).pow(3),
  "batchNorm train": (x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }).pow(2),
  groupNorm: (x, w, b) => F.groupNorm(x, 2, w, b).pow(2),
  layerNorm: (x, w, b) => F.layerNorm(x, 4, w, b).pow(2),
  embedding: (w) => F.embedding(i32([[0, 2, 1], [3, 3, 0]]), w).pow(3),
  crossEntropy: (x) => F.crossEntropy(x, i32([0, 2, 1]), { labelSmoothing: 0.1 }),
  nllLoss: (x) => F.nllLoss(x.logSoftmax(1), i32([1, 0, 3]), { reduction: "sum" }),
  binaryCrossEntropy: (x, t) => F.binaryCrossEntropy(x.sigmoid(), t.sigmoid()),
  klDiv: (x, t) => F.klDiv(x.logSoftmax(1), t.softmax(1), { reduction: "batchmean" }),
  "gelu/silu/mish/elu": (x) => F.gelu(x).mul(F.silu(x)).add(F.mish(x).mul(F.elu(x, 0.5))),
  scaledDotProductAttention: (q, k, v) => F.scaledDotProductAttention(q, k, v, { isCausal: true }),
};

const make = (f: Flat, requiresGrad = false) => tensor(f.data, { shape: f.shape, dtype: "float64", requiresGrad });

function close(got: Tensor | null, want: Flat | null, what: string): void {
  if (want === null) {
    expect(got === null || [...got.toTypedArray()].every((x) => x === 0), what).toBe(true);
    return;
  }
  expect(got, what).not.toBeNull();
  expect([...got!.shape], what).toEqual(want.shape);
  const values = got!.toTypedArray();
  want.data.forEach((w, i) => expect(Math.abs(values[i] - w) <= 1e-9 + 1e-9 * Math.abs(w), `${what}[${i}]: ${values[i]} vs torch ${w}`).toBe(true));
}

describe("second derivatives through nn's layers against torch 1.13 (createGraph)", () => {
  it("covers every case of the fixture", () => {
    expect(new Set(FIXTURE.cases.map((c) => c.name))).toEqual(new Set(Object.keys(FUNCTIONS)));
  });
  for (const c of FIXTURE.cases) {
    it(c.name, () => {
      const xs = c.inputs.map((f) => make(f, true));
      const out = FUNCTIONS[c.name](...xs);
      const gs = autograd.grad(out, xs, { gradOutputs: make(c.v), createGraph: true, allowUnused: true });
      gs.forEach((g, i) => close(g, c.grads[i], `g${i}`));
      let s: Tensor | null = null;
      gs.forEach((g, i) => {
        if (g !== null) s = s === null ? g.mul(make(c.w[i])).sum() : s.add(g.mul(make(c.w[i])).sum());
      });
      const hs = autograd.grad(s!, xs, { allowUnused: true });
      hs.forEach((h, i) => close(h, c.hessianTimesW[i], `h${i}`));
    });
  }
});

/** The generator's layers (torch's state dicts load under their own keys), run on an input. */
const LAYERS: Record<string, { make: () => Module; run: (m: Module, x: Tensor) => Tensor }> = {
  "LSTM 2 layers bidirectional": {
    make: () => new LSTM(3, 4, { numLayers: 2, bidirectional: true, dtype: "float64" }),
    run: (m, x) => (m as LSTM).forward(x)[0],
  },
  "GRU batchFirst": { make: () => new GRU(3, 4, { batchFirst: true, dtype: "float64" }), run: (m, x) => (m as GRU).forward(x)[0] },
  "RNN relu": { make: () => new RNN(3, 2, { nonlinearity: "relu", dtype: "float64" }), run: (m, x) => (m as RNN).forward(x)[0] },
  MultiheadAttention: {
    make: () => new MultiheadAttention(4, 2, { batchFirst: true, dtype: "float64" }),
    run: (m, x) => (m as MultiheadAttention).forward(x, x, x)[0],
  },
};

describe("second derivatives through recurrent and attention layers against torch 1.13 (createGraph)", () => {
  it("covers every layer of the fixture", () => {
    expect(new Set(FIXTURE.layers.map((c) => c.name))).toEqual(new Set(Object.keys(LAYERS)));
  });
  for (const c of FIXTURE.layers) {
    it(c.name, () => {
      const layer = LAYERS[c.name].make().eval();
      const state: Record<string, Tensor> = {};
      for (const [k, f] of Object.entries(c.state)) state[k] = make(f);
      expect(layer.loadStateDict(state)).toEqual({ missingKeys: [], unexpectedKeys: [] });
      const x = make(c.input, true);
      const [g] = autograd.grad(LAYERS[c.name].run(layer, x), x, { gradOutputs: make(c.v), createGraph: true });
      close(g, c.grad, "g");
      // relu's second derivative is 0: the gradient then does not depend on x (torch gives zeros)
      const [h] = autograd.grad(g!.mul(make(c.w)).sum(), x, { allowUnused: true });
      close(h ?? make({ shape: c.input.shape, data: c.input.data.map(() => 0) }), c.hessianTimesW, "h");
    });
  }
});
