import { describe, expect, it } from "vitest";
import { AutogradError, Tensor, gradcheck, randn, tensor, zeros } from "../src/index";

// In-place ops on views of tensors in the graph rebase the base's history (torch's CopySlices).
// Expected values from torch 1.13 (Debian's python3-torch), the Python given above each case.
describe("in-place ops on views of tensors in the graph (CopySlices)", () => {
  it("y = a*2; y.select(0, 0).mul_(3): the base's gradFn is CopySlices, the view's AsStridedBackward", () => {
    // a = torch.tensor([[1.,2.],[3.,4.]], requires_grad=True); y = a.mul(2); v = y.select(0, 0); v.mul_(3)
    // (y * torch.tensor([[1.,2.],[3.,4.]])).sum().backward(); a.grad -> [[6, 12], [6, 8]]
    const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const y = a.mul(2);
    const v = y.select(0, 0);
    v.mul_(3);
    expect(y.gradFn?.name).toBe("CopySlices");
    expect(v.gradFn?.name).toBe("AsStridedBackward");
    expect(y.version).toBe(1);
    expect(y.toArray()).toEqual([[6, 12], [6, 8]]);
    y.mul(tensor([[1, 2], [3, 4]])).sum().backward();
    expect(a.grad?.toArray()).toEqual([[6, 12], [6, 8]]);
  });

  it("a base that did not require grad joins the graph through the view", () => {
    // b = torch.zeros(2, 3); w = torch.tensor([1.,2.,3.], requires_grad=True); b.select(0, 1).add_(w)
    // (b * b).sum().backward(); w.grad -> [2, 4, 6]
    const b = zeros([2, 3]);
    const w = tensor([1, 2, 3], { requiresGrad: true });
    b.select(0, 1).add_(w);
    expect(b.gradFn?.name).toBe("CopySlices");
    expect(b.requiresGrad).toBe(true);
    b.mul(b).sum().backward();
    expect(w.grad?.toArray()).toEqual([2, 4, 6]);
  });

  it("a strided view of a reshaped, transposed base", () => {
    // a2 = torch.tensor([1.,2.,3.,4.], requires_grad=True); y2 = a2 * 1; d = y2.view(2, 2).t().narrow(0, 1, 1)
    // d.sqrt_(); (y2 * torch.tensor([1.,2.,3.,4.])).sum().backward(); a2.grad -> [1, 0.70710676908..., 3, 1]
    const a = tensor([1, 2, 3, 4], { requiresGrad: true });
    const y = a.mul(1);
    const d = y.view([2, 2]).T.narrow(0, 1, 1);
    d.sqrt_();
    y.mul(tensor([1, 2, 3, 4])).sum().backward();
    expect(a.grad?.toArray()).toEqual([1, 0.7071067690849304, 3, 1]);
  });

  it("two in-place ops on different views of one base, one reading another tensor", () => {
    // a = torch.tensor([[1.,2.,3.],[4.,5.,6.]], requires_grad=True); y = a * 1
    // y.select(1, 0).mul_(2); y.select(1, 2).add_(a.select(1, 1)); (y * y).sum().backward()
    // a.grad -> [[8, 14, 10], [32, 32, 22]]
    const a = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const y = a.mul(1);
    y.select(1, 0).mul_(2);
    y.select(1, 2).add_(a.select(1, 1));
    y.mul(y).sum().backward();
    expect(a.grad?.toArray()).toEqual([[8, 14, 10], [32, 32, 22]]);
  });

  it("the modified view itself carries on in the graph", () => {
    // a = torch.tensor([1.,2.,3.,4.], requires_grad=True); y = a.clone(); v = y.narrow(0, 1, 2); v.mul_(2)
    // (v * 3).sum().backward(); a.grad -> [0, 6, 6, 0]
    const a = tensor([1, 2, 3, 4], { requiresGrad: true });
    const v = a.clone().narrow(0, 1, 2);
    v.mul_(2);
    v.mul(3).sum().backward();
    expect(a.grad?.toArray()).toEqual([0, 6, 6, 0]);
  });

  it("fill_ on a view: zero gradient inside it", () => {
    // a = torch.tensor([[1.,2.],[3.,4.]], requires_grad=True); y = a * 1; y.T.select(0, 1).fill_(7)
    // (y * y).sum().backward(); a.grad -> [[2, 0], [6, 0]]; y -> [[1, 7], [3, 7]]
    const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const y = a.mul(1);
    y.T.select(0, 1).fill_(7);
    expect(y.toArray()).toEqual([[1, 7], [3, 7]]);
    y.mul(y).sum().backward();
    expect(a.grad?.toArray()).toEqual([[2, 0], [6, 0]]);
  });

  it("a tensor saved by an earlier op is caught by the version check", () => {
    // a = torch.tensor([1.,2.,3.], requires_grad=True); y = a * 1; z = y * y; y.narrow(0, 0, 1).mul_(2)
    // z.sum().backward() -> RuntimeError: one of the variables needed for gradient computation has been
    // modified by an inplace operation: [torch.FloatTensor [3]], which is output 0 of torch::autograd::CopySlices,
    // is at version 1; expected version 0 instead. (minigrad names the op that made it when it was saved.)
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const y = a.mul(1);
    const z = y.mul(y);
    y.narrow(0, 0, 1).mul_(2);
    expect(() => z.sum().backward()).toThrow(AutogradError);
    expect(() => z.sum().backward()).toThrow(/modified by an inplace operation: \[float32 \[3\]\], which is output 0 of MulBackward, is at version 1; expected version 0/);
  });

  it("a view of a leaf that requires grad is still refused, with torch's message", () => {
    const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    expect(() => a.select(0, 0).mul_(2)).toThrow(
      "mul_: a view of a leaf Variable that requires grad is being used in an in-place operation.",
    );
  });
  it("passes gradcheck (float64): in-place ops through strided views of a base, reading other inputs", () => {
    const a = randn([3, 4], { dtype: "float64", requiresGrad: true });
    const b = randn([4], { dtype: "float64", requiresGrad: true });
    const f = (x: Tensor, w: Tensor) => {
      const y = x.mul(1.5);
      y.select(0, 1).mul_(w.exp()); // a row (stays positive)
      y.T.narrow(0, 2, 2).add_(x.T.narrow(0, 0, 2).tanh().add(1)); // two columns, through a transpose
      y.select(1, 0).sqrt_(); // a column: every value is positive by now
      return y.mul(y).mul(y.tanh()).sum();
    };
    const positive = (x: Tensor, w: Tensor) => f(x.abs().add(0.5), w);
    expect(positive(a, b).isDisposed).toBe(false);
    expect(Number.isFinite(positive(a, b).item())).toBe(true);
    expect(gradcheck(positive, [a, b])).toBe(true);
  });
});
