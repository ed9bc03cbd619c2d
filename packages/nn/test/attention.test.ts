import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Generator, Tensor, gradcheck, gradgradcheck, noGrad, randn, tensor, zeros, type DType } from "@minigrad/tensor";
import {
  Embedding, Linear, Module, ModuleList, MultiheadAttention, TransformerEncoderLayer, deserialize, functional as F,
} from "@minigrad/nn";
import { loadFixture } from "./helpers/cases";

/**
 * Attention against test/fixtures/attention.json, recorded by gen_attention.py with PyTorch
 * 1.13: F.scaledDotProductAttention against torch 2.0's documented computation written out
 * in 1.13, and every MultiheadAttention and TransformerEncoderLayer case with torch's weights
 * loaded through `loadStateDict` (torch's keys, unchanged), in float64 (to 1e-10) and float32
 * (to 1e-5): outputs, attention weights, and the gradients of the inputs and every parameter.
 */

interface FT { shape: number[]; data: number[] }
interface Mask extends FT { dtype: "bool" | "float" }
interface SdpaRun { output: FT; grads: FT[]; maskGrad: FT | null }
interface SdpaCase {
  name: string; q: FT; k: FT; v: FT; attnMask: Mask | null; isCausal: boolean; maskRequiresGrad: boolean;
  upstream: FT; float64: SdpaRun; float32: SdpaRun;
}
interface MhaRun { output: FT; weights: FT | null; inputGrads: FT[]; paramGrads: Record<string, FT> }
interface MhaCase {
  name: string;
  options: { dropout?: number; bias?: boolean; batchFirst?: boolean; kdim?: number; vdim?: number };
  numHeads: number; mode: "train" | "eval"; inputs: FT[]; which: number[];
  attnMask: Mask | null; keyPaddingMask: Mask | null; needWeights: boolean; averageAttnWeights: boolean;
  stateDict: Record<string, FT>; stateDictKeys: string[]; repr: string; upstream: FT[];
  float64: MhaRun; float32: MhaRun;
}
interface TelRun { output: FT; inputGrad: FT; paramGrads: Record<string, FT> }
interface TelCase {
  name: string;
  options: {
    dimFeedforward?: number; dropout?: number; activation?: "relu" | "gelu"; layerNormEps?: number;
    batchFirst?: boolean; normFirst?: boolean;
  };
  nhead: number; mode: "train" | "eval"; input: FT; srcMask: Mask | null; srcKeyPaddingMask: Mask | null;
  stateDict: Record<string, FT>; stateDictKeys: string[]; repr: string; upstream: FT;
  float64: TelRun; float32: TelRun;
}
interface Fixture {
  sizes: { embed: number; feedforward: number };
  sdpa: SdpaCase[];
  mha: MhaCase[];
  tel: TelCase[];
  reprs: { ts: string; repr: string; keys: string[] }[];
  errors: { layer: string; ts: string; torch: string; message: string }[];
  init: {
    embedDim: number; inProjBound: number; inProjStd: number; outProjBound: number; outProjStd: number;
    separateBounds: number[]; separateStds: number[];
  };
  torchFile: { input: number[]; inputShape: number[]; output: FT; keys: string[] };
}

const fx = loadFixture<Fixture>("attention.json");
const f64 = { dtype: "float64" as const };
const TOL = { float64: 1e-10, float32: 1e-5 };
type Float = "float32" | "float64";

const t = (f: FT, dtype: DType, requiresGrad = false) => tensor(f.data, { shape: f.shape, dtype, requiresGrad });
const mask = (m: Mask | null, dtype: Float, requiresGrad = false): Tensor | null => {
  if (m === null) return null;
  if (m.dtype === "bool") return tensor(m.data.map(Boolean), { shape: m.shape, dtype: "bool" });
  return t(m, dtype, requiresGrad);
};
const stateDict = (sd: Record<string, FT>) => Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, t(v, "float64")]));

function expectClose(got: Tensor | null, want: FT, dtype: Float, what: string): void {
  if (got === null) return expect.fail(`${what}: missing`);
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  const tol = TOL[dtype];
  const values = got.toTypedArray();
  for (let i = 0; i < want.data.length; i++) {
    if (!(Math.abs(values[i] - want.data[i]) <= tol * (1 + Math.abs(want.data[i])))) {
      expect.fail(`${what}: element ${i} is ${values[i]}, PyTorch has ${want.data[i]} (tolerance ${tol})`);
    }
  }
}

describe("F.scaledDotProductAttention against torch's computation", () => {
  for (const c of fx.sdpa) {
    for (const dtype of ["float64", "float32"] as const) {
      it(`${c.name}, ${dtype}`, () => {
        const [q, k, v] = [c.q, c.k, c.v].map((f) => t(f, dtype, true));
        const m = mask(c.attnMask, dtype, c.maskRequiresGrad);
        const out = F.scaledDotProductAttention(q, k, v, { attnMask: m, isCausal: c.isCausal });
        const want = c[dtype];
        expectClose(out, want.output, dtype, "output");
        out.mul(t(c.upstream, dtype)).sum().backward();
        [q, k, v].forEach((x, i) => expectClose(x.grad, want.grads[i], dtype, `grad ${"qkv"[i]}`));
        if (c.maskRequiresGrad) expectClose((m as Tensor).grad, want.maskGrad as FT, dtype, "mask grad");
      });
    }
  }

  it("dropoutP: the weights are masked and scaled, from the given generator", () => {
    const [q, k, v] = [randn([2, 3, 4], f64), randn([2, 5, 4], f64), randn([2, 5, 4], f64)];
    const plain = F.scaledDotProductAttention(q, k, v);
    const a = F.scaledDotProductAttention(q, k, v, { dropoutP: 0.5, generator: new Generator(7) });
    const b = F.scaledDotProductAttention(q, k, v, { dropoutP: 0.5, generator: new Generator(7) });
    expect(a.toArray()).toEqual(b.toArray());
    expect(a.toArray()).not.toEqual(plain.toArray());
    expect(F.scaledDotProductAttention(q, k, v, { dropoutP: 1 }).toArray()).toEqual(zeros([2, 3, 4], f64).toArray());
    expect(() => F.scaledDotProductAttention(q, k, v, { dropoutP: 1.5 })).toThrow(
      "dropout probability has to be between 0 and 1, but got 1.5",
    );
  });

  it("a query with every key masked out gets NaN, as torch", () => {
    const q = randn([2, 3], f64), k = randn([2, 3], f64);
    const m = tensor([[true, true], [false, false]], { dtype: "bool" });
    const out = F.scaledDotProductAttention(q, k, k, { attnMask: m }).toArray() as number[][];
    expect(out[0].every(Number.isFinite)).toBe(true);
    expect(out[1].every(Number.isNaN)).toBe(true);
  });

  it("rejects a mask together with isCausal, integer masks and inputs of rank < 2", () => {
    const q = randn([2, 3, 4]);
    expect(() => F.scaledDotProductAttention(q, q, q, { isCausal: true, attnMask: zeros([3, 3]) })).toThrow(
      "scaledDotProductAttention: Explicit attnMask should not be set when isCausal=true",
    );
    expect(() => F.scaledDotProductAttention(q, q, q, { attnMask: zeros([3, 3], { dtype: "int32" }) })).toThrow(
      "scaledDotProductAttention: expected attnMask to be a bool or floating point tensor, got int32",
    );
    expect(() => F.scaledDotProductAttention(randn([4]), q, q)).toThrow(
      "scaledDotProductAttention: expected query to have at least 2 dimensions, got [4]",
    );
  });
});

function buildMha(c: MhaCase, dtype: Float): MultiheadAttention {
  return new MultiheadAttention(fx.sizes.embed, c.numHeads, { ...c.options, dtype });
}

describe("MultiheadAttention against PyTorch 1.13", () => {
  for (const c of fx.mha) {
    for (const dtype of ["float64", "float32"] as const) {
      it(`${c.name}, ${dtype}`, () => {
        const m = buildMha(c, dtype);
        expect(Object.keys(m.stateDict())).toEqual(c.stateDictKeys);
        expect(m.toString()).toBe(c.repr);
        m.loadStateDict(stateDict(c.stateDict));
        m.train(c.mode === "train");
        const xs = c.inputs.map((f) => t(f, dtype, true));
        const [q, k, v] = c.which.map((i) => xs[i]);
        const [out, weights] = m.forward(q, k, v, {
          keyPaddingMask: mask(c.keyPaddingMask, dtype),
          attnMask: mask(c.attnMask, dtype),
          needWeights: c.needWeights,
          averageAttnWeights: c.averageAttnWeights,
        });
        const want = c[dtype];
        expectClose(out, want.output, dtype, "output");
        if (want.weights === null) expect(weights).toBeNull();
        else expectClose(weights, want.weights, dtype, "weights");
        const outs = weights === null ? [out] : [out, weights];
        outs.map((o, i) => o.mul(t(c.upstream[i], dtype)).sum()).reduce((a, b) => a.add(b)).backward();
        xs.forEach((x, i) => expectClose(x.grad, want.inputGrads[i], dtype, `input ${i} grad`));
        expect([...m.namedParameters()].map(([n]) => n)).toEqual(Object.keys(want.paramGrads));
        for (const [name, p] of m.namedParameters()) expectClose(p.grad, want.paramGrads[name], dtype, `${name} grad`);
      });
    }
  }
});

describe("TransformerEncoderLayer against PyTorch 1.13", () => {
  for (const c of fx.tel) {
    for (const dtype of ["float64", "float32"] as const) {
      it(`${c.name}, ${dtype}`, () => {
        const m = new TransformerEncoderLayer(fx.sizes.embed, c.nhead, { ...c.options, dtype });
        expect(Object.keys(m.stateDict())).toEqual(c.stateDictKeys);
        expect(m.toString()).toBe(c.repr);
        m.loadStateDict(stateDict(c.stateDict));
        m.train(c.mode === "train");
        const x = t(c.input, dtype, true);
        const out = m.forward(x, { srcMask: mask(c.srcMask, dtype), srcKeyPaddingMask: mask(c.srcKeyPaddingMask, dtype) });
        const want = c[dtype];
        expectClose(out, want.output, dtype, "output");
        out.mul(t(c.upstream, dtype)).sum().backward();
        expectClose(x.grad, want.inputGrad, dtype, "input grad");
        expect([...m.namedParameters()].map(([n]) => n)).toEqual(Object.keys(want.paramGrads));
        for (const [name, p] of m.namedParameters()) expectClose(p.grad, want.paramGrads[name], dtype, `${name} grad`);
      });
    }
  }
});

describe("reprs, state-dict keys and initialisation", () => {
  const construct = new Function("MultiheadAttention", "TransformerEncoderLayer", "return (code) => eval(code)")(
    MultiheadAttention, TransformerEncoderLayer,
  ) as (code: string) => Module;

  for (const r of fx.reprs) {
    it(`${r.ts} prints and names its parameters as torch`, () => {
      const m = construct(r.ts);
      expect(m.toString()).toBe(r.repr);
      expect(Object.keys(m.stateDict())).toEqual(r.keys);
    });
  }

  const stats = (p: Tensor) => {
    const values = Array.from(p.toTypedArray());
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
    return { max: Math.max(...values.map(Math.abs)), std };
  };

  it("in_proj_weight is xavier-uniform, out_proj.weight Linear's, both biases zero", () => {
    const { embedDim: E, inProjBound, inProjStd, outProjBound, outProjStd } = fx.init;
    const m = new MultiheadAttention(E, 4, { generator: new Generator(5) });
    const inProj = stats(m.in_proj_weight as Tensor), outProj = stats(m.out_proj.weight);
    expect(inProj.max).toBeLessThanOrEqual(inProjBound);
    expect(Math.abs(inProj.std - inProjStd)).toBeLessThan(0.003); // torch's sample; uniform: bound / sqrt(3)
    expect(Math.abs(inProj.std - inProjBound / Math.sqrt(3))).toBeLessThan(0.003);
    expect(outProj.max).toBeLessThanOrEqual(outProjBound);
    expect(Math.abs(outProj.std - outProjStd)).toBeLessThan(0.003);
    expect((m.in_proj_bias as Tensor).toTypedArray().every((x) => x === 0)).toBe(true);
    expect((m.out_proj.bias as Tensor).toTypedArray().every((x) => x === 0)).toBe(true);
  });

  it("separate projections are each xavier-uniform over their own fans", () => {
    const m = new MultiheadAttention(fx.init.embedDim, 4, { kdim: 32, vdim: 16, generator: new Generator(6) });
    [m.q_proj_weight, m.k_proj_weight, m.v_proj_weight].forEach((p, i) => {
      const s = stats(p as Tensor);
      expect(s.max).toBeLessThanOrEqual(fx.init.separateBounds[i]);
      expect(Math.abs(s.std - fx.init.separateStds[i])).toBeLessThan(0.006);
    });
    expect(m.in_proj_weight).toBeNull();
  });
});

describe("torch's errors for bad input", () => {
  const layers: Record<string, () => Module> = {
    mha: () => new MultiheadAttention(6, 2, f64),
    sep: () => new MultiheadAttention(6, 2, { kdim: 5, vdim: 3, ...f64 }),
    bmha: () => new MultiheadAttention(6, 2, { batchFirst: true, ...f64 }),
    tel: () => new TransformerEncoderLayer(6, 2, f64),
  };
  const r = (...shape: number[]) => randn(shape, f64);
  const b = (...shape: number[]) => zeros(shape, { dtype: "bool" });
  const i = (...shape: number[]) => zeros(shape, { dtype: "int32" });
  for (const e of fx.errors) {
    it(`${e.ts}: ${e.message}`, () => {
      const run = new Function("l", "r", "b", "i", "MultiheadAttention", "TransformerEncoderLayer", `return ${e.ts};`) as (
        ...a: unknown[]
      ) => unknown;
      const l = e.layer === "ctor" ? null : layers[e.layer]();
      expect(() => run(l, r, b, i, MultiheadAttention, TransformerEncoderLayer)).toThrow(e.message);
    });
  }
});

describe("modes, masks and conveniences", () => {
  it("dropout on the attention weights in training mode only; the returned weights are the dropped ones", () => {
    const m = new MultiheadAttention(8, 2, { dropout: 0.5, ...f64 });
    const x = randn([5, 2, 8], f64);
    m.eval();
    const [a, wa] = m.forward(x, x, x);
    expect(m.forward(x, x, x)[0].toArray()).toEqual(a.toArray());
    m.train();
    const [c, wc] = m.forward(x, x, x, { averageAttnWeights: false });
    expect(c.toArray()).not.toEqual(a.toArray());
    const perHead = (wc as Tensor).toTypedArray();
    expect(perHead.some((w) => w === 0)).toBe(true);
    expect(perHead.every((w) => w === 0 || w > 0)).toBe(true);
    expect((wa as Tensor).sum(-1).toTypedArray().every((s) => Math.abs(s - 1) < 1e-12)).toBe(true);
  });

  it("a causal float mask (-inf above the diagonal) and the equivalent bool mask agree", () => {
    const m = new MultiheadAttention(6, 3, { batchFirst: true, ...f64 });
    const x = randn([2, 4, 6], f64);
    const boolMask = tensor([0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => c > r)), { dtype: "bool" });
    const floatMask = tensor([0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => (c > r ? -Infinity : 0))), f64);
    const [a, wa] = m.forward(x, x, x, { attnMask: boolMask });
    const [b, wb] = m.forward(x, x, x, { attnMask: floatMask });
    expect(a.toArray()).toEqual(b.toArray());
    expect(wa?.toArray()).toEqual(wb?.toArray());
    expect((wa?.toArray() as number[][][])[0][0]).toEqual([1, 0, 0, 0]);
  });

  it("double() converts every weight; the layer runs in float64", () => {
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }).double();
    expect([...layer.parameters()].every((p) => p.dtype === "float64")).toBe(true);
    expect(layer.eval().forward(randn([3, 2, 8], f64)).dtype).toBe("float64");
  });

  it("a custom activation function is used in the feed-forward block", () => {
    const seen: (readonly number[])[] = [];
    const layer = new TransformerEncoderLayer(4, 2, {
      dimFeedforward: 6, dropout: 0, activation: (x) => { seen.push(x.shape); return x.tanh(); }, ...f64,
    });
    layer.forward(randn([3, 4], f64));
    expect(seen).toEqual([[3, 6]]);
  });
});

describe("gradcheck (float64) on small sizes", () => {
  it("F.scaledDotProductAttention: q, k, v and a float mask; a bool mask; isCausal", () => {
    const q = randn([2, 3, 4], f64), k = randn([2, 5, 4], f64), v = randn([2, 5, 3], f64);
    const m = randn([3, 5], f64);
    const keep = tensor([[true, false, true, true, false], [true, true, false, false, false], [false, true, true, true, true]], {
      dtype: "bool",
    });
    gradcheck((q, k, v, m) => F.scaledDotProductAttention(q, k, v, { attnMask: m }).sum(), [
      q.requiresGrad_(), k.requiresGrad_(), v.requiresGrad_(), m.requiresGrad_(),
    ]);
    const w = randn([2, 3, 3], f64);
    gradcheck((q, k, v) => F.scaledDotProductAttention(q, k, v, { attnMask: keep }).mul(w).sum(), [q, k, v]);
    gradcheck((q, k, v) => F.scaledDotProductAttention(q, k, v, { isCausal: true }).mul(w).sum(), [q, k, v]);
  });

  /** gradcheck with respect to the inputs and every parameter (swapped into the fields). */
  function check(m: Module, call: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
    const owners = [...m.namedParameters()].map(([name, p]) => {
      const path = name.split(".");
      let owner = m as unknown as Record<string, unknown>;
      for (const part of path.slice(0, -1)) owner = owner[part] as Record<string, unknown>;
      return { owner, field: path[path.length - 1], p };
    });
    let weights: Tensor | null = null;
    gradcheck((...leaves) => {
      const xs = leaves.slice(0, inputs.length);
      owners.forEach((o, i) => (o.owner[o.field] = leaves[inputs.length + i]));
      try {
        const y = call(...xs);
        weights ??= randn(y.shape, { ...f64, generator: new Generator(3) });
        return y.mul(weights).sum();
      } finally {
        owners.forEach((o) => (o.owner[o.field] = o.p));
      }
    }, [...inputs.map((x) => x.requiresGrad_()), ...owners.map((o) => o.p)]);
  }

  it("MultiheadAttention: packed, with masks and padding, and with separate projections", () => {
    const m = new MultiheadAttention(4, 2, f64);
    noGrad(() => [m.in_proj_bias, m.out_proj.bias].forEach((p) => (p as Tensor).copy_(randn([(p as Tensor).numel], f64))));
    const kpm = tensor([[false, true, false], [false, false, true]], { dtype: "bool" });
    const am = randn([2, 3], f64);
    check(m, (q, kv) => {
      const [out, w] = m.forward(q, kv, kv, { keyPaddingMask: kpm, attnMask: am });
      return out.sum().add((w as Tensor).mul(2).sum());
    }, [randn([2, 2, 4], f64), randn([3, 2, 4], f64)]);
    const s = new MultiheadAttention(4, 2, { kdim: 3, vdim: 2, batchFirst: true, ...f64 });
    check(s, (q, k, v) => s.forward(q, k, v, { averageAttnWeights: false })[1] as Tensor, [
      randn([2, 2, 4], f64), randn([2, 3, 3], f64), randn([2, 3, 2], f64),
    ]);
  });

  it("TransformerEncoderLayer: post-norm relu, pre-norm gelu", () => {
    for (const options of [{}, { normFirst: true, activation: "gelu" as const }]) {
      const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, ...options, ...f64 });
      check(layer, (x) => layer.forward(x), [randn([3, 2, 4], f64)]);
    }
  });
});

describe("second derivatives (createGraph), by gradgradcheck in float64", () => {
  // every op the composites use has a recorded backward, so gradients of gradients come for free
  it("F.scaledDotProductAttention with isCausal and with a float mask", () => {
    const q = randn([2, 3, 4], f64).requiresGrad_(), k = randn([2, 5, 4], f64).requiresGrad_();
    const v = randn([2, 5, 3], f64).requiresGrad_(), m = randn([3, 5], f64).requiresGrad_();
    gradgradcheck((q, k, v) => F.scaledDotProductAttention(q, k, v, { isCausal: true }).sum(), [q, k, v]);
    gradgradcheck((q, k, v, m) => F.scaledDotProductAttention(q, k, v, { attnMask: m }).sum(), [q, k, v, m]);
  });

  it("MultiheadAttention (self-attention with key padding) and TransformerEncoderLayer (gelu, pre-norm)", () => {
    const m = new MultiheadAttention(4, 2, f64);
    const kpm = tensor([[false, false, true], [false, true, false]], { dtype: "bool" });
    gradgradcheck((x) => m.forward(x, x, x, { keyPaddingMask: kpm })[0].mul(x).sum(), [randn([3, 2, 4], f64).requiresGrad_()]);
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, activation: "gelu", normFirst: true, ...f64 });
    gradgradcheck((x) => layer.forward(x).mul(x).sum(), [randn([3, 2, 4], f64).requiresGrad_()]);
  });
});

describe("a PyTorch state dict in a safetensors file", () => {
  it("a two-layer encoder (post-norm relu, pre-norm gelu, causal mask) loads as is and gives PyTorch's output", () => {
    class Net extends Module {
      embed = new Embedding(10, 8);
      layers = new ModuleList([
        new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }),
        new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true, normFirst: true, activation: "gelu" }),
      ]);
      head = new Linear(8, 10);
      forward(idx: Tensor): Tensor {
        const L = idx.shape[1];
        const causal = tensor(Array.from({ length: L }, (_, r) => Array.from({ length: L }, (_, c) => c > r)), { dtype: "bool" });
        let x = this.embed.forward(idx);
        for (const layer of this.layers) x = (layer as TransformerEncoderLayer).forward(x, { srcMask: causal });
        return this.head.forward(x);
      }
    }
    const bytes = readFileSync(fileURLToPath(new URL("./fixtures/attention_torch.safetensors", import.meta.url)));
    const sd = deserialize(new Uint8Array(bytes));
    expect(Object.keys(sd)).toEqual(fx.torchFile.keys);
    const net = new Net();
    expect(net.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    net.eval();
    const idx = tensor(fx.torchFile.input, { shape: fx.torchFile.inputShape, dtype: "int32" });
    expectClose(net.forward(idx), fx.torchFile.output, "float32", "output");
  });
});
