import { describe, expect, it } from "vitest";
import { POLICY, fast } from "../src/kernels/accelerate";
import { ARITHMETIC_ELEMENTWISE } from "../src/kernels/wasm/arithmetic-wasm";
import { EXP_ELEMENTWISE } from "../src/kernels/wasm/exp-wasm";
import { elementwiseExports } from "../scripts/wat";

describe("elementwise exports of a .wat (scripts/wat.ts)", () => {
  it("reads (src, dst, count) as one input and (a, b, out, count) as two", () => {
    const source = `
      (func (export "softplus") (param $src i32) (param $dst i32) (param $count i32) (local $i i32))
      (func (export "hypot") (param $a i32) (param $b i32) (param $out i32) (param $count i32)
        (local $v v128))`;
    expect(elementwiseExports(source)).toEqual({ softplus: 1, hypot: 2 });
  });

  it("leaves out functions of other shapes: a result, a last parameter other than $count, other types, helpers", () => {
    const source = `
      (func (export "sum") (param $at i32) (param $count i32) (result f64))
      (func (export "columnSums") (param $a i32) (param $rows i32) (param $n i32) (param $acc i32))
      (func (export "scale") (param $src i32) (param $dst i32) (param $s f32) (param $count i32))
      (func (export "rmsprop") (param $p i32) (param $g i32) (param $v i32) (param $n i32) (param $s i32))
      (func $load (param $src i32) (param $dst i32) (param $count i32))`;
    expect(elementwiseExports(source)).toEqual({});
  });
});

describe("the acceleration policy (kernels/accelerate.ts)", () => {
  it("has a row and an accelerated loop for every elementwise export of exp.wat and arithmetic.wat", () => {
    const names = [...Object.keys(EXP_ELEMENTWISE), ...Object.keys(ARITHMETIC_ELEMENTWISE)].sort();
    expect(names).toEqual(expect.arrayContaining(["add", "exp", "mul", "relu", "reluGrad", "sigmoid", "tanh"]));
    expect(Object.keys(POLICY).sort()).toEqual(names);
    expect(Object.keys(fast).sort()).toEqual(names);
    for (const name of names) expect(typeof fast[name as keyof typeof fast]).toBe("function");
    expect(POLICY.exp.threads).toBeLessThan(POLICY.add.threads); // compute-bound rows share sooner
  });
});
