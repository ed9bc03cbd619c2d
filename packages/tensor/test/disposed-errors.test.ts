import { describe, expect, it } from "vitest";
import { TensorError, cat, ones, tensor, toNdarray, where } from "../src/index";

const dead = (shape = [2, 3]) => {
  const t = ones(shape);
  t.dispose();
  return t;
};

describe("using a disposed tensor names the op and the tensor's shape", () => {
  it("in elementwise ops, either operand", () => {
    expect(() => dead().add(1)).toThrow(TensorError);
    expect(() => dead().add(1)).toThrow(
      "add: a tensor of shape [2, 3] (float32) was disposed (by dispose() or tidy()) and cannot be used any more",
    );
    expect(() => ones([2, 3]).mul(dead())).toThrow(/^mul: a tensor of shape \[2, 3\] \(float32\) was disposed/);
    expect(() => dead([4]).exp()).toThrow(/^exp: a tensor of shape \[4\]/);
    expect(() => dead().relu()).toThrow(/^relu: /);
    expect(() => dead().gt(0)).toThrow(/^gt: /);
    expect(() => where(dead([2]), 1, ones([2]))).toThrow(/^where: /);
  });

  it("in reductions, views, products, in-place ops and data out", () => {
    expect(() => dead().sum()).toThrow(/^sum: a tensor of shape \[2, 3\]/);
    expect(() => dead().mean()).toThrow(/^mean: /);
    expect(() => dead().softmax(1)).toThrow(/^softmax: /);
    expect(() => dead().reshape([6])).toThrow(/^reshape: /);
    expect(() => dead().transpose(0, 1)).toThrow(/^transpose: /);
    expect(() => dead().unsqueeze(0)).toThrow(/^unsqueeze: /);
    expect(() => dead().narrow(0, 0, 1)).toThrow(/^narrow: /);
    expect(() => dead([3, 3]).matmul(ones([3, 3]))).toThrow(/^matmul: a tensor of shape \[3, 3\]/);
    expect(() => dead().add_(1)).toThrow(/^add_: /);
    expect(() => ones([2, 3]).copy_(dead())).toThrow(/^copy_: /);
    expect(() => dead().fill_(0)).toThrow(/^fill_: /);
    expect(() => cat([ones([2, 3]), dead()])).toThrow(/^cat: /);
    expect(() => dead().to("float64")).toThrow(/^to: /);
    expect(() => dead().item()).toThrow(/^item: /);
    expect(() => dead().toArray()).toThrow(/^toArray: /);
    expect(() => dead().toString()).toThrow(/^toString: /);
    expect(() => toNdarray(dead())).toThrow(/^toNdarray: /);
    expect(() => dead().storage).toThrow(/^storage: a tensor of shape \[2, 3\]/);
    expect(() => tensor([1], { requiresGrad: true }).mul(2).detach().clone()).not.toThrow();
  });
});
