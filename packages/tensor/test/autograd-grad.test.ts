import { describe, expect, it } from "vitest";
import { ArgumentError, AutogradError, autograd, tensor } from "../src/index";

// Expected values and messages from torch 1.13 (Debian's python3-torch); the Python is above each case.
describe("autograd.grad", () => {
  it("gives d(outputs)/d(inputs) and touches no leaf's .grad (a retained non-leaf's is filled, as torch)", () => {
    // x = [1, 2], w = [3, 4]; y = x*w; y.retain_grad(); z = y.sum()*2
    // torch.autograd.grad(z, [x]) -> ([6, 8],); x.grad None, w.grad None, y.grad [2, 2]
    const x = tensor([1, 2], { requiresGrad: true }), w = tensor([3, 4], { requiresGrad: true });
    const y = x.mul(w);
    y.retainGrad();
    const [g] = autograd.grad(y.sum().mul(2), [x]);
    expect(g?.toArray()).toEqual([6, 8]);
    expect(x.grad).toBeNull();
    expect(w.grad).toBeNull();
    expect(y.grad?.toArray()).toEqual([2, 2]);
  });

  it("takes one tensor or arrays, sums over several outputs, and uses gradOutputs", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    // torch.autograd.grad([(x*2).sum(), (x*x).sum()], [x]) -> ([4, 6],)
    expect(autograd.grad([x.mul(2).sum(), x.mul(x).sum()], [x])[0]?.toArray()).toEqual([4, 6]);
    // torch.autograd.grad(x*2, [x], grad_outputs=torch.tensor([1., 3.])) -> ([2, 6],)
    expect(autograd.grad(x.mul(2), x, { gradOutputs: tensor([1, 3]) })[0]?.toArray()).toEqual([2, 6]);
    expect(autograd.grad(x.mul(2), [x], { gradOutputs: [tensor([1, 3])] })[0]?.toArray()).toEqual([2, 6]);
  });

  it("a non-leaf input gets the gradient arriving at it, before its hooks", () => {
    // x = [1, 2]; y = x*3; y.register_hook(lambda g: g*10)
    // torch.autograd.grad((y*y).sum(), [y, x]) -> ([6, 12], [180, 360])
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(3);
    y.registerHook((g) => g.mul(10));
    expect(autograd.grad(y.mul(y).sum(), [y, x]).map((g) => g?.toArray())).toEqual([[6, 12], [180, 360]]);
  });

  it("runs only the part of the graph that leads to the inputs", () => {
    const x = tensor([1, 2], { requiresGrad: true }), w = tensor([3, 4], { requiresGrad: true });
    let ran = 0;
    const other = w.exp();
    other.registerHook(() => { ran++; });
    autograd.grad(x.mul(2).add(other).sum(), [x]);
    expect(ran).toBe(0);
    other.exp().sum().backward();
    expect(ran).toBe(1);
  });

  it("throws torch's errors: unused input, non-scalar output, input without grad, second pass", () => {
    const x = tensor([1, 2], { requiresGrad: true }), u = tensor([1], { requiresGrad: true });
    expect(() => autograd.grad(x.mul(2).sum(), [x, u])).toThrow(
      "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.",
    );
    expect(autograd.grad(x.mul(2).sum(), [x, u], { allowUnused: true }).map((g) => g?.toArray() ?? null)).toEqual([[2, 2], null]);
    expect(() => autograd.grad(x.mul(2), [x])).toThrow("grad can be implicitly created only for scalar outputs");
    expect(() => autograd.grad(x.mul(2).sum(), [tensor([1])])).toThrow("One of the differentiated Tensors does not require grad");
    const z = x.mul(x).sum();
    autograd.grad(z, [x]);
    expect(() => autograd.grad(z, [x])).toThrow(/^Trying to backward through the graph a second time/);
    const kept = x.mul(x).sum();
    autograd.grad(kept, [x], { retainGraph: true });
    expect(autograd.grad(kept, [x])[0]?.toArray()).toEqual([2, 4]);
  });

  it("checks its arguments", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => autograd.grad(x.sum(), [])).toThrow(ArgumentError);
    expect(() => autograd.grad(x.sum(), [x], { retain_graph: true } as never)).toThrow(
      "grad: unknown option 'retain_graph'; the options are gradOutputs, retainGraph, createGraph, allowUnused",
    );
    expect(() => autograd.grad(x.mul(2), [x], { gradOutputs: tensor([1, 2, 3]) })).toThrow(
      "Mismatch in shape: grad_output[0] has a shape of [3] and output[0] has a shape of [2].",
    );
  });
});

describe("registerHook", () => {
  it("replaces a non-leaf's gradient before it is used; retainGrad sees the result", () => {
    // x = [1, 2]; y = x*3; y.register_hook(lambda g: g*10); y.retain_grad(); (y*y).sum().backward()
    // y.grad -> [60, 120], x.grad -> [180, 360]
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(3);
    y.registerHook((g) => g.mul(10));
    y.retainGrad();
    y.mul(y).sum().backward();
    expect(y.grad?.toArray()).toEqual([60, 120]);
    expect(x.grad?.toArray()).toEqual([180, 360]);
  });

  it("on a leaf runs before .grad is added to; remove() unregisters it", () => {
    // x = [1, 2]; h = x.register_hook(lambda g: g+1); (x*2).sum().backward() -> x.grad [3, 3]
    // h.remove(); (x*2).sum().backward() -> x.grad [5, 5]
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.registerHook((g) => g.add(1));
    x.mul(2).sum().backward();
    expect(x.grad?.toArray()).toEqual([3, 3]);
    h.remove();
    x.mul(2).sum().backward();
    expect(x.grad?.toArray()).toEqual([5, 5]);
  });

  it("runs hooks in the order they were registered; a hook that returns nothing only observes", () => {
    // y = x*1; y.register_hook(lambda g: g*2); y.register_hook(lambda g: g+1); y.sum().backward() -> x.grad [3, 3]
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(1);
    const seen: number[][] = [];
    y.registerHook((g) => g.mul(2));
    y.registerHook((g) => { seen.push(g.toArray() as number[]); });
    y.registerHook((g) => g.add(1));
    y.sum().backward();
    expect(seen).toEqual([[2, 2]]);
    expect(x.grad?.toArray()).toEqual([3, 3]);
  });

  it("refuses a tensor without grad and a hook that returns the wrong shape", () => {
    expect(() => tensor([1]).registerHook(() => undefined)).toThrow(
      "cannot register a hook on a tensor that doesn't require gradient",
    );
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    y.registerHook(() => tensor([1, 2, 3]));
    expect(() => y.sum().backward()).toThrow(AutogradError);
    expect(() => x.mul(2).sum().backward()).not.toThrow();
  });
});

describe("backward's inputs", () => {
  it("fills .grad of the given tensors only", () => {
    // x = [1, 2], w = [3, 4]; (x*w).sum().backward(inputs=[w]) -> x.grad None, w.grad [1, 2]
    const x = tensor([1, 2], { requiresGrad: true }), w = tensor([3, 4], { requiresGrad: true });
    x.mul(w).sum().backward(null, { inputs: [w] });
    expect(x.grad).toBeNull();
    expect(w.grad?.toArray()).toEqual([1, 2]);
  });

  it("checks them", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => x.sum().backward(null, { inputs: [] })).toThrow("'inputs' argument to backward() cannot be empty.");
    expect(() => x.sum().backward(null, { inputs: [tensor([1])] })).toThrow("One of the differentiated Tensors does not require grad");
  });
});
