import { describe, expect, it } from "vitest";
import { Tensor, noGrad, type DType, type FloatArray } from "@minigrad/tensor";
import { GELU, Linear, Module, ReLU, Sequential, Sigmoid, Tanh, functional as F } from "@minigrad/nn";
import { expectClose, fromFixture, loadConformance, type FixtureTensor } from "../../tensor/test/helpers/conformance";

/**
 * conformance/mlp.json from the nn side: build the Sequential, load torch's initial state
 * dict, and train with F.crossEntropy. The optimizer here is a minimal test-only RMSprop
 * (torch's update rule, state kept in the parameter's dtype); the bit-exact one, and the
 * same fixture run with it, live in @minigrad/optim.
 */
interface MlpCase {
  name: string;
  dtype: DType;
  sizes: number[];
  activation: string;
  options: { lr: number; alpha?: number; eps?: number; momentum?: number; centered?: boolean };
  initialStateDict: Record<string, FixtureTensor>;
  x: FixtureTensor;
  y: FixtureTensor;
  losses: number[];
  finalStateDict: Record<string, FixtureTensor>;
}

const activations: Record<string, () => Module> = {
  relu: () => new ReLU(),
  tanh: () => new Tanh(),
  sigmoid: () => new Sigmoid(),
  gelu: () => new GELU(),
};

function buildModel(c: MlpCase): Sequential {
  const layers: Module[] = [];
  const dtype = c.dtype === "float64" ? "float64" : "float32";
  c.sizes.slice(1).forEach((out, i) => {
    if (i > 0) layers.push(activations[c.activation]());
    layers.push(new Linear(c.sizes[i], out, { dtype }));
  });
  return new Sequential(...layers);
}

/** torch's RMSprop for-loop step (no weight decay, not maximizing), in plain loops. */
function rmspropStep(params: Tensor[], state: Map<Tensor, FloatArray[]>, o: MlpCase["options"]): void {
  const { lr, alpha = 0.99, eps = 1e-8, momentum = 0, centered = false } = o;
  noGrad(() => {
    for (const p of params) {
      const g = (p.grad as Tensor).toTypedArray() as FloatArray;
      const data = p.storage as FloatArray;
      const fresh = (): FloatArray => (p.dtype === "float64" ? new Float64Array(p.numel) : new Float32Array(p.numel));
      if (!state.has(p)) state.set(p, [fresh(), fresh(), fresh()]);
      const [v, avgG, buf] = state.get(p) as FloatArray[];
      for (let i = 0; i < p.numel; i++) {
        v[i] = alpha * v[i] + (1 - alpha) * g[i] * g[i];
        let avg: number;
        if (centered) {
          avgG[i] = alpha * avgG[i] + (1 - alpha) * g[i];
          avg = Math.sqrt(v[i] - avgG[i] * avgG[i]) + eps;
        } else {
          avg = Math.sqrt(v[i]) + eps;
        }
        if (momentum > 0) {
          buf[i] = momentum * buf[i] + g[i] / avg;
          data[p.offset + i] -= lr * buf[i];
        } else {
          data[p.offset + i] -= (lr * g[i]) / avg;
        }
      }
    }
  });
}

const { cases } = loadConformance<{ cases: MlpCase[] }>("mlp.json");

describe("conformance: mlp.json (every loss; the final state in float64)", () => {
  for (const c of cases) {
    it(`${c.name}: ${c.sizes.join("-")} ${c.activation} (${c.dtype})`, () => {
      const model = buildModel(c);
      const sd = Object.fromEntries(Object.entries(c.initialStateDict).map(([k, t]) => [k, fromFixture(t, c.dtype)]));
      model.loadStateDict(sd);
      const x = fromFixture(c.x, c.dtype);
      const y = fromFixture(c.y, c.dtype);
      const params = [...model.parameters()];
      const state = new Map<Tensor, FloatArray[]>();
      c.losses.forEach((want, step) => {
        model.zeroGrad();
        const loss = F.crossEntropy(model.forward(x), y);
        loss.backward();
        expectClose(loss, { shape: [], data: [want] }, c.dtype, `loss at step ${step}`);
        rmspropStep(params, state, c.options);
      });
      const final = model.stateDict();
      for (const [key, want] of Object.entries(c.finalStateDict)) expectClose(final[key], want, c.dtype, key);
    });
  }
});
