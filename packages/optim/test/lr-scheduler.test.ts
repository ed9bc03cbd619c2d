// The LRScheduler base's behaviour beyond the recorded schedules: torch's warnings (once),
// the call order, getLr outside step, initialLr kept by a second scheduler, state-dict
// checks, verbose output, and the schedulers on SGD and Adam.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Adam, RMSprop, SGD, lrScheduler } from "@minigrad/optim";
import { zeros } from "@minigrad/tensor";

const param = () => zeros([2], { requiresGrad: true });
let warn: ReturnType<typeof vi.spyOn>;

beforeEach(() => {
  lrScheduler.resetWarnings();
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("LRScheduler", () => {
  it("is quiet with optimizer.step() before scheduler.step()", () => {
    const opt = new SGD([param()], { lr: 0.1 });
    const s = new lrScheduler.StepLR(opt, { stepSize: 2 });
    for (let i = 0; i < 5; i++) {
      opt.step();
      s.step();
    }
    expect(warn).not.toHaveBeenCalled();
    expect(s.getLastLr()[0]).toBeCloseTo(0.001, 15);
  });

  it("warns once with torch's text when scheduler.step() comes first", () => {
    for (let run = 0; run < 2; run++) {
      const opt = new SGD([param()], { lr: 0.1 });
      const s = new lrScheduler.ExponentialLR(opt, { gamma: 0.5 });
      s.step();
      opt.step();
      s.step();
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(lrScheduler.STEP_ORDER_WARNING);
    expect(lrScheduler.STEP_ORDER_WARNING).toContain("Detected call of `lr_scheduler.step()` before `optimizer.step()`.");
  });

  it("warns when optimizer.step was replaced after the scheduler was attached", () => {
    const opt = new SGD([param()], { lr: 0.1 });
    const s = new lrScheduler.StepLR(opt, { stepSize: 2 });
    opt.step = () => undefined;
    opt.step();
    s.step();
    expect(warn).toHaveBeenCalledWith(lrScheduler.STEP_OVERRIDDEN_WARNING);
  });

  it("warns when getLr() is called outside step, and for step(epoch)", () => {
    const opt = new SGD([param()], { lr: 0.1 });
    const s = new lrScheduler.StepLR(opt, { stepSize: 2 });
    s.getLr();
    expect(warn).toHaveBeenCalledWith(lrScheduler.GET_LR_WARNING);
    opt.step();
    s.step(4);
    expect(warn).toHaveBeenCalledWith(lrScheduler.EPOCH_DEPRECATION_WARNING);
    expect(opt.paramGroups[0].lr).toBeCloseTo(0.001, 15);
  });

  it("keeps the first scheduler's initialLr and rejects non-optimizers", () => {
    const opt = new RMSprop([param()], { lr: 0.1 });
    new lrScheduler.ExponentialLR(opt, { gamma: 0.5 });
    opt.paramGroups[0].lr = 0.3;
    const s2 = new lrScheduler.StepLR(opt, { stepSize: 3 });
    expect(opt.paramGroups[0].initialLr).toBe(0.1);
    expect(s2.baseLrs).toEqual([0.1]);
    expect(() => new lrScheduler.StepLR({} as unknown as SGD, { stepSize: 1 })).toThrow(new TypeError("Object is not an Optimizer"));
    expect(() => new lrScheduler.ReduceLROnPlateau(null as unknown as SGD)).toThrow("NoneType is not an Optimizer");
  });

  it("state dicts are snapshots; loading checks keys and kinds first", () => {
    const opt = new SGD([param()], { lr: 0.1 });
    const s = new lrScheduler.CosineAnnealingLR(opt, { tMax: 10 });
    const sd = s.stateDict();
    expect(Object.keys(sd).sort()).toEqual(
      ["_getLrCalledWithinStep", "_lastLr", "_stepCount", "baseLrs", "etaMin", "lastEpoch", "tMax", "verbose"].sort(),
    );
    opt.step();
    s.step();
    expect(sd.lastEpoch).toBe(0);
    expect(() => s.loadStateDict({ ...sd, foo: 1 })).toThrow('unexpected key "foo"');
    expect(() => s.loadStateDict({ ...sd, tMax: "10" })).toThrow('"tMax" should be a number, got a string');
    expect(s.lastEpoch).toBe(1);
    s.loadStateDict(sd);
    expect(s.lastEpoch).toBe(0);
  });

  it("verbose prints torch's lines", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const opt = new SGD([param()], { lr: 0.01 });
    const s = new lrScheduler.StepLR(opt, { stepSize: 1, verbose: true });
    expect(log).toHaveBeenCalledWith("Adjusting learning rate of group 0 to 1.0000e-02.");
    opt.step();
    s.step(3);
    expect(log).toHaveBeenCalledWith("Epoch 00003: adjusting learning rate of group 0 to 1.0000e-05.");
  });

  it("OneCycleLR cycles Adam's beta1 and SGD's momentum", () => {
    const adam = new Adam([param()], { lr: 1e-3 });
    const s = new lrScheduler.OneCycleLR(adam, { maxLr: 1e-2, totalSteps: 10 });
    expect(adam.paramGroups[0].betas).toEqual([0.95, 0.999]);
    for (let i = 0; i < 3; i++) {
      adam.step();
      s.step();
    }
    expect(adam.paramGroups[0].betas[0]).toBeLessThan(0.95);
    const sgd = new SGD([param()], { lr: 0.1, momentum: 0.9 });
    new lrScheduler.CyclicLR(sgd, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 4 });
    expect(sgd.paramGroups[0].momentum).toBe(0.9);
    expect(sgd.paramGroups[0].lr).toBe(0.01);
  });

  it("ReduceLROnPlateau takes a 0-d tensor metric", () => {
    const opt = new SGD([param()], { lr: 0.1 });
    const s = new lrScheduler.ReduceLROnPlateau(opt, { patience: 0 });
    s.step(zeros([]).add(1));
    s.step(zeros([]).add(1));
    expect(s.getLastLr()[0]).toBeCloseTo(0.01, 15);
  });
});
