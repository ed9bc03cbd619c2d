import { beforeEach, describe, expect, it } from "vitest";
import { Tensor, manualSeed, randn, tensor, zeros, zerosLike } from "@minigrad/tensor";
import { OptimizerError, RMSprop, rmspropUpdate, stateDictFromJSON, stateDictToJSON } from "@minigrad/optim";
import { TORCH_RMSPROP_CONFIGS, bits, leaf, linearProblem } from "./helpers/models";

// Mirrors the torch tests marked ★ in torch-semantics.md §4.1 / §4.4 (TestOptimRenewed).

beforeEach(() => manualSeed(0));

describe("RMSprop: option validation (test_errors)", () => {
  it("accepts torch's foreach flag and refuses differentiable=true (the step runs under noGrad)", () => {
    const p = zeros([2], { requiresGrad: true });
    expect(new RMSprop([p], { foreach: true }).paramGroups[0].foreach).toBe(true);
    expect(() => new RMSprop([p], { differentiable: true })).toThrow(/differentiable=true is not supported/);
  });

  const p = () => [zeros([2], { requiresGrad: true })];

  it.each([
    [{ lr: -1 }, "Invalid learning rate: -1"],
    [{ lr: NaN }, "Invalid learning rate: NaN"],
    [{ eps: -1e-8 }, "Invalid epsilon value: -1e-8"],
    [{ momentum: -1 }, "Invalid momentum value: -1"],
    [{ weightDecay: -0.5 }, "Invalid weight_decay value: -0.5"],
    [{ alpha: -0.1 }, "Invalid alpha value: -0.1"],
  ])("rejects %o with torch's message", (options, message) => {
    expect(() => new RMSprop(p(), options)).toThrow(OptimizerError);
    expect(() => new RMSprop(p(), options)).toThrow(message);
  });

  it("checks lr, eps, momentum, weight_decay, alpha in that order, before the parameters", () => {
    expect(() => new RMSprop(p(), { alpha: -1, momentum: -1 })).toThrow("Invalid momentum value: -1");
    expect(() => new RMSprop([], { eps: -1 })).toThrow("Invalid epsilon value: -1");
  });

  it("has no upper bounds: alpha = 2, momentum = 1.5, lr = 0 and eps = 0 are accepted", () => {
    const opt = new RMSprop(p(), { alpha: 2, momentum: 1.5, lr: 0, eps: 0 });
    expect(opt.defaults).toMatchObject({ alpha: 2, momentum: 1.5, lr: 0, eps: 0 });
  });

  it("rejects an option it does not know (a snake_case name, say)", () => {
    const options = { weight_decay: 0.1 } as unknown as { weightDecay: number };
    expect(() => new RMSprop(p(), options)).toThrow(new TypeError("RMSprop got an unexpected option 'weight_decay'"));
  });

  it("has torch's defaults, in torch's key order", () => {
    expect(Object.entries(new RMSprop(p()).defaults)).toEqual([
      ["lr", 0.01], ["momentum", 0], ["alpha", 0.99], ["eps", 1e-8],
      ["centered", false], ["weightDecay", 0], ["foreach", null], ["maximize", false], ["differentiable", false],
    ]);
  });
});

describe("RMSprop goes the right direction (test_forloop_goes_right_direction)", () => {
  for (const contiguous of [true, false]) {
    for (const config of TORCH_RMSPROP_CONFIGS) {
      it(`${contiguous ? "contiguous" : "strided"} params, ${JSON.stringify(config)}`, () => {
        const { weight, bias, loss, closure } = linearProblem(contiguous);
        expect(weight.isContiguous).toBe(contiguous);
        const opt = new RMSprop([weight, bias], config);
        const initial = loss().item();
        for (let i = 0; i < 20; i++) opt.step(closure(() => opt.zeroGrad()));
        const final = loss().item();
        if ("maximize" in config) expect(final).toBeGreaterThan(initial);
        else expect(final).toBeLessThan(initial);
      });
    }
  }

  it("with two param groups, the second with its own lr (test_param_group_with_lrscheduler_goes_right_direction)", () => {
    const { weight, bias, loss, closure } = linearProblem(false);
    const opt = new RMSprop([{ params: [weight] }, { params: [bias], lr: 0.01 }], { lr: 1e-3 });
    const initial = loss().item();
    for (let i = 0; i < 20; i++) opt.step(closure(() => opt.zeroGrad()));
    expect(loss().item()).toBeLessThan(initial);
  });

  it("with weight decay in one group only (test_param_groups_weight_decay)", () => {
    const { weight, bias, loss, closure } = linearProblem(true);
    const opt = new RMSprop([{ params: [weight], weightDecay: 0.1 }, { params: [bias], weightDecay: 0 }], { lr: 1e-3 });
    const initial = loss().item();
    for (let i = 0; i < 20; i++) opt.step(closure(() => opt.zeroGrad()));
    expect(loss().item()).toBeLessThan(initial);
  });
});

describe("RMSprop: grads that are zero or null", () => {
  for (const config of TORCH_RMSPROP_CONFIGS.filter((c) => !("weightDecay" in c))) {
    it(`a zero grad leaves the param bit-identical but advances step, ${JSON.stringify(config)}`, () => {
      const w = leaf([10, 5], false);
      const before = bits(w);
      const opt = new RMSprop([w], config);
      opt.step(() => {
        w.grad = zerosLike(w);
        return 0;
      });
      expect(bits(w)).toEqual(before);
      expect(opt.state.get(w)?.step).toBe(1);
    });
  }

  it("a zero grad with weight decay still moves the param (torch: p=[1,-1], lr 0.1, wd 0.5)", () => {
    const p = tensor([1, -1], { requiresGrad: true });
    const opt = new RMSprop([p], { lr: 0.1, weightDecay: 0.5 });
    p.grad = zerosLike(p);
    opt.step();
    const [a, b] = p.toArray() as number[];
    expect(a).toBeGreaterThan(0);
    expect(a).toBeCloseTo(2.4e-7, 8);
    expect(b).toBe(-a);
  });

  it("params with a null grad are skipped: no state, no step (test_step_is_noop_when_params_have_no_grad)", () => {
    const frozen = randn([3, 2]);
    const live = randn([2], { requiresGrad: true });
    const before = bits(frozen);
    const opt = new RMSprop([frozen, live], { momentum: 0.9, centered: true });
    const loss = opt.step(() => {
      live.grad = null;
      const l = live.mul(2).sum();
      l.backward();
      return l;
    });
    expect(loss).toBeInstanceOf(Tensor);
    expect(bits(frozen)).toEqual(before);
    expect(opt.state.has(frozen)).toBe(false);
    expect(opt.state.get(live)?.step).toBe(1);
    live.grad = null;
    opt.step();
    expect(opt.state.get(live)?.step).toBe(1);
  });
});

describe("RMSprop: param groups", () => {
  it("a group's lr overrides the default; a param left at lr 1e-28 stays bit-identical (test_param_groups_lr)", () => {
    for (const config of TORCH_RMSPROP_CONFIGS) {
      const { weight, bias, loss, closure } = linearProblem(true);
      const irrelevant = randn([2, 2], { requiresGrad: true });
      const before = bits(irrelevant);
      const opt = new RMSprop([{ params: [weight, bias], lr: 1e-2 }, { params: [irrelevant] }], { ...config, lr: 1e-28 });
      const initial = loss().item();
      for (let i = 0; i < 20; i++) {
        opt.step(() => {
          const l = closure(() => opt.zeroGrad())();
          irrelevant.grad = randn([2, 2]);
          return l;
        });
      }
      if ("maximize" in config) expect(loss().item()).toBeGreaterThan(initial);
      else expect(loss().item()).toBeLessThan(initial);
      expect(bits(irrelevant)).toEqual(before);
    }
  });
});

describe("RMSprop: state", () => {
  it("is created lazily, with momentumBuffer only for momentum and gradAvg only when centered (test_non_empty_state)", () => {
    const [a, b, c] = [randn([5, 5], { requiresGrad: true }), randn([5], { requiresGrad: true }), randn([3], { requiresGrad: true })];
    const opt = new RMSprop([{ params: [a] }, { params: [b], momentum: 0.9 }, { params: [c], centered: true }]);
    expect(opt.state.size).toBe(0);
    for (const p of [a, b, c]) p.grad = randn(p.shape as number[]);
    opt.step();
    expect(Object.keys(opt.state.get(a) ?? {})).toEqual(["step", "squareAvg"]);
    expect(Object.keys(opt.state.get(b) ?? {})).toEqual(["step", "squareAvg", "momentumBuffer"]);
    expect(Object.keys(opt.state.get(c) ?? {})).toEqual(["step", "squareAvg", "gradAvg"]);
    for (const entry of opt.state.values()) expect(entry.step).toBe(1);
  });

  it("is not re-created when momentum is turned on later: the next step throws, as torch's KeyError", () => {
    const [p, q] = [randn([3], { requiresGrad: true }), randn([2], { requiresGrad: true })];
    const opt = new RMSprop([p, q]);
    p.grad = randn([3]);
    q.grad = randn([2]);
    opt.step();
    opt.paramGroups[0].momentum = 0.9;
    const before = [bits(p), bits(q)];
    expect(() => opt.step()).toThrow(
      "RMSprop: the parameter's state has no momentumBuffer (momentum was turned on after it was created)",
    );
    expect([bits(p), bits(q)]).toEqual(before); // checked before any parameter of the group moved
    expect(opt.state.get(p)?.step).toBe(1);
  });

  it("the update bumps the version of the param and its buffers, and never touches the grad", () => {
    const p = randn([4], { requiresGrad: true });
    const g = randn([4]);
    p.grad = g;
    const gradBits = bits(g);
    const opt = new RMSprop([p], { momentum: 0.5, maximize: true, weightDecay: 0.1 });
    const v0 = p.version;
    opt.step();
    expect(p.version).toBe(v0 + 1);
    expect(p.grad).toBe(g);
    expect(bits(g)).toEqual(gradBits);
  });
});

describe("rmspropUpdate", () => {
  const hp = { lr: 0.01, alpha: 0.9, eps: 1e-6, weightDecay: 0.05, momentum: 0.7, centered: true, foreach: null, maximize: false, differentiable: false };

  for (const dtype of ["float32", "float64"] as const) {
    it(`gives the same bits on a transposed param and grad as on contiguous copies (${dtype})`, () => {
      const base = randn([4, 6], { dtype });
      const strided = base.transpose(0, 1); // [6, 4], non-contiguous
      const flat = strided.contiguous().clone();
      const grad = randn([4, 6], { dtype }).transpose(0, 1);
      const buffers = (t: Tensor) => ({ squareAvg: zerosLike(t), momentumBuffer: zerosLike(t), gradAvg: zerosLike(t) });
      const [s1, s2] = [buffers(strided), buffers(flat)];
      for (let i = 0; i < 5; i++) {
        rmspropUpdate(strided, grad, s1, hp);
        rmspropUpdate(flat, grad.contiguous(), s2, hp);
      }
      expect(bits(strided)).toEqual(bits(flat));
      expect(bits(s1.gradAvg)).toEqual(bits(s2.gradAvg));
      expect(strided.isContiguous).toBe(false);
    });
  }

  it("refuses an expanded (self-overlapping) param and mismatched buffers", () => {
    const p = randn([3]).unsqueeze(0).expand([2, 3]);
    expect(() => rmspropUpdate(p, zeros([2, 3]), { squareAvg: zeros([2, 3]) }, hp)).toThrow("share memory");
    const q = randn([3]);
    expect(() => rmspropUpdate(q, zeros([3]), { squareAvg: zeros([4]) }, { ...hp, centered: false, momentum: 0 })).toThrow(
      "RMSprop: squareAvg is float32 [4] but the parameter is float32 [3]",
    );
  });
});

describe("RMSprop: state dict round trip (test_state_dict_deterministic)", () => {
  for (const via of ["stateDict()", "JSON"]) {
    it(`a clone loaded from the state dict (${via}) stays bit-identical in parallel runs`, () => {
      const { weight, bias, input } = linearProblem(true);
      const config = { weightDecay: 0.1, centered: true, momentum: 0.1 };
      const opt = new RMSprop([{ params: [weight] }, { params: [bias], lr: 0.02 }], config);
      const stepWith = (o: RMSprop, w: Tensor, b: Tensor) =>
        o.step(() => {
          o.zeroGrad();
          const l = w.matmul(input).add(b).pow(2).sum();
          l.backward();
          return l;
        });
      for (let i = 0; i < 10; i++) stepWith(opt, weight, bias);
      const w2 = weight.detach().clone().requiresGrad_(true);
      const b2 = bias.detach().clone().requiresGrad_(true);
      const opt2 = new RMSprop([{ params: [w2] }, { params: [b2] }], { ...config, lr: 0.5 });
      const sd = opt.stateDict();
      opt2.loadStateDict(via === "JSON" ? stateDictFromJSON(JSON.parse(JSON.stringify(stateDictToJSON(sd)))) : sd);
      expect(opt2.paramGroups[1].lr).toBe(0.02);
      for (let i = 0; i < 10; i++) {
        stepWith(opt, weight, bias);
        stepWith(opt2, w2, b2);
        expect(bits(w2)).toEqual(bits(weight));
        expect(bits(b2)).toEqual(bits(bias));
      }
      expect(stateDictToJSON(opt2.stateDict())).toEqual(stateDictToJSON(opt.stateDict()));
    });
  }
});
