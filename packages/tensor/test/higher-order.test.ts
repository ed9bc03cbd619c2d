import { describe, expect, it } from "vitest";
import {
  Tensor, autograd, avgPool2d, gradgradcheck, manualSeed, maxPool2dWithIndices, pad, randn, record, recurrentLayer, remap, tensor,
} from "../src/index";
import { OPS, gradgradcheckCase } from "./helpers/op-table";

manualSeed(0);
const differentiable = OPS.filter((e) => e.differentiable);

/**
 * Ops whose backward is a kernel with no recorded form yet: a backward with createGraph
 * through them throws (rather than give a gradient of a gradient that misses their terms).
 */
const NOT_TWICE_YET = new Set<string>([]);

describe("gradgradcheck: second derivatives through createGraph match finite differences, for every op", () => {
  for (const op of differentiable) {
    op.examples.forEach((c, i) => {
      if (NOT_TWICE_YET.has(op.name)) {
        it(`${op.name}: ${c.label} refuses createGraph, naming its backward`, () => {
          expect(() => gradgradcheckCase(op, c, i)).toThrow(
            /Backward: the backward of this op is not differentiable yet, so a backward with createGraph/,
          );
        });
        return;
      }
      it(`${op.name}: ${c.label}`, () => {
        expect(gradgradcheckCase(op, c, i)).toBe(true);
      });
    });
  }
});

// Values from torch 1.13 (Debian's python3-torch), the Python above each case.
describe("autograd.grad with createGraph", () => {
  it("gives a gradient that is itself differentiable (the issue's example)", () => {
    // x = torch.tensor([1.5, -0.3], dtype=torch.float64, requires_grad=True); y = x.pow(3).sum()
    // g, = torch.autograd.grad([y], [x], create_graph=True) -> [6.75, 0.27]
    // h, = torch.autograd.grad([g.sum()], [x]) -> [9.0, -1.8]
    const x = tensor([1.5, -0.3], { dtype: "float64", requiresGrad: true });
    const [g] = autograd.grad([x.pow(3).sum()], [x], { createGraph: true });
    expect(g?.toArray()).toEqual([6.75, 0.27]);
    expect(g?.requiresGrad).toBe(true);
    const [h] = autograd.grad([g!.sum()], [x]);
    expect(h?.toArray()).toEqual([9, -1.7999999999999998]);
  });

  it("third derivatives: createGraph twice", () => {
    // d^3/dx^3 of x^4 = 24 x; torch: [36.0, -7.2] for x = [1.5, -0.3]
    const x = tensor([1.5, -0.3], { dtype: "float64", requiresGrad: true });
    const [g] = autograd.grad(x.pow(4).sum(), x, { createGraph: true });
    const [h] = autograd.grad(g!.sum(), x, { createGraph: true });
    const [t] = autograd.grad(h!.sum(), x);
    expect((t?.toArray() as number[]).map((v) => Number(v.toFixed(12)))).toEqual([36, -7.2]);
  });

  it("a gradient penalty (WGAN-GP style) trains through the recorded backward", () => {
    // w = torch.tensor([0.5, -1.0], requires_grad=True, dtype=torch.float64); x = torch.tensor([2.0, 3.0], dtype=torch.float64)
    // out = (w * x).tanh().sum(); gw, = torch.autograd.grad(out, w, create_graph=True)
    // penalty = (gw.norm() - 1) ** 2; penalty.backward(); w.grad -> [0.8159042809089903, -0.001985529496881386]
    const w = tensor([0.5, -1.0], { dtype: "float64", requiresGrad: true });
    const x = tensor([2, 3], { dtype: "float64" });
    const [gw] = autograd.grad(w.mul(x).tanh().sum(), w, { createGraph: true });
    const penalty = gw!.mul(gw!).sum().sqrt().sub(1).pow(2);
    penalty.backward();
    const got = w.grad?.toArray() as number[];
    expect(got[0]).toBeCloseTo(TORCH_PENALTY_GRAD[0], 12);
    expect(got[1]).toBeCloseTo(TORCH_PENALTY_GRAD[1], 12);
  });

  it("backward(null, { createGraph: true }) fills a .grad that can be differentiated again", () => {
    // x = torch.tensor([1.5, -0.3], dtype=torch.float64, requires_grad=True); x.pow(3).sum().backward(create_graph=True)
    // x.grad -> [6.75, 0.27] (with grad_fn); torch.autograd.grad(x.grad.sum(), x) -> ([9.0, -1.8],)
    const x = tensor([1.5, -0.3], { dtype: "float64", requiresGrad: true });
    x.pow(3).sum().backward(null, { createGraph: true });
    expect(x.grad?.toArray()).toEqual([6.75, 0.27]);
    expect(x.grad?.requiresGrad).toBe(true);
    expect(autograd.grad(x.grad!.sum(), x)[0]?.toArray()).toEqual([9, -1.7999999999999998]);
  });

  it("an op whose backward is not marked twice() refuses createGraph instead of a silently wrong result", () => {
    // a user's own op: record() with a backward written on raw data, not marked twice()
    const square = (x: Tensor) => {
      const out = Tensor.empty(x.shape, x.dtype);
      x.toTypedArray().forEach((v, i) => { out._data[i] = v * v; });
      return record(out, "SquareBackward", [x], (g, [x]) => [g.mul(x.detach().mul(2))], [x]);
    };
    const x = randn([3], { dtype: "float64", requiresGrad: true });
    expect(() => autograd.grad(square(x).sum(), x, { createGraph: true })).toThrow(
      /^SquareBackward: the backward of this op is not differentiable yet, so a backward with createGraph/,
    );
    expect(autograd.grad(square(x).sum(), x)[0]?.toArray()).toEqual((x.toArray() as number[]).map((v) => 2 * v));
  });

  it("pooling, padding and upsampling have second derivatives (gradgradcheck)", () => {
    const x = randn([1, 2, 4, 4], { dtype: "float64", requiresGrad: true });
    const win = { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], outputSize: [2, 2] } as const;
    expect(gradgradcheck((a) => maxPool2dWithIndices(a.mul(a), win)[0].mul(a.select(3, 0).narrow(2, 0, 2).unsqueeze(3)), [x])).toBe(true);
    const rows = { start: new Int32Array([0, 1]), end: new Int32Array([2, 4]), divisor: new Float64Array([2, 3]) };
    expect(gradgradcheck((a) => avgPool2d(a.mul(a), rows, rows).pow(2), [x])).toBe(true);
    expect(gradgradcheck((a) => pad(a, [1, 2, 0, 1], "reflect").pow(3), [x])).toBe(true);
    expect(gradgradcheck((a) => remap(a, [new Int32Array([0, 0, 1, -1, 3])]).pow(3), [x])).toBe(true);
  });
});

const TORCH_PENALTY_GRAD = [0.8159042809089903, -0.001985529496881386];

// torch.autograd.functional at x = [1., 2.] (float64); torch 1.13's results above each case.
describe("autograd.functional", () => {
  const F = autograd.functional;
  const x = () => tensor([1, 2], { dtype: "float64" });
  const t = (v: number[]) => tensor(v, { dtype: "float64" });
  const arr = (v: unknown): unknown => (Array.isArray(v) ? v.map(arr) : (v as { toArray(): unknown }).toArray());

  it("vjp: F.vjp(lambda a: a**2, x, ones) -> ([1, 4], [2, 4])", () => {
    expect(arr(F.vjp((a) => a.pow(2), x(), t([1, 1])))).toEqual([[1, 4], [2, 4]]);
  });

  it("jvp by the double-vjp trick: F.jvp(lambda a: a**2, x, [1, 0]) -> ([1, 4], [2, 0])", () => {
    expect(arr(F.jvp((a) => a.pow(2), x(), t([1, 0])))).toEqual([[1, 4], [2, 0]]);
  });

  it("jacobian: one input -> [[2, 0], [0, 4]]; two inputs -> one block per input", () => {
    expect(arr(F.jacobian((a) => a.pow(2), x()))).toEqual([[2, 0], [0, 4]]);
    // F.jacobian(lambda a, b: a*b, (x, [3, 4])) -> ([[3, 0], [0, 4]], [[1, 0], [0, 2]])
    expect(arr(F.jacobian((a, b) => a.mul(b), [x(), t([3, 4])]))).toEqual([[[3, 0], [0, 4]], [[1, 0], [0, 2]]]);
  });

  it("hessian: F.hessian(lambda a: (a**3).sum(), x) -> [[6, 0], [0, 12]]; two inputs -> blocks", () => {
    expect(arr(F.hessian((a) => a.pow(3).sum(), x()))).toEqual([[6, 0], [0, 12]]);
    // F.hessian(lambda a, b: (a*b).sum(), (x, [3, 4])) -> ((0, I), (I, 0))
    const I = [[1, 0], [0, 1]], Z = [[0, 0], [0, 0]];
    expect(arr(F.hessian((a, b) => a.mul(b).sum(), [x(), t([3, 4])]))).toEqual([[Z, I], [I, Z]]);
  });

  it("hvp: F.hvp(lambda a: (a**3).sum(), x, ones) -> (9, [6, 12])", () => {
    expect(arr(F.hvp((a) => a.pow(3).sum(), x(), t([1, 1])))).toEqual([9, [6, 12]]);
  });

  it("createGraph makes the results differentiable again; vectorize: true is refused (only torch's default, false)", () => {
    const p = t([1, 2]).requiresGrad_(true);
    const H = F.hessian((a) => a.pow(3).sum(), p, { createGraph: true }) as Tensor; // [[6a, 0], [0, 6b]]
    const [dH] = autograd.grad(H.sum(), p);
    expect(dH?.toArray()).toEqual([6, 6]);
    expect(arr(F.jacobian((a) => a.pow(2), x(), { vectorize: false }))).toEqual([[2, 0], [0, 4]]);
    expect(() => F.jacobian((a) => a.pow(2), x(), { vectorize: true } as never)).toThrow(/jacobian: vectorize: true is not supported/);
  });

  it("Newton's method on a 2-D function through the Hessian converges in a few steps", () => {
    // f(x, y) = (x - 1)^4 + (x - 1)^2 + (y + 2)^2: minimum at (1, -2)
    const f = (p: Tensor) => {
      const [a, b] = [p.select(0, 0), p.select(0, 1)];
      return a.sub(1).pow(4).add(a.sub(1).pow(2)).add(b.add(2).pow(2));
    };
    let p = t([3, 3]);
    for (let i = 0; i < 20; i++) {
      const H = F.hessian(f, p) as Tensor;
      const g = F.vjp(f, p)[1] as Tensor;
      const [[a, b], [c, d]] = H.toArray() as number[][];
      const [g0, g1] = g.toArray() as number[];
      const det = a * d - b * c;
      p = t([(p.toArray() as number[])[0] - (d * g0 - b * g1) / det, (p.toArray() as number[])[1] - (a * g1 - c * g0) / det]);
    }
    const [px, py] = p.toArray() as number[];
    expect(px).toBeCloseTo(1, 6);
    expect(py).toBeCloseTo(-2, 12);
  });

  it("recurrentLayer in every mode and direction has second derivatives (gradgradcheck)", () => {
    const T = 3, B = 2, H = 2;
    for (const mode of ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"] as const) {
      const G = mode === "LSTM" ? 4 : mode === "GRU" ? 3 : 1;
      const r = (s: number[]) => randn(s, { dtype: "float64", requiresGrad: true });
      const ins = [r([T, B, G * H]), r([G * H, H]), r([B, H]), ...(mode === "LSTM" ? [r([B, H])] : []), r([G * H])];
      for (const reverse of [false, true]) {
        const f = (...xs: Tensor[]) =>
          recurrentLayer(mode, xs[0], xs[1], xs[xs.length - 1], xs[2], mode === "LSTM" ? xs[3] : null, reverse).pow(2);
        expect(gradgradcheck(f, ins)).toBe(true);
      }
    }
  });
});
