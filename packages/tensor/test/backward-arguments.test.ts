import { describe, expect, it } from "vitest";
import { ArgumentError, tensor } from "../src/index";

describe("backward checks its arguments and says what it expected", () => {
  it("backward({ retainGraph: true }) says the options go second", () => {
    const y = tensor([1, 2], { requiresGrad: true }).sum();
    const call = () => y.backward({ retainGraph: true } as never);
    expect(call).toThrow(ArgumentError);
    expect(call).toThrow(
      "backward: gradient must be a Tensor, null or undefined, got an object (options go second: backward(null, { retainGraph: true }))",
    );
  });

  it("backward(5) says a gradient is a Tensor", () => {
    const y = tensor([1, 2], { requiresGrad: true }).sum();
    expect(() => y.backward(5 as never)).toThrow("backward: gradient must be a Tensor, null or undefined, got a number (5)");
    expect(() => y.backward(null, 5 as never)).toThrow("backward: options must be an object such as { retainGraph: true }, got 5");
    expect(() => y.backward(null, { retainGraph: "yes" } as never)).toThrow("backward: retainGraph must be a boolean, got string");
  });

  it("the documented forms still work", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(3).sum();
    y.backward(null, { retainGraph: true });
    y.backward(undefined);
    expect(x.grad?.toArray()).toEqual([6, 6]);
  });
});
