import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  Tensor, addmm, autograd, cat, elu, hardtanh, leakyRelu, mish, silu, softplus, stack, tensor, where, type DType,
} from "../src/index";

// fixtures/higher-order.json: second derivatives recorded from torch 1.13 by
// fixtures/gen_higher_order.py. For each case: g = d(out . v)/dx with createGraph, then
// h = d(sum_i g_i . w_i)/dx. float64 to 1e-10, float32 to 1e-5.

interface Flat {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  dtype: DType;
  inputs: Flat[];
  v: Flat;
  w: Flat[];
  grads: (Flat | null)[];
  hessianTimesW: (Flat | null)[];
}

const FIXTURE = JSON.parse(readFileSync(new URL("./fixtures/higher-order.json", import.meta.url), "utf8")) as { cases: Case[] };

/** The same functions as the generator's CASES, by name. */
const FUNCTIONS: Record<string, (...xs: Tensor[]) => Tensor> = {
  exp: (a) => a.exp(),
  log: (a) => a.log(),
  sqrt: (a) => a.sqrt(),
  tanh: (a) => a.tanh(),
  sigmoid: (a) => a.sigmoid(),
  "relu*x": (a) => a.relu().mul(a),
  gelu: (a) => a.gelu(),
  "abs*x": (a) => a.abs().mul(a),
  pow3: (a) => a.pow(3),
  "pow(a,b)": (a, b) => a.pow(b),
  mul: (a, b) => a.mul(b).mul(a),
  div: (a, b) => a.div(b),
  "sub/neg": (a, b) => a.sub(b).neg().mul(a),
  maximum: (a, b) => a.maximum(b).mul(a),
  minimum: (a, b) => a.minimum(b).mul(b),
  clamp: (a) => a.clamp(-0.5, 0.5).mul(a),
  where: (a, b) => where(a.gt(0), a.mul(b), b.mul(b)),
  sum: (a) => a.mul(a).sum(1),
  mean: (a) => a.exp().mean(0),
  var: (a) => a.var(1),
  amax: (a) => a.mul(a).amax(1),
  softmax: (a) => a.softmax(1),
  logSoftmax: (a) => a.logSoftmax(1),
  matmul: (a, b) => a.matmul(b).tanh(),
  addmm: (c, a, b) => addmm(c, a, b).sigmoid(),
  views: (a) => a.reshape([3, 2]).T.permute([1, 0]).expand([2, 3, 2]).exp(),
  slices: (a) => a.narrow(1, 1, 2).select(0, 1).exp().mul(a.select(0, 0).slice(0, 1, 3)),
  "cat/stack": (a, b) => stack([cat([a, b]).exp(), cat([b, a])]),
  linear: (x, w, b) => addmm(b, x, w.T).tanh(),
  "leakyRelu*x": (a) => leakyRelu(a, 0.2).mul(a),
  elu: (a) => elu(a, 0.5),
  softplus: (a) => softplus(a, 2, 3),
  "hardtanh*x": (a) => hardtanh(a, -0.5, 2).mul(a),
  silu: (a) => silu(a),
  mish: (a) => mish(a),
};

const make = (f: Flat, dtype: DType, requiresGrad = false) => tensor(f.data, { shape: f.shape, dtype, requiresGrad });

function close(got: Tensor | null, want: Flat | null, dtype: DType, what: string): void {
  if (want === null) {
    expect(got === null || (got.toTypedArray() as Float64Array).every((x) => x === 0), what).toBe(true);
    return;
  }
  expect(got, what).not.toBeNull();
  expect([...got!.shape], what).toEqual(want.shape);
  const [atol, rtol] = dtype === "float64" ? [1e-10, 1e-10] : [1e-5, 1e-4];
  const values = got!.toTypedArray();
  want.data.forEach((w, i) => {
    expect(Math.abs(values[i] - w) <= atol + rtol * Math.abs(w), `${what}[${i}]: ${values[i]} vs torch ${w}`).toBe(true);
  });
}

describe("second derivatives against torch 1.13 (createGraph)", () => {
  it("covers every case of the fixture", () => {
    expect(new Set(FIXTURE.cases.map((c) => c.name))).toEqual(new Set(Object.keys(FUNCTIONS)));
  });
  for (const c of FIXTURE.cases) {
    it(`${c.name} (${c.dtype})`, () => {
      const xs = c.inputs.map((f) => make(f, c.dtype, true));
      const out = FUNCTIONS[c.name](...xs);
      const gs = autograd.grad(out, xs, { gradOutputs: make(c.v, c.dtype), createGraph: true, allowUnused: true });
      gs.forEach((g, i) => close(g, c.grads[i], c.dtype, `g${i}`));
      let s: Tensor | null = null;
      gs.forEach((g, i) => {
        if (g !== null) s = s === null ? g.mul(make(c.w[i], c.dtype)).sum() : s.add(g.mul(make(c.w[i], c.dtype)).sum());
      });
      const hs = s !== null && (s as Tensor).requiresGrad ? autograd.grad(s, xs, { allowUnused: true }) : xs.map(() => null);
      hs.forEach((h, i) => close(h, c.hessianTimesW[i], c.dtype, `h${i}`));
    });
  }
});
