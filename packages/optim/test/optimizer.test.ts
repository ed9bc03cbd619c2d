import { afterEach, describe, expect, it, vi } from "vitest";
import { Tensor, isGradEnabled, noGrad, randn, tensor, zeros } from "@minigrad/tensor";
import {
  Optimizer, OptimizerError, RMSprop, registerOptimizerStepPostHook, registerOptimizerStepPreHook,
  type Params, type RemovableHandle,
} from "@minigrad/optim";

/** A minimal subclass: the base class behaviour does not depend on RMSprop. */
class PlainSGD extends Optimizer<{ lr: number }> {
  gradEnabledDuringUpdate: boolean[] = [];
  constructor(params: Params<{ lr: number }>, lr = 0.1) {
    super(params, { lr });
  }
  protected update(): void {
    this.gradEnabledDuringUpdate.push(isGradEnabled());
    for (const group of this.paramGroups) for (const p of group.params) if (p.grad) p.sub_(p.grad.mul(group.lr));
  }
}

const param = (shape: number[] = [2]) => randn(shape, { requiresGrad: true });

afterEach(() => vi.restoreAllMocks());

describe("Optimizer constructor", () => {
  it("takes an iterable of tensors as one group, and consumes a generator once", () => {
    const [a, b] = [param(), param()];
    function* parameters() {
      yield a;
      yield b;
    }
    const opt = new PlainSGD(parameters());
    expect(opt.paramGroups).toHaveLength(1);
    expect(opt.paramGroups[0].params).toEqual([a, b]);
    expect(opt.paramGroups[0].params[0]).toBe(a);
  });

  it("throws torch's TypeError for a tensor instead of an iterable, or a non-iterable", () => {
    const p = param() as unknown as Iterable<Tensor>;
    expect(() => new PlainSGD(p)).toThrow(
      new TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, but got Tensor"),
    );
    expect(() => new PlainSGD(3 as unknown as Iterable<Tensor>)).toThrow("dicts, but got number");
  });

  it("throws for an empty list or an empty generator", () => {
    expect(() => new PlainSGD([])).toThrow(new OptimizerError("optimizer got an empty parameter list"));
    expect(() => new PlainSGD((function* () {})())).toThrow("optimizer got an empty parameter list");
  });

  it("accepts a top-level Set (as torch, which lists it first) but not a Set inside a group", () => {
    const [a, b] = [param(), param()];
    expect(new PlainSGD(new Set([a, b])).paramGroups[0].params).toEqual([a, b]);
    expect(() => new PlainSGD([{ params: new Set([a]) }])).toThrow(
      "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will " +
        "change between runs. Please use a list instead.",
    );
  });

  it("rejects a non-tensor and a non-leaf with torch's messages", () => {
    const a = param();
    const notATensor = [a, 1.5] as unknown as Tensor[];
    expect(() => new PlainSGD(notATensor)).toThrow(new TypeError("optimizer can only optimize Tensors, but one of the params is number"));
    expect(() => new PlainSGD([a.mul(2)])).toThrow(new OptimizerError("can't optimize a non-leaf Tensor"));
    expect(new PlainSGD([a.mul(2).retainGrad()]).paramGroups[0].params).toHaveLength(1);
  });

  it("warns once about a parameter repeated inside a group, and throws when it is in two groups", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const a = param();
    new PlainSGD([a, a, a]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(
      "optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; " +
        "see github.com/pytorch/pytorch/issues/40967 for more information",
    );
    expect(() => new PlainSGD([{ params: [a] }, { params: a }])).toThrow(
      new OptimizerError("some parameters appear in more than one parameter group"),
    );
  });
});

describe("paramGroups and addParamGroup", () => {
  it("resolve every option: group values win, unknown keys kept, user keys first then defaults (torch's order)", () => {
    const [p, q] = [param(), param()];
    const opt = new RMSprop([{ params: [p] }, { params: q, lr: 0.1, foo: 5 }], { momentum: 0.9 });
    expect(Object.keys(opt.paramGroups[1])).toEqual([
      "params", "lr", "foo", "momentum", "alpha", "eps", "centered", "weightDecay", "foreach", "maximize", "differentiable",
    ]);
    expect(opt.paramGroups[1]).toMatchObject({ params: [q], lr: 0.1, foo: 5, momentum: 0.9 });
    expect(opt.paramGroups[0]).toMatchObject({ lr: 0.01, momentum: 0.9, alpha: 0.99 });
  });

  it("addParamGroup fills defaults, and leaves the groups unchanged when it throws", () => {
    const [p, q] = [param(), param()];
    const opt = new PlainSGD([p], 0.5);
    opt.addParamGroup({ params: [q] });
    expect(opt.paramGroups[1]).toEqual({ params: [q], lr: 0.5 });
    expect(() => opt.addParamGroup({ params: [param(), p] })).toThrow("some parameters appear in more than one parameter group");
    expect(() => opt.addParamGroup([p] as unknown as { params: Tensor[] })).toThrow(
      new TypeError("param_group must be a dict, but got Array"),
    );
    expect(opt.paramGroups).toHaveLength(2);
  });
});

describe("zeroGrad", () => {
  it("zeroes grads in place by default (PyTorch 1.x), detached; setToNone makes them null", () => {
    const [p, q] = [param(), param()];
    const opt = new PlainSGD([p, q]);
    p.mul(3).sum().backward();
    const g = p.grad as Tensor;
    opt.zeroGrad();
    expect(p.grad).toBe(g);
    expect(g.toArray()).toEqual([0, 0]);
    expect(g.requiresGrad).toBe(false);
    expect(q.grad).toBeNull();
    opt.zeroGrad(true);
    expect(p.grad).toBeNull();
  });
});

describe("step", () => {
  it("runs the closure with grad enabled (even inside noGrad), the update without, and returns the loss", () => {
    const p = param();
    const opt = new PlainSGD([p]);
    let enabledInClosure = false;
    const loss = noGrad(() =>
      opt.step(() => {
        enabledInClosure = isGradEnabled();
        const l = p.mul(p).sum();
        l.backward();
        return l;
      }),
    );
    expect(enabledInClosure).toBe(true);
    expect(loss).toBeInstanceOf(Tensor);
    expect(opt.gradEnabledDuringUpdate).toEqual([false]);
    expect(opt.step()).toBeUndefined();
  });
});

describe("step hooks", () => {
  const handles: RemovableHandle[] = [];
  afterEach(() => handles.splice(0).forEach((h) => h.remove()));

  it("run global pre, own pre, step, own post, global post (test_step_all_hooks: [0, 1, 2, 5])", () => {
    const data: number[] = [];
    const opt = new PlainSGD([param()]);
    const opt2 = new PlainSGD([param()]);
    handles.push(registerOptimizerStepPreHook(() => void data.push(0)));
    handles.push(registerOptimizerStepPostHook(() => void data.push(5)));
    handles.push(opt.registerStepPreHook(() => void data.push(1)));
    handles.push(opt.registerStepPostHook(() => void data.push(2)));
    opt.step();
    expect(data).toEqual([0, 1, 2, 5]);
    opt2.step();
    expect(data).toEqual([0, 1, 2, 5, 0, 5]);
    opt.step();
    expect(data).toEqual([0, 1, 2, 5, 0, 5, 0, 1, 2, 5]);
    handles.splice(0).forEach((h) => h.remove());
    opt.step();
    opt2.step();
    expect(data).toHaveLength(10);
  });

  it("count steps (test_step_pre_hook / test_step_post_hook), stop after remove()", () => {
    const opt = new PlainSGD([param()]);
    let pre = 0;
    let post = 0;
    const h1 = opt.registerStepPreHook((o) => {
      expect(o).toBe(opt);
      pre++;
    });
    const h2 = opt.registerStepPostHook(() => void (post += 2));
    opt.step();
    opt.step();
    h1.remove();
    h2.remove();
    h2.remove();
    opt.step();
    expect([pre, post]).toEqual([2, 4]);
  });

  it("let a pre-hook replace the closure, and reject a hook that returns something else", () => {
    const opt = new PlainSGD([param()]);
    const h = opt.registerStepPreHook(() => [() => "replaced"]);
    expect(opt.step(() => "original")).toBe("replaced");
    h.remove();
    opt.registerStepPreHook(() => 42 as unknown as void);
    expect(() => opt.step()).toThrow("a step pre-hook must return undefined or new step arguments, but got number");
  });
});

describe("toString", () => {
  it("prints like torch's repr: each group's options in sorted key order (test_optimizer_can_be_printed)", () => {
    const opt = new RMSprop([{ params: [param()] }, { params: [param()], lr: 0.1, foo: [1, 2] }]);
    expect(String(opt)).toBe(
      "RMSprop (\n" +
        "Parameter Group 0\n    alpha: 0.99\n    centered: false\n    differentiable: false\n    eps: 1e-8\n" +
        "    foreach: null\n    lr: 0.01\n    maximize: false\n    momentum: 0\n    weightDecay: 0\n" +
        "\nParameter Group 1\n    alpha: 0.99\n    centered: false\n    differentiable: false\n    eps: 1e-8\n" +
        "    foo: [1, 2]\n    foreach: null\n    lr: 0.1\n    maximize: false\n    momentum: 0\n    weightDecay: 0\n)",
    );
  });
});

describe("state", () => {
  it("is a Map keyed by the parameter itself", () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const opt = new RMSprop([p]);
    p.grad = zeros([2]);
    opt.step();
    expect(opt.state).toBeInstanceOf(Map);
    expect([...opt.state.keys()]).toEqual([p]);
  });
});
