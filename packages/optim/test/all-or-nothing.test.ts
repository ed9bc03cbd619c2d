import { describe, expect, it } from "vitest";
import { Tensor, randn, tensor, zeros } from "@minigrad/tensor";
import {
  Optimizer, OptimizerError, RMSprop, optionChecks, type OptimizerStateDict, type Params,
} from "@minigrad/optim";
import { bits } from "./helpers/models";

/** issue 19: a failed step or loadStateDict changes nothing; loaded hyperparameters are checked. */

const param = (shape: number[] = [3]) => randn(shape, { requiresGrad: true });

/** Everything a failed call must leave as it was: parameter bits, state identity, steps and buffer bits. */
function fingerprint(opt: RMSprop, params: Tensor[]) {
  return {
    params: params.map((p) => (p.isDisposed ? null : bits(p))),
    stateSize: opt.state.size,
    steps: params.map((p) => opt.state.get(p)?.step),
    squareAvgs: params.map((p) => {
      const v = opt.state.get(p)?.squareAvg;
      return v instanceof Tensor && !v.isDisposed ? bits(v) : null;
    }),
    groups: opt.paramGroups.map((g) => ({ ...g })),
  };
}

describe("step validates every parameter, grad and state of every group before the first update", () => {
  it("a disposed parameter after a good one: throws naming it, and updates nothing", () => {
    const [a, b] = [param(), param([2])];
    const opt = new RMSprop([a, b]);
    a.grad = randn([3]);
    b.grad = randn([2]);
    b.dispose();
    const before = fingerprint(opt, [a, b]);
    expect(() => opt.step()).toThrow(new OptimizerError("RMSprop: parameter 1 of group 0 (shape [2]) was disposed"));
    expect(fingerprint(opt, [a, b])).toEqual(before); // old: a moved and got state, then b threw
    expect(opt.state.size).toBe(0);
  });

  it("a disposed grad, or a state buffer of the wrong dtype, in a later group: group 0 does not move", () => {
    const [a, b] = [param(), param([2])];
    const opt = new RMSprop([{ params: [a] }, { params: [b], lr: 0.1 }]);
    a.grad = randn([3]);
    b.grad = randn([2]);
    opt.step();
    b.grad.dispose();
    let before = fingerprint(opt, [a, b]);
    expect(() => opt.step()).toThrow("RMSprop: the grad of parameter 0 of group 1 (shape [2]) was disposed");
    expect(fingerprint(opt, [a, b])).toEqual(before);
    b.grad = randn([2]);
    (opt.state.get(b) as Record<string, unknown>).squareAvg = zeros([2], { dtype: "float64" });
    before = fingerprint(opt, [a, b]);
    expect(() => opt.step()).toThrow(
      "RMSprop: squareAvg is float64 [2] but the parameter is float32 [2] (parameter 0 of group 1)",
    );
    expect(fingerprint(opt, [a, b])).toEqual(before);
  });

  it("a disposed state buffer of a later parameter: no parameter, buffer or step count changes", () => {
    const [a, b] = [param(), param([2])];
    const opt = new RMSprop([a, b], { momentum: 0.9 });
    a.grad = randn([3]);
    b.grad = randn([2]);
    opt.step();
    (opt.state.get(b)?.momentumBuffer as Tensor).dispose();
    const before = fingerprint(opt, [a, b]);
    expect(() => opt.step()).toThrow("RMSprop: the momentumBuffer of parameter 1 of group 0 (shape [2]) was disposed");
    expect(fingerprint(opt, [a, b])).toEqual(before);
    expect(opt.state.get(a)?.step).toBe(1);
  });

  it("an int32 parameter in a later group: refused before any update", () => {
    const a = param();
    const n = tensor([1, 2], { dtype: "int32" });
    n.grad = tensor([1, 1], { dtype: "int32" });
    const opt = new RMSprop([{ params: [a] }, { params: [n] }]);
    a.grad = randn([3]);
    const before = fingerprint(opt, [a]);
    expect(() => opt.step()).toThrow("RMSprop: parameters must be float32 or float64, got int32 (parameter 0 of group 1)");
    expect(fingerprint(opt, [a])).toEqual(before);
  });
});

/** Two groups with state, the dict they save, and a way to corrupt a copy of it. */
function saved() {
  const [p, q] = [param(), param([2, 2])];
  const opt = new RMSprop([{ params: [p] }, { params: [q], lr: 0.1 }], { momentum: 0.9 });
  p.grad = randn([3]);
  q.grad = randn([2, 2]);
  opt.step();
  return { p, q, opt, sd: opt.stateDict() };
}

describe("loadStateDict type-checks hyperparameters and state, naming the group and key", () => {
  const cases: [string, (sd: OptimizerStateDict) => void, ErrorConstructor | typeof OptimizerError, string][] = [
    ["lr: NaN", (sd) => (sd.paramGroups[1].lr = NaN), OptimizerError,
      "loadStateDict: parameter group 1 has lr = NaN: Invalid learning rate: NaN"],
    ["alpha: -5", (sd) => (sd.paramGroups[0].alpha = -5), OptimizerError,
      "loadStateDict: parameter group 0 has alpha = -5: Invalid alpha value: -5"],
    ['lr: "0.1"', (sd) => (sd.paramGroups[0].lr = "0.1"), TypeError,
      'loadStateDict: parameter group 0 has lr = "0.1": Invalid learning rate: "0.1" (expected a number, got string)'],
    ["momentum: null", (sd) => (sd.paramGroups[1].momentum = null), TypeError,
      "loadStateDict: parameter group 1 has momentum = null: Invalid momentum value: null (expected a number, got null)"],
    ['centered: "yes"', (sd) => (sd.paramGroups[0].centered = "yes"), TypeError,
      'loadStateDict: parameter group 0 has centered = "yes": expected a boolean, got "yes" (a string)'],
    ["differentiable: true", (sd) => (sd.paramGroups[0].differentiable = true), OptimizerError,
      "loadStateDict: parameter group 0 has differentiable = true: RMSprop: differentiable=true is not supported"],
    ['step: "5"', (sd) => (sd.state[1].step = "5"), TypeError,
      'loadStateDict: the state of parameter 1 has step = "5": expected a non-negative integer (or a one-element tensor), got "5" (a string)'],
    ["squareAvg: 0", (sd) => (sd.state[0].squareAvg = 0), TypeError,
      "loadStateDict: the state of parameter 0 has squareAvg = 0: expected a Tensor, got 0"],
    ["a disposed state tensor", (sd) => (sd.state[1].momentumBuffer as Tensor).dispose(), OptimizerError,
      "loaded state dict: the state tensor 'momentumBuffer' of parameter 1 (shape [2, 2]) was disposed"],
  ];
  for (const [what, corrupt, kind, message] of cases) {
    it(`refuses ${what} and changes nothing`, () => {
      const { p, q, opt, sd } = saved();
      corrupt(sd);
      const before = fingerprint(opt, [p, q]);
      const states = [opt.state.get(p), opt.state.get(q)];
      expect(() => opt.loadStateDict(sd)).toThrow(kind);
      expect(() => opt.loadStateDict(sd)).toThrow(message);
      expect(fingerprint(opt, [p, q])).toEqual(before);
      expect([opt.state.get(p), opt.state.get(q)]).toEqual(states);
    });
  }

  it("still loads a valid dict, and an old one whose groups lack options (filled with defaults)", () => {
    const { p, q, opt, sd } = saved();
    delete sd.paramGroups[0].maximize;
    sd.paramGroups[1].lr = 0.5;
    opt.loadStateDict(sd);
    expect(opt.paramGroups[0].maximize).toBe(false);
    expect(opt.paramGroups[1].lr).toBe(0.5);
    expect(opt.state.get(p)?.step).toBe(1);
    expect(opt.state.get(q)?.step).toBe(1);
  });

  it("refuses an own __proto__ key (JSON.parse makes them) instead of replacing a group's prototype", () => {
    const { p, q, opt, sd } = saved();
    const group = JSON.parse('{"__proto__": {"lr": 5}, "params": [0]}') as OptimizerStateDict["paramGroups"][0];
    sd.paramGroups[0] = { ...sd.paramGroups[0], ...group };
    const before = fingerprint(opt, [p, q]);
    expect(() => opt.loadStateDict(sd)).toThrow("stateDict.paramGroups[0] is a key '__proto__'");
    expect(fingerprint(opt, [p, q])).toEqual(before);
  });

  it("gives any optimizer that declares its checks once the same checks on load (a future SGD, say)", () => {
    type SGDOptions = { lr: number; nesterov: boolean };
    const SGD_CHECKS = { options: { lr: optionChecks.nonNegative("learning rate"), nesterov: optionChecks.boolean } };
    class SGD extends Optimizer<SGDOptions> {
      constructor(params: Params<SGDOptions>, lr = 0.1) {
        super(params, { lr, nesterov: false }, SGD_CHECKS);
      }
      protected update(): void {}
    }
    expect(() => new SGD([param()], -1)).toThrow(new OptimizerError("Invalid learning rate: -1"));
    const opt = new SGD([param()]);
    const sd = opt.stateDict();
    sd.paramGroups[0].nesterov = 1;
    expect(() => opt.loadStateDict(sd)).toThrow(
      new TypeError("loadStateDict: parameter group 0 has nesterov = 1: expected a boolean, got 1"),
    );
    expect(opt.paramGroups[0].nesterov).toBe(false);
  });
});
