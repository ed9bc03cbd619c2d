import { describe, expect, it } from "vitest";
import { DTypeError, type DType, arange, eye, full, ones, rand, randint, randn, tensor, zeros, zerosLike } from "../src/index";

/** A dtype name minigrad does not have, as it comes from JSON or an `as` cast. */
const bad = (name: string) => name as unknown as DType;
const LIST = "expected one of float32, float64, int32, bool";

describe("an unknown dtype string is a DTypeError naming the op and the dtypes", () => {
  it("in creation options", () => {
    expect(() => zeros([2], { dtype: bad("float16") })).toThrow(DTypeError);
    expect(() => zeros([2], { dtype: bad("float16") })).toThrow(`zeros: unknown dtype "float16"; ${LIST}`);
    expect(() => tensor([1], { dtype: bad("Float32") })).toThrow(`tensor: unknown dtype "Float32"; ${LIST}`);
    expect(() => ones([1], { dtype: bad("int64") })).toThrow(`ones: unknown dtype "int64"`);
    expect(() => full([1], 2, { dtype: bad("uint8") })).toThrow(/full: unknown dtype "uint8"/);
    expect(() => arange(3, undefined, 1, { dtype: bad("long") })).toThrow(/arange: unknown dtype/);
    expect(() => eye(2, 2, { dtype: bad("half") })).toThrow(/eye: unknown dtype/);
    expect(() => rand([2], { dtype: bad("float16") })).toThrow(/rand: unknown dtype/);
    expect(() => randn([2], { dtype: bad("float16") })).toThrow(/randn: unknown dtype/);
    expect(() => randint(0, 3, [2], { dtype: bad("int64") })).toThrow(/randint: unknown dtype/);
    expect(() => zerosLike(zeros([2]), { dtype: bad("float16") })).toThrow(/zerosLike: unknown dtype/);
  });

  it("in to()", () => {
    expect(() => zeros([2]).to(bad("float16"))).toThrow(`to: unknown dtype "float16"; ${LIST}`);
    expect(() => zeros([2]).to(bad("Float32"))).toThrow(DTypeError);
  });
});
