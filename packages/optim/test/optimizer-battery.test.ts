import { beforeEach, describe, expect, it, vi } from "vitest";
import { Tensor, manualSeed, randn, tensor, zeros, zerosLike } from "@minigrad/tensor";
import { OptimizerError, stateDictFromJSON, stateDictToJSON, type Optimizer } from "@minigrad/optim";
import { bits, leaf, linearProblem } from "./helpers/models";
import { OPTIMIZERS, type Options } from "./helpers/optimizer-table";

// torch's optimizer test battery (TestOptimRenewed, torch-semantics.md §4.1, the ★ tests),
// run on every optimizer of helpers/optimizer-table.ts with every config of its row.

beforeEach(() => manualSeed(0));

const label = (config: Options) => JSON.stringify(config);
const maximizes = (opt: Optimizer<object>) => opt.paramGroups[0].maximize === true;

/** A step that zeroes the grads, evaluates `loss` and backpropagates (torch's closure). */
function stepWith(opt: Optimizer<object>, loss: () => Tensor): Tensor {
  return opt.step(() => {
    opt.zeroGrad();
    const l = loss();
    l.backward();
    return l;
  }) as Tensor;
}

for (const entry of OPTIMIZERS) {
  const { name, make, baseOptions } = entry;
  const configs = entry.configs.map((c) => ({ ...baseOptions, ...c }));
  const param = () => zeros([2], { requiresGrad: true });

  describe(`${name}: options (test_errors)`, () => {
    it.each(entry.badOptions)(`rejects %o with torch's message`, (options, message) => {
      const error = (() => {
        try {
          make([param()], options);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error, "throws").toBeInstanceOf(Error);
      expect((error as Error).message).toBe(message);
      expect(error instanceof OptimizerError || error instanceof TypeError).toBe(true);
    });

    it("checks its options before the parameters (an empty list still reports the bad option)", () => {
      const [bad, message] = entry.badOptions[0];
      expect(() => make([], bad)).toThrow(message);
    });

    it("has torch's defaults, in torch's key order", () => {
      const opt = make([param()], baseOptions);
      expect(Object.entries(opt.defaults).map(([k, v]) => [k, k in baseOptions ? undefined : v])).toEqual(
        entry.defaults.map(([k, v]) => [k, k in baseOptions ? undefined : v]),
      );
    });

    it("refuses a tensor instead of an iterable, an empty list, and a parameter in two groups", () => {
      const p = param();
      expect(() => make(p as unknown as Tensor[], baseOptions)).toThrow(TypeError);
      expect(() => make([], baseOptions)).toThrow("optimizer got an empty parameter list");
      expect(() => make([{ params: [p] }, { params: [p] }], baseOptions)).toThrow(
        "some parameters appear in more than one parameter group",
      );
      const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
      make([p, p], baseOptions);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining("a parameter group with duplicate parameters"));
      warn.mockRestore();
    });

    it("can be printed (test_optimizer_can_be_printed)", () => {
      expect(String(make([param()], baseOptions))).toMatch(new RegExp(`^${name} \\(\\nParameter Group 0\\n`));
    });
  });

  describe(`${name}: goes the right direction (test_forloop_goes_right_direction)`, () => {
    for (const contiguous of [true, false]) {
      for (const config of configs) {
        it(`${contiguous ? "contiguous" : "strided"} params, ${label(config)}`, () => {
          const { weight, bias, loss } = linearProblem(contiguous);
          expect(weight.isContiguous).toBe(contiguous);
          const opt = make([weight, bias], config);
          const initial = loss().item();
          for (let i = 0; i < 20; i++) stepWith(opt, loss);
          if (maximizes(opt)) expect(loss().item()).toBeGreaterThan(initial);
          else expect(loss().item()).toBeLessThan(initial);
        });
      }
    }

    it("with two param groups, the second with its own lr (test_param_group_with_lrscheduler_goes_right_direction)", () => {
      const { weight, bias, loss } = linearProblem(false);
      const opt = make([{ params: [weight] }, { params: [bias], lr: 0.01 }], { ...baseOptions, lr: 1e-3 });
      const initial = loss().item();
      for (let i = 0; i < 20; i++) stepWith(opt, loss);
      expect(loss().item()).toBeLessThan(initial);
    });

    it("with weight decay in one group only (test_param_groups_weight_decay)", () => {
      const { weight, bias, loss } = linearProblem(true);
      const opt = make([{ params: [weight], weightDecay: 0.1 }, { params: [bias], weightDecay: 0 }], { ...baseOptions, lr: 1e-2 });
      const initial = loss().item();
      for (let i = 0; i < 20; i++) stepWith(opt, loss);
      expect(loss().item()).toBeLessThan(initial);
    });

    it("a group's lr overrides the default; a param left at lr 1e-28 stays bit-identical (test_param_groups_lr)", () => {
      for (const config of configs) {
        const { weight, bias, loss } = linearProblem(true);
        const irrelevant = randn([2, 2], { requiresGrad: true });
        const before = bits(irrelevant);
        const opt = make([{ params: [weight, bias], lr: 1e-2 }, { params: [irrelevant] }], { ...config, ...entry.lrTestOptions, lr: 1e-28 });
        const initial = loss().item();
        for (let i = 0; i < 20; i++) {
          opt.step(() => {
            opt.zeroGrad();
            const l = loss();
            l.backward();
            irrelevant.grad = randn([2, 2]);
            return l;
          });
        }
        if (maximizes(opt)) expect(loss().item(), label(config)).toBeGreaterThan(initial);
        else expect(loss().item(), label(config)).toBeLessThan(initial);
        expect(bits(irrelevant), label(config)).toEqual(before);
      }
    });
  });

  describe(`${name}: null and zero grads`, () => {
    it("params without grads: step(closure) is a no-op for them (test_step_is_noop_when_params_have_no_grad)", () => {
      const frozen = randn([3, 2]);
      const live = randn([2], { requiresGrad: true });
      const before = bits(frozen);
      const opt = make([frozen, live], configs[configs.length - 1]);
      const loss = opt.step(() => {
        live.grad = null;
        const l = live.mul(2).sum();
        l.backward();
        return l;
      });
      expect(loss).toBeInstanceOf(Tensor);
      expect(bits(frozen)).toEqual(before);
      if (entry.eagerState) expect(opt.state.get(frozen)?.step).toBe(0);
      else expect(opt.state.has(frozen)).toBe(false);
      if (entry.hasStep) {
        expect(opt.state.get(live)?.step).toBe(1);
        live.grad = null;
        const liveBefore = bits(live);
        opt.step();
        expect(opt.state.get(live)?.step).toBe(1);
        expect(bits(live)).toEqual(liveBefore);
      }
    });

    for (const config of configs) {
      it(`a zero grad leaves the param bit-identical when weight decay is 0 (test_step_is_noop_for_zero_grads), ${label(config)}`, () => {
        const w = leaf([10, 5], false);
        const before = bits(w);
        const opt = make([w], { ...config, ...entry.zeroGradOptions });
        if ((opt.paramGroups[0].weightDecay ?? 0) !== 0) return;
        opt.step(() => {
          w.grad = zerosLike(w);
          return 0;
        });
        expect(bits(w)).toEqual(before);
        if (entry.hasStep) expect(opt.state.get(w)?.step).toBe(1);
      });
    }
  });

  describe(`${name}: state`, () => {
    for (const config of configs) {
      it(`after one step every param has torch's state keys (test_non_empty_state), ${label(config)}`, () => {
        const { weight, bias, loss } = linearProblem(true);
        const opt = make([weight, bias], config);
        if (!entry.eagerState) expect(opt.state.size).toBe(0);
        stepWith(opt, loss);
        for (const p of [weight, bias]) {
          expect(Object.keys(opt.state.get(p) ?? {})).toEqual(entry.stateKeys(opt.paramGroups[0]));
          if (entry.hasStep) expect(opt.state.get(p)?.step).toBe(1);
        }
      });
    }

    it("the update bumps the param's version, and never touches the grad", () => {
      for (const config of configs) {
        const p = randn([4], { requiresGrad: true });
        const g = randn([4]);
        p.grad = g;
        const gradBits = bits(g);
        const opt = make([p], config);
        const v0 = p.version;
        opt.step();
        expect(p.version, label(config)).toBe(v0 + 1);
        expect(p.grad).toBe(g);
        expect(bits(g)).toEqual(gradBits);
      }
    });

    for (const dtype of ["float32", "float64"] as const) {
      it(`gives the same bits on transposed params as on contiguous copies (${dtype})`, () => {
        for (const config of configs) {
          const strided = randn([4, 6], { dtype }).transpose(0, 1).requiresGrad_(true);
          const flat = strided.detach().contiguous().clone().requiresGrad_(true);
          const [a, b] = [make([strided], config), make([flat], config)];
          for (let i = 0; i < 5; i++) {
            const g = randn([4, 6], { dtype }).transpose(0, 1);
            strided.grad = g;
            flat.grad = g.contiguous();
            a.step();
            b.step();
          }
          expect(strided.isContiguous).toBe(false);
          expect(bits(strided), label(config)).toEqual(bits(flat));
        }
      });
    }

    it("refuses an int32 parameter and a disposed grad before updating anything", () => {
      const good = randn([3], { requiresGrad: true });
      const before = bits(good);
      const opt = make([{ params: [good] }, { params: [tensor([1, 2], { dtype: "int32" })] }], baseOptions);
      good.grad = randn([3]);
      (opt.paramGroups[1].params[0] as Tensor).grad = tensor([1, 1], { dtype: "int32" });
      expect(() => opt.step()).toThrow("parameters must be float32 or float64");
      expect(bits(good)).toEqual(before);
    });
  });

  describe(`${name}: state dict`, () => {
    for (const via of ["stateDict()", "JSON"]) {
      it(`a clone loaded from the state dict (${via}) stays bit-identical in parallel runs (test_state_dict_deterministic)`, () => {
        const config = configs[configs.length - 1];
        const { weight, bias, input } = linearProblem(true);
        const lossOf = (w: Tensor, b: Tensor) => () => w.matmul(input).add(b).pow(2).sum();
        const opt = make([{ params: [weight] }, { params: [bias], lr: 0.02 }], config);
        for (let i = 0; i < 10; i++) stepWith(opt, lossOf(weight, bias));
        const w2 = weight.detach().clone().requiresGrad_(true);
        const b2 = bias.detach().clone().requiresGrad_(true);
        const opt2 = make([{ params: [w2] }, { params: [b2] }], { ...config, lr: 0.5 });
        const sd = opt.stateDict();
        opt2.loadStateDict(via === "JSON" ? stateDictFromJSON(JSON.parse(JSON.stringify(stateDictToJSON(sd)))) : sd);
        expect(opt2.paramGroups[1].lr).toBe(0.02);
        for (let i = 0; i < 10; i++) {
          stepWith(opt, lossOf(weight, bias));
          stepWith(opt2, lossOf(w2, b2));
          expect(bits(w2)).toEqual(bits(weight));
          expect(bits(b2)).toEqual(bits(bias));
        }
        expect(stateDictToJSON(opt2.stateDict())).toEqual(stateDictToJSON(opt.stateDict()));
      });
    }

    it("loads a checkpoint without the newer flags (test_can_load_older_state_dict), and a tensor step (test_load_nontensor_step)", () => {
      const { weight, bias, loss } = linearProblem(true);
      const opt = make([weight, bias], configs[configs.length - 1]);
      for (let i = 0; i < 3; i++) stepWith(opt, loss);
      const sd = opt.stateDict();
      for (const group of sd.paramGroups) for (const flag of entry.newerFlags) delete group[flag];
      if (entry.hasStep) for (const s of Object.values(sd.state)) s.step = tensor(s.step as number); // torch's 0-d step
      const opt2 = make([weight.detach().clone().requiresGrad_(true), bias.detach().clone().requiresGrad_(true)], baseOptions);
      opt2.loadStateDict(sd);
      for (const flag of entry.newerFlags) expect(opt2.paramGroups[0][flag], flag).toEqual(new Map(entry.defaults).get(flag));
      const p = opt2.paramGroups[0].params[0];
      p.grad = randn(p.shape as number[]);
      opt2.step();
      if (entry.hasStep) expect(opt2.state.get(p)?.step).toBe(4);
    });

    it("a failed loadStateDict changes nothing (a bad option in a group)", () => {
      const { weight, bias, loss } = linearProblem(true);
      const opt = make([weight, bias], configs[configs.length - 1]);
      stepWith(opt, loss);
      const sd = opt.stateDict();
      sd.paramGroups[0].lr = -1;
      const before = JSON.stringify(stateDictToJSON(opt.stateDict()));
      expect(() => opt.loadStateDict(sd)).toThrow("loadStateDict: parameter group 0 has lr = -1: Invalid learning rate: -1");
      expect(JSON.stringify(stateDictToJSON(opt.stateDict()))).toBe(before);
    });
  });
}
