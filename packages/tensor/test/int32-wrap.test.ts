import { describe, expect, it } from "vitest";
import { ArgumentError, DTypeError, tensor, where } from "../src/index";

// Values from torch 1.13 (Debian's python3-torch):
//   x = torch.tensor([2**30 + 1, 3], dtype=torch.int32)
//   x * x, x.pow(2)        -> tensor([-2147483647, 9], dtype=torch.int32)
//   x * (2**30 + 1)        -> tensor([-2147483647, -1073741821], dtype=torch.int32)
//   torch.where(c, 1, 0)   -> tensor([1, 0, 1]) (int64);  torch.where(c, 1.5, 0) -> tensor([1.5, 0., 1.5])
describe("int32 arithmetic wraps modulo 2^32 as torch's does", () => {
  const x = () => tensor([2 ** 30 + 1, 3], { dtype: "int32" });

  it("mul: the exact product wrapped, not a rounded double product wrapped", () => {
    expect(x().mul(x()).toArray()).toEqual([-2147483647, 9]);
    expect(x().mul(2 ** 30 + 1).toArray()).toEqual([-2147483647, -1073741821]);
    expect(x().square().toArray()).toEqual([-2147483647, 9]);
    expect(x().mul_(x()).toArray()).toEqual([-2147483647, 9]);
  });

  it("pow: by squaring, each product wrapped", () => {
    expect(x().pow(2).toArray()).toEqual([-2147483647, 9]);
    expect(tensor([3, -3, 7], { dtype: "int32" }).pow(21).toArray()).toEqual([wrappedPow(3, 21), wrappedPow(-3, 21), wrappedPow(7, 21)]);
    expect(tensor([5, 0, -1], { dtype: "int32" }).pow(0).toArray()).toEqual([1, 1, 1]);
  });
});

/** b^e modulo 2^32 as a signed int32, exactly (BigInt). */
function wrappedPow(b: number, e: number): number {
  return Number(BigInt.asIntN(32, BigInt(b) ** BigInt(e)));
}

describe("where with two numbers", () => {
  const c = () => tensor([1, 0, 1], { dtype: "bool" });

  it("two integers give an integer tensor (int32; torch's int64)", () => {
    const y = where(c(), 1, 0);
    expect(y.dtype).toBe("int32");
    expect(y.toArray()).toEqual([1, 0, 1]);
  });

  it("a fractional number gives the default float dtype", () => {
    const y = where(c(), 1.5, 0);
    expect(y.dtype).toBe("float32");
    expect(y.toArray()).toEqual([1.5, 0, 1.5]);
  });

  it("an integer beyond int32 is refused with torch's overflow message", () => {
    expect(() => where(c(), 2 ** 40, 0)).toThrow(/where: value cannot be converted to type int32 without overflow/);
    expect(() => where(c(), 2 ** 40, 0)).toThrow(ArgumentError);
  });
});

describe("int32 sums that do not fit int32", () => {
  // torch: torch.tensor([2**30]*3, dtype=torch.int32).sum() -> tensor(3221225472) (int64)
  it("throw, naming the op, the sum and the fix, instead of wrapping", () => {
    const t = tensor([2 ** 30, 2 ** 30, 2 ** 30], { dtype: "int32" });
    expect(() => t.sum()).toThrow(DTypeError);
    expect(() => t.sum()).toThrow(/^sum: the sum 3221225472 of an int32 tensor of shape \[3\] does not fit int32/);
    expect(t.double().sum().item()).toBe(3221225472);
    expect(tensor([2 ** 30, 2 ** 30, -(2 ** 30)], { dtype: "int32" }).sum().item()).toBe(2 ** 30);
    expect(tensor([1, 1, 0], { dtype: "bool" }).sum().toArray()).toBe(2);
  });
});
