import { beforeEach, describe, expect, it } from "vitest";
import { Tensor, manualSeed, randn } from "@minigrad/tensor";
import { LBFGS, LBFGS_DEFAULTS, OptimizerError, stateDictFromJSON, stateDictToJSON } from "@minigrad/optim";
import { bits, linearProblem } from "./helpers/models";

// torch's battery (TestOptimRenewed ★ tests) as it applies to LBFGS, whose step needs a
// closure (optimizer-battery.test.ts steps without one): the values are in optim-more-conformance.

beforeEach(() => manualSeed(0));

const CONFIGS = [{}, { lineSearchFn: "strong_wolfe" as const }, { lr: 0.1, historySize: 3, maxIter: 5 }];

function closureFor(opt: LBFGS, loss: () => Tensor) {
  return () => {
    opt.zeroGrad();
    const l = loss();
    l.backward();
    return l;
  };
}

describe("LBFGS", () => {
  it("has torch's defaults in torch's key order; maxEval defaults to maxIter * 5 / 4, rounded down", () => {
    const p = randn([2], { requiresGrad: true });
    expect(Object.entries(new LBFGS([p]).defaults)).toEqual(Object.entries(LBFGS_DEFAULTS));
    expect(new LBFGS([p], { maxIter: 7 }).defaults.maxEval).toBe(8);
    expect(new LBFGS([p], { maxIter: 7, maxEval: 3 }).defaults.maxEval).toBe(3);
  });

  it("refuses parameter groups, another line search and unknown options, with torch's messages", () => {
    const [p, q] = [randn([2], { requiresGrad: true }), randn([2], { requiresGrad: true })];
    expect(() => new LBFGS([{ params: [p] }, { params: [q] }])).toThrow(
      new OptimizerError("LBFGS doesn't support per-parameter options (parameter groups)"),
    );
    expect(() => new LBFGS([p], { lineSearchFn: "armijo" as never })).toThrow("only 'strong_wolfe' is supported");
    expect(() => new LBFGS([p], { max_iter: 3 } as never)).toThrow("LBFGS got an unexpected option 'max_iter'");
    expect(() => new LBFGS([])).toThrow("optimizer got an empty parameter list");
    expect(String(new LBFGS([p]))).toMatch(/^LBFGS \(\nParameter Group 0\n/);
  });

  it("needs a closure, and returns the loss of its first call", () => {
    const { weight, bias, loss } = linearProblem(true);
    const opt = new LBFGS([weight, bias]);
    expect(() => opt.step()).toThrow(TypeError);
    const before = loss().item();
    const returned = opt.step(closureFor(opt, loss)) as Tensor;
    expect(returned.item()).toBe(before);
  });

  for (const contiguous of [true, false]) {
    for (const config of CONFIGS) {
      it(`goes the right direction, ${contiguous ? "contiguous" : "strided"} params, ${JSON.stringify(config)}`, () => {
        const { weight, bias, loss } = linearProblem(contiguous);
        const opt = new LBFGS([weight, bias], config);
        const initial = loss().item();
        for (let i = 0; i < 3; i++) opt.step(closureFor(opt, loss));
        expect(loss().item()).toBeLessThan(initial);
        expect(Object.keys(opt.state.get(weight) ?? {})).toEqual([
          "funcEvals", "nIter", "al", "d", "t", "oldDirs", "oldStps", "ro", "hDiag", "prevFlatGrad", "prevLoss",
        ]);
        expect(opt.state.has(bias)).toBe(false); // the state lives on the first parameter, as torch's
      });
    }
  }

  it("stops at once when the gradient is below toleranceGrad, and leaves a param without grad alone", () => {
    const w = randn([3], { requiresGrad: true });
    const frozen = randn([2], { requiresGrad: true });
    const [wBits, frozenBits] = [bits(w), bits(frozen)];
    const opt = new LBFGS([w, frozen]);
    opt.step(() => {
      opt.zeroGrad();
      const l = w.mul(0).sum();
      l.backward();
      return l;
    });
    expect(opt.state.get(w)).toEqual({ funcEvals: 1, nIter: 0 });
    expect(bits(w)).toEqual(wBits);
    expect(frozen.grad).toBeNull();
    expect(bits(frozen)).toEqual(frozenBits);
  });

  for (const via of ["stateDict()", "JSON"]) {
    it(`a clone loaded from the state dict (${via}) stays bit-identical in parallel runs (test_state_dict_deterministic)`, () => {
      const { weight, bias, input } = linearProblem(true);
      const lossOf = (w: Tensor, b: Tensor) => () => w.matmul(input).add(b).pow(2).sum().add(w.pow(2).sum());
      const opt = new LBFGS([weight, bias], { lineSearchFn: "strong_wolfe", maxIter: 3, historySize: 4 });
      for (let i = 0; i < 2; i++) opt.step(closureFor(opt, lossOf(weight, bias)));
      const [w2, b2] = [weight.detach().clone().requiresGrad_(true), bias.detach().clone().requiresGrad_(true)];
      const opt2 = new LBFGS([w2, b2], { lr: 0.5 });
      const sd = opt.stateDict();
      opt2.loadStateDict(via === "JSON" ? stateDictFromJSON(JSON.parse(JSON.stringify(stateDictToJSON(sd)))) : sd);
      expect(opt2.paramGroups[0].lineSearchFn).toBe("strong_wolfe");
      for (let i = 0; i < 3; i++) {
        opt.step(closureFor(opt, lossOf(weight, bias)));
        opt2.step(closureFor(opt2, lossOf(w2, b2)));
        expect(bits(w2)).toEqual(bits(weight));
        expect(bits(b2)).toEqual(bits(bias));
      }
      expect(stateDictToJSON(opt2.stateDict())).toEqual(stateDictToJSON(opt.stateDict()));
    });
  }

  it("a state dict whose vectors do not fit the parameters fails the next step without changing them", () => {
    const { weight, bias, loss } = linearProblem(true);
    const opt = new LBFGS([weight, bias]);
    opt.step(closureFor(opt, loss));
    const sd = opt.stateDict();
    const [other, more] = [randn([4, 5], { requiresGrad: true }), randn([3], { requiresGrad: true })];
    const opt2 = new LBFGS([other, more]);
    opt2.loadStateDict(sd);
    const before = bits(other);
    const closure = closureFor(opt2, () => other.pow(2).sum().add(more.pow(2).sum()));
    expect(() => opt2.step(closure)).toThrow("LBFGS: the state's d is not a float32 vector of 23 elements");
    expect(bits(other)).toEqual(before);
  });
});
