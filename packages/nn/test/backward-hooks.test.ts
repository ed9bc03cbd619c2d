import { describe, expect, it } from "vitest";
import { Tensor, noGrad, tensor } from "@minigrad/tensor";
import { Linear, Module } from "@minigrad/nn";

// torch 1.13, float64: lin = nn.Linear(3, 2).double() with weight [[1,2,3],[4,5,6]], bias [0.5,-0.5];
// lin.register_full_backward_hook(hook); x = [[1,-1,2]]; lin(x).tanh().sum().backward()
// the hook sees gi and go below (returning (gi[0]*2,) doubles x.grad)
const TORCH_GI = [6.68167037396079e-05, 0.00013362430840639417, 0.00020043191307318042];
const TORCH_GO = [6.680457164251238e-05, 3.033024273877989e-09];

function layer(): Linear {
  const lin = new Linear(3, 2, { dtype: "float64" });
  noGrad(() => {
    lin.weight.copy_(tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float64" }));
    lin.bias!.copy_(tensor([0.5, -0.5], { dtype: "float64" }));
  });
  return lin;
}

describe("Module.registerFullBackwardHook", () => {
  it("sees the gradients with respect to the input and the output; a returned array replaces the input's", () => {
    const lin = layer();
    const seen: [number[][] | null, number[][] | null][] = [];
    lin.registerFullBackwardHook((_m, gi, go) => {
      seen.push([gi[0]?.toArray() as number[][], go[0]?.toArray() as number[][]]);
      return [gi[0]!.mul(2)];
    });
    const x = tensor([[1, -1, 2]], { dtype: "float64", requiresGrad: true });
    lin.forward(x).tanh().sum().backward();
    expect(seen).toHaveLength(1);
    seen[0][0]![0].forEach((v, i) => expect(v).toBeCloseTo(TORCH_GI[i], 15));
    seen[0][1]![0].forEach((v, i) => expect(v).toBeCloseTo(TORCH_GO[i], 15));
    (x.grad!.toArray() as number[][])[0].forEach((v, i) => expect(v).toBeCloseTo(2 * TORCH_GI[i], 15));
  });

  it("with an input that does not require grad it runs with [null] at the output's gradient, as torch; remove() ends it", () => {
    const lin = layer();
    const seen: unknown[] = [];
    const h = lin.registerFullBackwardHook((_m, gi, go) => {
      seen.push([gi, go[0]?.toArray()]);
    });
    lin.forward(tensor([[1, -1, 2]], { dtype: "float64" })).sum().backward();
    expect(seen).toEqual([[[null], [[1, 1]]]]);
    h.remove();
    lin.forward(tensor([[1, -1, 2]], { dtype: "float64" })).sum().backward();
    expect(seen).toHaveLength(1);
  });

  it("a module with several inputs that require grad: one call with all their gradients, each replaceable (torch's values)", () => {
    // class Pair(nn.Module): forward(a, b) = a * b + a.tanh(); hook returns (gi[0] * 2, gi[1] * 3)
    // a = [0.5, -1], b = [2, 3] (float64); (p(a, b) * [1, 2]).sum().backward()
    // hook sees gi = ([2.7864477329659274, 6.8399486832280525], [0.5, -2.0]), go = ([1, 2],)
    // a.grad = [5.572895465931855, 13.679897366456105], b.grad = [1.5, -6.0]
    class Pair extends Module {
      forward(a: Tensor, b: Tensor): Tensor {
        return a.mul(b).add(a.tanh());
      }
    }
    const p = new Pair();
    const seen: unknown[] = [];
    p.registerFullBackwardHook((_m, gi, go) => {
      seen.push([gi.map((g) => g?.toArray()), go.map((g) => g?.toArray())]);
      return [gi[0]!.mul(2), gi[1]!.mul(3)];
    });
    const a = tensor([0.5, -1], { dtype: "float64", requiresGrad: true });
    const b = tensor([2, 3], { dtype: "float64", requiresGrad: true });
    p.forward(a, b).mul(tensor([1, 2], { dtype: "float64" })).sum().backward();
    expect(seen).toEqual([[[[2.7864477329659274, 6.8399486832280525], [0.5, -2]], [[1, 2]]]]);
    expect(a.grad?.toArray()).toEqual([5.572895465931855, 13.679897366456105]);
    expect(b.grad?.toArray()).toEqual([1.5, -6]);
  });

  it("refuses what it cannot follow, naming the module", () => {
    class Pair extends Module {
      forward(a: Tensor, b: Tensor): Tensor[] {
        return [a, b];
      }
    }
    const p = new Pair();
    p.registerFullBackwardHook(() => undefined);
    const a = tensor([1], { requiresGrad: true }), b = tensor([2], { dtype: "float64", requiresGrad: true });
    expect(() => p.forward(a, b)).toThrow("registerFullBackwardHook: Pair's inputs that require grad must share a dtype, got float32, float64");
    expect(() => p.forward(a, tensor([2], { requiresGrad: true }))).toThrow("registerFullBackwardHook: Pair returned an array; a Tensor output is supported");
  });
});
