import { describe, expect, it } from "vitest";
import { randn, tensor, zeros } from "@minigrad/tensor";
import { Adadelta, Adamax, NAdam, RAdam, nadamUpdate } from "@minigrad/optim";
import { BITS, describeTraces, type AnyOptimizer, type Make, type Tolerance } from "./helpers/optim-traces";

// fixtures/optim-family.json: traces recorded from torch.optim's Adamax, NAdam, RAdam and
// Adadelta (PyTorch 1.13's CPU for-loop path) by fixtures/gen_optim_family.py. float32 must
// match bit for bit (every operation of torch's kernels emulated, FMAs included); float64
// (the same operations in double, without torch's FMAs) to 1e-12 relative.

// Each class's hooks are typed by its own `this`, so it is an Optimizer<object> only by a cast.
const MAKE: Record<string, Make> = {
  Adamax: (p, o) => new Adamax(p as never, o) as unknown as AnyOptimizer,
  NAdam: (p, o) => new NAdam(p as never, o) as unknown as AnyOptimizer,
  RAdam: (p, o) => new RAdam(p as never, o) as unknown as AnyOptimizer,
  Adadelta: (p, o) => new Adadelta(p as never, o) as unknown as AnyOptimizer,
};

/** What each optimizer promises (README): every one is bit-identical in float32. */
const TOLERANCE: Record<string, Tolerance> = { Adamax: BITS, NAdam: BITS, RAdam: BITS, Adadelta: BITS };

describeTraces("optim-family.json", MAKE, (c) => TOLERANCE[c.optimizer]);

describe("NAdam's muProduct, rounded as torch 1.13's 0-d tensor", () => {
  const isFloat32 = (x: number) => Math.fround(x) === x;
  const stepped = (dtype: "float32" | "float64", steps: number) => {
    const p = randn([3], { dtype, requiresGrad: true });
    const opt = new NAdam([p], { lr: 0.01 });
    for (let i = 0; i < steps; i++) {
      p.grad = randn([3], { dtype });
      opt.step();
    }
    return { p, opt };
  };

  it("is a float32 value when a step creates it, for float64 parameters too (torch.tensor(1.))", () => {
    const { p, opt } = stepped("float64", 4);
    const mp = opt.state.get(p)?.muProduct as number;
    expect(mp).toBeGreaterThan(0);
    expect(mp).toBeLessThan(1);
    expect(isFloat32(mp)).toBe(true);
  });

  it("takes the parameter's dtype after loadStateDict (torch casts state tensors): double for float64", () => {
    const { p, opt } = stepped("float64", 2);
    const q = p.detach().clone().requiresGrad_(true);
    const loaded = new NAdam([q]);
    loaded.loadStateDict(opt.stateDict());
    expect(loaded.state.get(q)?.muProduct).toBe(opt.state.get(p)?.muProduct);
    q.grad = randn([3], { dtype: "float64" });
    loaded.step();
    expect(isFloat32(loaded.state.get(q)?.muProduct as number)).toBe(false);
  });

  it("reads a PyTorch checkpoint's 0-d tensor, rounded to a float32 parameter's precision", () => {
    const { p, opt } = stepped("float32", 1);
    const sd = opt.stateDict();
    sd.state[0].muProduct = tensor(0.123456789, { dtype: "float64" });
    const loaded = new NAdam([p.detach().clone().requiresGrad_(true)]);
    loaded.loadStateDict(sd);
    expect(loaded.state.get(loaded.paramGroups[0].params[0])?.muProduct).toBe(Math.fround(0.123456789));
  });

  it("nadamUpdate takes μ₁⋯μₜ₋₁ and returns μ₁⋯μₜ, in the precision asked for", () => {
    const hp = { lr: 0.01, betas: [0.9, 0.999] as const, eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3 };
    const mu1 = 0.9 * (1 - 0.5 * 0.96 ** 4e-3);
    const mu2 = 0.9 * (1 - 0.5 * 0.96 ** (2 * 4e-3));
    const run = (dtype: "float32" | "float64") => {
      const p = zeros([2], { dtype });
      const buffers = { expAvg: zeros([2], { dtype }), expAvgSq: zeros([2], { dtype }) };
      const g = tensor([1, -2], { dtype });
      const one = nadamUpdate(p, g, buffers, hp, 1, 1, dtype);
      return [one, nadamUpdate(p, g, buffers, hp, 2, one, dtype)];
    };
    const f = Math.fround;
    expect(run("float32")).toEqual([f(mu1), f(f(mu1) * f(mu2))]);
    expect(run("float64")).toEqual([mu1, mu1 * mu2]);
  });
});
