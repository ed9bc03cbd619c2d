import { describe, expect, it } from "vitest";
import { DTypeError, ArgumentError, full, tensor } from "../src/index";

const a = () => tensor([true, false, false]);
const b = () => tensor([true, true, false]);

describe("arithmetic on bool tensors keeps 0/1, as torch", () => {
  it("bool + bool is a logical or (it stored 2 before), out of place and in place", () => {
    const s = a().add(b());
    expect(s.dtype).toBe("bool");
    expect(Array.from(s.storage)).toEqual([1, 1, 0]);
    expect(s.eq(1).toArray()).toEqual([1, 1, 0]);
    const t = a();
    t.add_(b());
    expect(Array.from(t.storage)).toEqual([1, 1, 0]);
    expect(tensor([true]).add(tensor(true)).toArray()).toEqual([1]);
  });

  it("bool * bool is a logical and; bool + number is int32", () => {
    expect(Array.from(a().mul(b()).storage)).toEqual([1, 0, 0]);
    const n = a().add(1);
    expect(n.dtype).toBe("int32");
    expect(n.toArray()).toEqual([2, 1, 1]);
  });

  it("subtraction with bools is refused with torch's messages", () => {
    expect(() => a().sub(b())).toThrow(DTypeError);
    expect(() => a().sub(b())).toThrow(
      "sub: Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead. (got bool [3] and bool [3])",
    );
    expect(() => a().sub(1)).toThrow(/sub: Subtraction, the `-` operator, with a bool tensor is not supported/);
    expect(() => tensor([1, 2]).sub(b().narrow(0, 0, 2))).toThrow(/with a bool tensor is not supported/);
    expect(() => a().sub_(b())).toThrow(/sub_: Subtraction, the `-` operator, with two bool tensors/);
  });

  it("neg and relu of bools are refused as torch; fill_ and full store 0/1", () => {
    expect(() => a().neg()).toThrow(/neg: Negation, the `-` operator, on a bool tensor is not supported/);
    expect(() => a().relu()).toThrow(/relu: Boolean inputs not supported for relu/);
    expect(Array.from(full([2], 2, { dtype: "bool" }).storage)).toEqual([1, 1]);
    expect(Array.from(full([2], 0.5, { dtype: "bool" }).storage)).toEqual([1, 1]);
    expect(Array.from(tensor([NaN, 0], { dtype: "bool" }).storage)).toEqual([1, 0]);
    const t = a();
    t.fill_(7);
    expect(Array.from(t.storage)).toEqual([1, 1, 1]);
  });

  it("amax/amin of bools stay bool; sum counts them; arange/linspace refuse bool", () => {
    expect(a().amax().dtype).toBe("bool");
    expect(a().sum().dtype).toBe("int32");
    expect(b().sum().item()).toBe(2);
    expect(() => full([1], 1).pow(1).add_(1, { alpha: 1 })).not.toThrow();
    expect(() => tensor([1, 2], { dtype: "int32" }).add_(1, { alpha: 0.5 })).toThrow(ArgumentError);
  });
});
