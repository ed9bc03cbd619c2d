import { afterEach, describe, expect, it, vi } from "vitest";
import { Tensor, randn, tensor } from "@minigrad/tensor";
import { OptimizerError, RMSprop, type OptimizerStateDict } from "@minigrad/optim";
import { bits } from "./helpers/models";

const param = (shape: number[] = [3], dtype: "float32" | "float64" = "float32") =>
  randn(shape, { requiresGrad: true, dtype });

afterEach(() => vi.restoreAllMocks());

/** Give every listed parameter a random grad and step. */
function stepWith(opt: RMSprop, params: Tensor[]): void {
  for (const p of params) p.grad = randn(p.shape as number[], { dtype: p.dtype });
  opt.step();
  for (const p of params) p.grad = null;
}

/** Two groups, momentum 0.9, p stepped twice and q once: torch-semantics.md §2.4's example. */
function twoGroups() {
  const [p, q] = [param(), param([2, 2])];
  const opt = new RMSprop([{ params: [p] }, { params: [q], lr: 0.1, foo: 5 }], { momentum: 0.9 });
  stepWith(opt, [p, q]);
  stepWith(opt, [p]);
  return { p, q, opt };
}

describe("stateDict()", () => {
  it("has torch's layout: state keyed by id, each group's options with params (ids) last", () => {
    const { opt } = twoGroups();
    const sd = opt.stateDict();
    expect(Object.keys(sd)).toEqual(["state", "paramGroups"]);
    expect(sd.state[0].step).toBe(2);
    expect(sd.state[1].step).toBe(1);
    expect(Object.keys(sd.state[0])).toEqual(["step", "squareAvg", "momentumBuffer"]);
    expect(sd.paramGroups).toEqual([
      { lr: 0.01, momentum: 0.9, alpha: 0.99, eps: 1e-8, centered: false, weightDecay: 0, foreach: null, maximize: false, differentiable: false, params: [0] },
      { lr: 0.1, foo: 5, momentum: 0.9, alpha: 0.99, eps: 1e-8, centered: false, weightDecay: 0, foreach: null, maximize: false, differentiable: false, params: [1] },
    ]);
    expect(Object.keys(sd.paramGroups[1]).at(-1)).toBe("params");
  });

  it("numbers params in group order across groups, and lists only params that have state", () => {
    const [a, b, c] = [param(), param(), param()];
    const opt = new RMSprop([{ params: [a, b] }, { params: [c] }]);
    stepWith(opt, [b]);
    const sd = opt.stateDict();
    expect(sd.paramGroups.map((g) => g.params)).toEqual([[0, 1], [2]]);
    expect(Object.keys(sd.state)).toEqual(["1"]);
  });

  it("numbers repeated params as torch: last occurrence within a group, earliest group across groups", () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const [p, q] = [param(), param()];
    const opt = new RMSprop([p, q, p]);
    expect(opt.stateDict().paramGroups[0].params).toEqual([2, 1, 2]);
    const opt2 = new RMSprop([p, q]);
    opt2.paramGroups.push(opt2.paramGroups[0]); // bypassing addParamGroup, as torch's test does
    expect(opt2.stateDict().paramGroups.map((g) => g.params)).toEqual([[0, 1], [0, 1]]);
  });

  it("is a snapshot: later steps do not change it, and changing it does not touch the optimizer", () => {
    const { p, opt } = twoGroups();
    const sd = opt.stateDict();
    const squareAvg = sd.state[0].squareAvg as Tensor;
    const saved = bits(squareAvg);
    stepWith(opt, [p]);
    expect(bits(squareAvg)).toEqual(saved);
    expect(sd.state[0].step).toBe(2);
    const live = bits(opt.state.get(p)?.squareAvg as Tensor);
    squareAvg.storage.fill(7);
    sd.paramGroups[0].lr = 123;
    expect(bits(opt.state.get(p)?.squareAvg as Tensor)).toEqual(live);
    expect(opt.paramGroups[0].lr).toBe(0.01);
  });
});

describe("loadStateDict()", () => {
  it("takes hyperparameters from the checkpoint and matches params by position", () => {
    const { opt } = twoGroups();
    const sd = opt.stateDict();
    const [p2, q2] = [param(), param([2, 2])];
    const opt2 = new RMSprop([{ params: [p2] }, { params: [q2] }], { lr: 0.5, momentum: 0.9 });
    opt2.loadStateDict(sd);
    expect(opt2.paramGroups[0]).toEqual({ ...sd.paramGroups[0], params: [p2] });
    expect(opt2.paramGroups[1].foo).toBe(5);
    expect(opt2.state.get(p2)?.step).toBe(2);
    expect(bits(opt2.state.get(q2)?.momentumBuffer as Tensor)).toEqual(bits(sd.state[1].momentumBuffer as Tensor));
  });

  it("copies state tensors (never aliasing the dict) and leaves the dict unchanged", () => {
    const { opt } = twoGroups();
    const sd = opt.stateDict();
    const before = bits(sd.state[0].squareAvg as Tensor);
    const opt2 = new RMSprop([{ params: [param()] }, { params: [param([2, 2])] }]);
    opt2.loadStateDict(sd);
    const loaded = opt2.state.get(opt2.paramGroups[0].params[0]);
    expect(loaded?.squareAvg).not.toBe(sd.state[0].squareAvg);
    (loaded?.squareAvg as Tensor).storage.fill(0);
    expect(bits(sd.state[0].squareAvg as Tensor)).toEqual(before);
    expect(sd.paramGroups[0].params).toEqual([0]);
  });

  it("casts floating state to the param's dtype, except step", () => {
    const p64 = param([3], "float64");
    const opt64 = new RMSprop([p64], { centered: true });
    stepWith(opt64, [p64]);
    const sd = opt64.stateDict();
    sd.state[0].step = tensor(1, { dtype: "float64" }); // as a PyTorch 2.x checkpoint stores it
    const p32 = param([3]);
    const opt32 = new RMSprop([p32]);
    opt32.loadStateDict(sd);
    const state = opt32.state.get(p32) ?? {};
    expect((state.squareAvg as Tensor).dtype).toBe("float32");
    expect((state.gradAvg as Tensor).dtype).toBe("float32");
    expect((state.step as Tensor).dtype).toBe("float64");
    stepWith(opt32, [p32]);
    expect(state.step).toBe(2); // a tensor step is read as its value and becomes a number again
  });

  it("loads a checkpoint from before some options existed, filling them with torch's defaults", () => {
    const { opt } = twoGroups();
    const sd = opt.stateDict();
    for (const g of sd.paramGroups) {
      delete g.maximize;
      delete g.centered;
    }
    const [p2, q2] = [param(), param([2, 2])];
    const opt2 = new RMSprop([{ params: [p2] }, { params: [q2] }], { maximize: true });
    opt2.loadStateDict(sd);
    expect(opt2.paramGroups[0]).toMatchObject({ maximize: false, centered: false, momentum: 0.9 });
    expect(() => stepWith(opt2, [p2, q2])).not.toThrow();
  });

  describe("validates first and changes nothing when the dict does not fit", () => {
    const cases: [string, (sd: OptimizerStateDict) => void, string][] = [
      ["a different number of groups", (sd) => sd.paramGroups.pop(), "loaded state dict has a different number of parameter groups"],
      [
        "a group of a different size",
        (sd) => sd.paramGroups[1].params.push(7),
        "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
      ],
      [
        "a state tensor of the wrong shape",
        (sd) => (sd.state[1].squareAvg = tensor([1, 2, 3, 4])),
        "loaded state dict has a state tensor 'squareAvg' of shape [4] for parameter 1, whose shape is [2, 2]",
      ],
      [
        "state for an id no group lists",
        (sd) => (sd.state[5] = { step: 1 }),
        "loaded state dict has state for parameter 5, which is in none of its parameter groups",
      ],
    ];
    for (const [what, corrupt, message] of cases) {
      it(what, () => {
        const { p, q, opt } = twoGroups();
        const sd = opt.stateDict();
        corrupt(sd);
        const [groups, stateP, sqBits] = [[...opt.paramGroups], opt.state.get(p), bits(opt.state.get(q)?.squareAvg as Tensor)];
        const groupCopies = opt.paramGroups.map((g) => ({ ...g }));
        expect(() => opt.loadStateDict(sd)).toThrow(new OptimizerError(message));
        expect(opt.paramGroups).toEqual(groupCopies);
        opt.paramGroups.forEach((g, i) => expect(g).toBe(groups[i]));
        expect(opt.state.get(p)).toBe(stateP);
        expect(bits(opt.state.get(q)?.squareAvg as Tensor)).toEqual(sqBits);
      });
    }
  });
});

describe("state-dict hooks", () => {
  it("a pre-hook can add state; a post-hook can rewrite the result (test_state_dict_pre_post_hook)", () => {
    const { p, opt } = twoGroups();
    opt.registerStateDictPreHook((o) => void ((o.state.get(p) ?? {}).test = 1));
    opt.registerStateDictPostHook((_, sd) => {
      expect(sd.state[0].test).toBe(1);
      delete sd.state[0].test;
      return { ...sd, ranPostHook: true } as OptimizerStateDict;
    });
    const sd = opt.stateDict() as OptimizerStateDict & { ranPostHook?: boolean };
    expect(sd.ranPostHook).toBe(true);
    expect(sd.state[0].test).toBeUndefined();
  });

  it("load pre-hooks run in order, prepend first (test_load_state_dict_pre_hook_and_prepend)", () => {
    const { opt } = twoGroups();
    const sd = opt.stateDict();
    opt.registerLoadStateDictPreHook((_, s) => void (s.paramGroups[0].lr = 0.002));
    opt.loadStateDict(sd);
    expect(opt.paramGroups[0].lr).toBe(0.002);
    opt.registerLoadStateDictPreHook((_, s) => void (s.paramGroups[0].lr = 0.003), { prepend: true });
    opt.loadStateDict(sd);
    expect(opt.paramGroups[0].lr).toBe(0.002);
  });

  it("a load pre-hook may return a replacement dict; the post-hook sees the loaded state", () => {
    const { opt } = twoGroups();
    const sd = opt.stateDict();
    opt.registerLoadStateDictPreHook((_, s) => ({ ...s, paramGroups: s.paramGroups.map((g) => ({ ...g, lr: 0.25 })) }));
    const seen: number[] = [];
    opt.registerLoadStateDictPostHook((o) => void seen.push(o.paramGroups[1].lr));
    opt.loadStateDict(sd);
    expect(seen).toEqual([0.25]);
    expect(sd.paramGroups[1].lr).toBe(0.1);
  });
});
