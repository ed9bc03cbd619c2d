import { describe, expect, it } from "vitest";
import { AutogradError, autograd, tensor } from "../src/index";

describe("autograd.detectAnomaly", () => {
  it("names the node whose backward returned NaN and where its forward op was called (torch's message)", () => {
    // torch 1.13: with torch.autograd.detect_anomaly(): x.sqrt().mul(0).sum().backward() for x = [0., 1.]
    // -> RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output.
    const x = tensor([0, 1], { requiresGrad: true });
    let message = "";
    expect(() =>
      autograd.detectAnomaly(() => {
        try {
          x.sqrt().mul(0).sum().backward();
        } catch (e) {
          message = (e as Error).message;
          throw e;
        }
      }),
    ).toThrow(AutogradError);
    expect(message).toMatch(/^Function 'SqrtBackward' returned nan values in its 0th output\.\nThe forward op was called at:\n/);
    expect(message).toMatch(/anomaly\.test\.ts/); // the caller's frame is in the trace
    expect(x.grad).toBeNull(); // the pass stopped before accumulating
  });

  it("is off outside its scope: the same backward gives NaN quietly, as torch", () => {
    const x = tensor([0, 1], { requiresGrad: true });
    expect(autograd.isAnomalyEnabled()).toBe(false);
    x.sqrt().mul(0).sum().backward();
    expect(x.grad?.toArray()).toEqual([NaN, 0]);
  });
});
