import { describe, expect, it } from "vitest";
import { Tensor, enableGrad, isGradEnabled, noGrad, ones, tensor, zeros } from "../src/index";

describe("autograd engine (torch-semantics.md section 6)", () => {
  it("fills .grad only on leaves that require grad; unused leaves keep null", () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const unused = tensor([1], { requiresGrad: true });
    const x = tensor([4, 5, 6]);
    const y = w.mul(x).sum();
    y.backward();
    expect(w.grad?.toArray()).toEqual([4, 5, 6]);
    expect(x.grad).toBeNull();
    expect(unused.grad).toBeNull();
    expect(y.grad).toBeNull(); // a non-leaf without retainGrad
    expect(y.isLeaf).toBe(false);
    expect(w.isLeaf).toBe(true);
  });

  it("accumulates across backward calls: 3x backward of w*w at w=1 gives 6", () => {
    const w = tensor(1, { requiresGrad: true });
    for (let i = 0; i < 3; i++) w.mul(w).backward();
    expect(w.grad?.item()).toBe(6);
  });

  it("sums gradients over every path (reuse and diamonds)", () => {
    // y = a*a + a => dy/da = 2a + 1
    const a = tensor([2, -1], { requiresGrad: true, dtype: "float64" });
    a.mul(a).add(a).sum().backward();
    expect(a.grad?.toArray()).toEqual([5, -1]);
  });

  it("undoes broadcasting: a(2,3)*b(3)*c(2,1) gives b.grad=[2,2,2], c.grad=[[3],[3]]", () => {
    const a = ones([2, 3]);
    const b = ones([3], { requiresGrad: true });
    const c = ones([2, 1], { requiresGrad: true });
    a.mul(b).mul(c).sum().backward();
    expect(b.grad?.toArray()).toEqual([2, 2, 2]);
    expect(c.grad?.toArray()).toEqual([[3], [3]]);
  });

  it("a non-scalar root needs an explicit gradient of the same shape", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2);
    expect(() => y.backward()).toThrow("grad can be implicitly created only for scalar outputs");
    expect(() => y.backward(tensor([1, 1]))).toThrow(
      "Mismatch in shape: grad_output[0] has a shape of [2] and output[0] has a shape of [3].",
    );
    y.backward(tensor([1, 0.5, 0]));
    expect(x.grad?.toArray()).toEqual([2, 1, 0]);
  });

  it("a second backward through a freed graph throws; retainGraph keeps it", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward();
    expect(() => y.backward()).toThrow(/Trying to backward through the graph a second time/);
    const z = x.mul(x).sum();
    x.grad = null;
    z.backward(null, { retainGraph: true });
    z.backward();
    expect((x.grad as Tensor | null)?.toArray()).toEqual([4, 8]); // 2 * 2x (cast: TS narrowed .grad to null above)
  });

  it("graphs that saved nothing can be run twice, as in torch", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.add(1).sum();
    y.backward();
    y.backward();
    expect(x.grad?.toArray()).toEqual([2, 2]);
  });

  it("backward of a tensor that does not require grad throws", () => {
    expect(() => tensor([1]).sum().backward()).toThrow(
      "element 0 of tensors does not require grad and does not have a grad_fn",
    );
  });

  it("retainGrad keeps .grad on a non-leaf; refuses on a tensor without grad", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(3).retainGrad();
    h.mul(h).sum().backward();
    expect(h.grad?.toArray()).toEqual([6, 12]);
    expect(h.isLeaf).toBe(false);
    expect(() => tensor([1]).retainGrad()).toThrow("can't retain_grad on Tensor that has requires_grad=False");
  });

  it("records nothing inside noGrad; enableGrad turns it back on", () => {
    const x = tensor([1], { requiresGrad: true });
    const y = noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(noGrad(() => isGradEnabled())).toBe(false);
    const z = noGrad(() => enableGrad(() => x.mul(2)));
    expect(z.gradFn?.name).toBe("MulBackward");
    expect(isGradEnabled()).toBe(true);
  });

  it("restores the grad mode when the function throws", () => {
    expect(() =>
      noGrad(() => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(isGradEnabled()).toBe(true);
  });

  it("detach shares storage and cuts the graph", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const d = x.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    const e = x.detach();
    expect(e.storage).toBe(x.storage);
  });

  it("gradFn names the op and links to the inputs' nodes", () => {
    const a = tensor([1], { requiresGrad: true });
    const y = a.mul(2).exp();
    expect(y.gradFn?.name).toBe("ExpBackward");
    expect(y.gradFn?.nextFunctions[0]?.name).toBe("MulBackward");
    expect(y.gradFn?.nextFunctions[0]?.nextFunctions[0]?.name).toBe("AccumulateGrad");
  });

  it("a cast is differentiable: the gradient comes back in the input's dtype", () => {
    const x = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    const y = x.to("float32").mul(3);
    expect(y.dtype).toBe("float32");
    y.sum().backward();
    expect(x.grad?.dtype).toBe("float64");
    expect(x.grad?.toArray()).toEqual([3, 3]);
    // float32 op float64 promotes to float64, as torch.
    expect(tensor([1]).add(tensor([1], { dtype: "float64" })).dtype).toBe("float64");
    expect(tensor([1], { dtype: "int32" }).add(0.5).dtype).toBe("float32");
    expect(tensor([3], { dtype: "int32" }).div(2).toArray()).toEqual([1.5]);
  });

  it("requiresGrad only on floating dtypes", () => {
    expect(() => tensor([1, 2], { dtype: "int32", requiresGrad: true })).toThrow(
      /only Tensors of floating point dtype can require gradients/,
    );
    expect(() => zeros([2], { dtype: "bool" }).requiresGrad_()).toThrow(/floating point/);
  });

  it("assigning .grad checks shape and dtype", () => {
    const p = zeros([2, 3], { requiresGrad: true });
    expect(() => (p.grad = zeros([3]))).toThrow(/assigned grad has data of a different size/);
    expect(() => (p.grad = zeros([2, 3], { dtype: "float64" }))).toThrow(/different type/);
    p.grad = ones([2, 3]);
    expect(p.grad?.sum().item()).toBe(6);
    p.grad = null;
    expect(p.grad).toBeNull();
  });

  it("a deep chain of 20,000 ops backpropagates without overflowing the stack", () => {
    const x = tensor(1, { requiresGrad: true, dtype: "float64" });
    let y = x;
    for (let i = 0; i < 20000; i++) y = y.mul(1.0001);
    y.backward();
    expect(x.grad?.item()).toBeCloseTo(Math.pow(1.0001, 20000), 6);
  });
});

describe("in-place ops and version counters", () => {
  it("bump the version of the tensor and its views", () => {
    const x = zeros([2, 2]);
    const v = x.select(0, 1);
    x.add_(1);
    v.mul_(3);
    expect(x.version).toBe(2);
    expect(v.version).toBe(2);
    expect(x.toArray()).toEqual([[1, 1], [3, 3]]);
  });

  it("refuse a leaf that requires grad, and a view of it, outside noGrad", () => {
    const w = ones([2, 2], { requiresGrad: true });
    expect(() => w.add_(1)).toThrow("a leaf Variable that requires grad is being used in an in-place operation.");
    expect(() => w.select(0, 0).mul_(2)).toThrow(
      "a view of a leaf Variable that requires grad is being used in an in-place operation.",
    );
    noGrad(() => w.sub_(0.5));
    expect(w.toArray()).toEqual([[0.5, 0.5], [0.5, 0.5]]);
  });

  it("make backward throw when a saved output was modified (exp saves its result)", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.exp();
    y.add_(1);
    expect(() => y.sum().backward()).toThrow(
      /one of the variables needed for gradient computation has been modified by an inplace operation: \[float32 \[3\]\], which is output 0 of ExpBackward, is at version 1; expected version 0 instead/,
    );
  });

  it("make backward throw when a saved input was modified (mul saves its inputs)", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const h = x.mul(1);
    const y = h.mul(h);
    h.add_(1);
    expect(() => y.sum().backward()).toThrow(/modified by an inplace operation/);
  });

  it("are recorded on non-leaf tensors: gradients flow as for the out-of-place op", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true, dtype: "float64" });
    const h = x.mul(2);
    h.mul_(x); // h = 2x * x
    h.add_(1);
    h.sum().backward();
    expect(h.gradFn?.name).toBe("AddBackward");
    expect(x.grad?.toArray()).toEqual([4, 8, 12]); // d(2x^2)/dx
  });

  it("addcmul_, addcdiv_, clamp_, sqrt_, fill_, zero_, copy_ compute like torch", () => {
    const p = tensor([1, 4, 9]);
    p.addcmul_(tensor([1, 2, 3]), tensor([2, 2, 2]), 0.5);
    expect(p.toArray()).toEqual([2, 6, 12]);
    p.addcdiv_(tensor([2, 2, 2]), tensor([1, 2, 4]), -1);
    expect(p.toArray()).toEqual([0, 5, 11.5]);
    p.clamp_(1, 10);
    expect(p.toArray()).toEqual([1, 5, 10]);
    tensor([4, 9]).sqrt_();
    const q = zeros([2, 2]);
    q.fill_(7);
    expect(q.toArray()).toEqual([[7, 7], [7, 7]]);
    q.select(1, 0).zero_();
    expect(q.toArray()).toEqual([[0, 7], [0, 7]]);
    q.copy_(tensor([1, 2]));
    expect(q.toArray()).toEqual([[1, 2], [1, 2]]);
    expect(q.version).toBe(3);
  });

  it("reject an operand that does not broadcast to the tensor's shape", () => {
    expect(() => zeros([3]).add_(zeros([2, 3]))).toThrow(
      "add_: output with shape [3] doesn't match the broadcast shape [2, 3]",
    );
    expect(() => zeros([2], { dtype: "int32" }).add_(0.5)).toThrow(/can't be cast to the desired output type int32/);
  });
});
