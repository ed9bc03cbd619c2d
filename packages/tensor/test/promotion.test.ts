import { describe, expect, it } from "vitest";
import { tensor, where } from "../src/index";

const v = (dtype: "float32" | "float64" | "int32" | "bool") => tensor(dtype === "bool" ? [true, false] : [1, 2], { dtype });
const z = (dtype: "float32" | "float64" | "int32" | "bool", value = 1) => tensor(dtype === "bool" ? value !== 0 : value, { dtype });

describe("type promotion follows torch's result_type: dimensioned > 0-d > number, by category", () => {
  it("float32 [2] + float64 0-d is float32 (it was float64): a 0-d tensor of the same category does not widen", () => {
    expect(v("float32").add(z("float64")).dtype).toBe("float32");
    expect(z("float64").add(v("float32")).dtype).toBe("float32");
    expect(v("int32").add(z("int32")).dtype).toBe("int32");
  });

  it("a 0-d tensor of a higher category promotes with the dimensioned one", () => {
    expect(v("int32").add(z("float64", 1.5)).dtype).toBe("float64"); // torch: promote(int32, float64)
    expect(v("bool").add(z("int32")).dtype).toBe("int32");
    expect(v("bool").mul(z("float32")).dtype).toBe("float32");
    expect(v("int32").mul(z("bool")).dtype).toBe("int32");
    expect(v("float32").mul(z("int32")).dtype).toBe("float32");
  });

  it("between tensors of one kind (both 0-d, or both dimensioned) the wider dtype wins", () => {
    expect(z("float32").add(z("float64")).dtype).toBe("float64");
    expect(v("float32").add(v("float64")).dtype).toBe("float64");
    expect(z("int32").add(2.5).dtype).toBe("float32");
    expect(v("int32").add(2.5).dtype).toBe("float32");
    expect(v("float64").add(2.5).dtype).toBe("float64");
  });

  it("where and the gradient of the 0-d operand follow too", () => {
    expect(where(tensor([true, false]), v("float32"), z("float64")).dtype).toBe("float32");
    const s = tensor(2, { dtype: "float64", requiresGrad: true });
    const y = tensor([1, 2]).mul(s);
    expect(y.dtype).toBe("float32");
    y.sum().backward();
    expect(s.grad?.dtype).toBe("float64");
    expect(s.grad?.item()).toBe(3);
  });

  it("in-place ops refuse a result type their tensor cannot hold", () => {
    expect(() => v("int32").add_(z("float64"))).toThrow(/add_: result type float64 can't be cast to the desired output type int32/);
    const f = v("float32");
    f.add_(z("float64", 0.5));
    expect(f.toArray()).toEqual([1.5, 2.5]);
  });
});
