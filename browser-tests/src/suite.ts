/**
 * The browser suite: checks that run unchanged in Node and in a browser page, importing the
 * three packages by name (so a page gets what a bundler resolves from their exports maps).
 *
 * Each check throws on a wrong value and returns a digest of everything it computed (the bits
 * of every output, gradient, parameter and state value). Two kinds of knowledge are checked:
 * - PyTorch's: every case of conformance/ops.json (each op family, values and gradients),
 *   mlp.json (nn's MLP forward/backward trained with RMSprop), rmsprop.json and
 *   optim-core.json (RMSprop, Adam, AdamW, SGD, Adagrad steps; float32 by bits);
 * - Node's: the digests, which the runner compares between Node and the page, so large
 *   float32 work through the wasm kernels (matmul, fused elementwise, softmax rows, an
 *   MLP training loop, optimizer updates over the arena) must give the same bits in both.
 */
import * as T from "@minigrad/tensor";
import { Tensor, tensor, type DType } from "@minigrad/tensor";
import { GELU, Linear, ReLU, Sequential, Sigmoid, Tanh, functional as F, type Module } from "@minigrad/nn";
import { Adagrad, Adam, AdamW, RMSprop, SGD, stateDictFromJSON, type Optimizer, type StateDictJSON } from "@minigrad/optim";
import opsFixture from "../../conformance/ops.json";
import mlpFixture from "../../conformance/mlp.json";
import rmspropFixture from "../../conformance/rmsprop.json";
import optimCoreFixture from "../../packages/optim/test/fixtures/optim-core.json";

export interface Check {
  /** `family/what`: the family is the part before the first slash */
  name: string;
  /** float64 work: its last bits come from the engine's Math.exp, Math.pow, ... (see the runner) */
  float64: boolean;
  /** throws on a wrong value; returns the digest of what it computed */
  run(): Outcome;
}

/** The bits of everything a check computed, as one hash, and the values if there are few. */
export interface Outcome {
  /** FNV-1a of the values' float64 bits, then their count */
  digest: string;
  values: number[] | null;
}

/** What a check gave: its outcome, or the error that stopped it. */
export interface CheckResult extends Outcome {
  name: string;
  float64: boolean;
  ok: boolean;
  error: string;
  ms: number;
}

/** The runtime the checks ran in: what decides the arena and the worker. */
export interface Environment {
  userAgent: string;
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  /** the arena (large tensors in one shared WebAssembly memory) is on */
  arena: boolean;
  /** the runtime validates a WebAssembly SIMD module */
  simd: boolean;
}

// ---------------------------------------------------------------- digests and comparisons

/** Checks with at most this many values return them too (for the float64 comparison). */
const KEEP_VALUES = 4096;

/**
 * FNV-1a over the bits of numbers (as float64, so float32 values keep their bits too), and
 * the numbers themselves while there are few.
 */
class Digest {
  private h = 0x811c9dc5;
  private readonly f64 = new Float64Array(1);
  private readonly u8 = new Uint8Array(this.f64.buffer);
  count = 0;
  readonly values: number[] = [];

  add(values: ArrayLike<number>): this {
    for (let i = 0; i < values.length; i++) {
      this.f64[0] = values[i];
      for (let j = 0; j < 8; j++) this.h = Math.imul(this.h ^ this.u8[j], 0x01000193);
      if (this.values.length < KEEP_VALUES) this.values.push(values[i]);
    }
    this.count += values.length;
    return this;
  }

  tensor(t: Tensor): this {
    return this.add(t.shape).add(t.toTypedArray());
  }

  result(): Outcome {
    return {
      digest: `${(this.h >>> 0).toString(16).padStart(8, "0")}/${this.count}`,
      values: this.count <= KEEP_VALUES ? this.values : null,
    };
  }
}

function f32Hex(x: number): string {
  return new Uint32Array(new Float32Array([x]).buffer)[0].toString(16).padStart(8, "0");
}

function fail(message: string): never {
  throw new Error(message);
}

function sameShape(got: readonly number[], want: readonly number[], what: string): void {
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) fail(`${what}: shape [${got}], want [${want}]`);
}

/** The conformance README's tolerances: float64 1e-10 + 1e-8 |want|, float32 1e-5 + 1e-4 |want|. */
function expectClose(got: ArrayLike<number>, want: readonly number[], dtype: DType, what: string): void {
  const [atol, rtol] = dtype === "float64" ? [1e-10, 1e-8] : [1e-5, 1e-4];
  if (got.length !== want.length) fail(`${what}: ${got.length} values, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    const ok = Number.isNaN(w) ? Number.isNaN(g) : Math.abs(g - w) <= atol + rtol * Math.abs(w);
    if (!ok) fail(`${what}: element ${i} is ${g}, PyTorch has ${w} (atol ${atol}, rtol ${rtol})`);
  }
}

/** float32 by bits (Object.is: -0 and NaN too); float64 to 1e-12 relative of max(|want|, 1e-3). */
function expectExact(got: ArrayLike<number>, want: readonly number[], dtype: DType, what: string): void {
  if (got.length !== want.length) fail(`${what}: ${got.length} values, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (dtype === "float32") {
      if (!Object.is(Math.fround(w), g)) fail(`${what}: element ${i} is ${g} (0x${f32Hex(g)}), PyTorch has ${w} (0x${f32Hex(w)})`);
    } else if (!(Math.abs(g - w) <= 1e-12 * Math.max(Math.abs(w), 1e-3))) {
      fail(`${what}: element ${i} is ${g}, PyTorch has ${w} (rtol 1e-12)`);
    }
  }
}

// ---------------------------------------------------------------- PyTorch traces

interface FixtureTensor {
  shape: number[];
  data: number[];
  dtype?: string;
}

function fromFixture(t: FixtureTensor, dtype: DType, requiresGrad = false): Tensor {
  return tensor(t.data, { shape: t.shape, dtype: (t.dtype as DType | undefined) ?? dtype, requiresGrad });
}

interface OpCase {
  name: string;
  ts: string;
  dtype: string;
  inputs: Record<string, FixtureTensor>;
  requiresGrad: string[];
  output: FixtureTensor;
  upstream: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

/** Evaluate a fixture's `ts` (an expression, or a body with `return`); the fixtures are code by design. */
function evaluate(ts: string, bindings: Record<string, unknown>): Tensor {
  const body = ts.includes("return") ? ts : `return (${ts});`;
  const names = Object.keys(bindings);
  return new Function(...names, body)(...names.map((n) => bindings[n])) as Tensor;
}

/** The family an ops.json case belongs to, from the method it calls. */
function opFamily(ts: string): string {
  if (ts.startsWith("F.")) return "nn-functional";
  if (/softmax/i.test(ts)) return "softmax";
  if (/matmul|mm\(/.test(ts)) return "matmul";
  if (/\.(sum|mean|var|amax|amin)\(/.test(ts)) return "reductions";
  if (/reshape|permute|transpose|narrow|select|slice|squeeze|unsqueeze|expand|cat|stack/.test(ts)) return "views";
  return "elementwise";
}

function opCheck(c: OpCase): Check {
  return {
    name: `${opFamily(c.ts)}/${c.name} (${c.dtype})`,
    float64: c.dtype === "float64",
    run() {
      const dtype = c.dtype as DType;
      const digest = new Digest();
      const inputs: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(c.inputs)) inputs[name] = fromFixture(t, dtype, c.requiresGrad.includes(name));
      const y = evaluate(c.ts, { ...inputs, T, F });
      sameShape(y.shape, c.output.shape, "forward");
      expectClose(y.toTypedArray(), c.output.data, dtype, "forward");
      digest.tensor(y);
      y.mul(fromFixture(c.upstream, dtype)).sum().backward();
      for (const [name, want] of Object.entries(c.grads)) {
        const grad = inputs[name].grad ?? fail(`grad of ${name} is null`);
        sameShape(grad.shape, want.shape, `grad of ${name}`);
        expectClose(grad.toTypedArray(), want.data, dtype, `grad of ${name}`);
        digest.tensor(grad);
      }
      return digest.result();
    },
  };
}

interface MlpCase {
  name: string;
  dtype: string;
  sizes: number[];
  activation: string;
  options: Record<string, unknown>;
  initialStateDict: Record<string, FixtureTensor>;
  x: FixtureTensor;
  y: FixtureTensor;
  losses: number[];
  finalStateDict: Record<string, FixtureTensor>;
}

const ACTIVATIONS: Record<string, () => Module> = {
  relu: () => new ReLU(),
  tanh: () => new Tanh(),
  sigmoid: () => new Sigmoid(),
  gelu: () => new GELU(),
};

/** An MLP trained with RMSprop as PyTorch did: every loss, then the final state dict. */
function mlpCheck(c: MlpCase): Check {
  return {
    name: `nn/${c.name}: ${c.sizes.join("-")} ${c.activation} MLP, RMSprop (${c.dtype})`,
    float64: c.dtype === "float64",
    run() {
      const dtype = c.dtype as "float32" | "float64";
      const digest = new Digest();
      const layers: Module[] = [];
      for (let i = 0; i + 1 < c.sizes.length; i++) {
        layers.push(new Linear(c.sizes[i], c.sizes[i + 1], { dtype }));
        if (i + 2 < c.sizes.length) layers.push((ACTIVATIONS[c.activation] ?? fail(`activation ${c.activation}`))());
      }
      const model = new Sequential(...layers);
      model.loadStateDict(Object.fromEntries(Object.entries(c.initialStateDict).map(([k, t]) => [k, fromFixture(t, dtype)])));
      const opt = new RMSprop(model.parameters(), c.options);
      const x = fromFixture(c.x, dtype);
      const y = fromFixture(c.y, dtype);
      c.losses.forEach((want, k) => {
        opt.zeroGrad();
        const loss = F.crossEntropy(model.forward(x), y);
        loss.backward();
        expectClose([loss.item()], [want], dtype, `step ${k + 1}: loss`);
        digest.add([loss.item()]);
        opt.step();
      });
      const final = model.stateDict();
      for (const [key, want] of Object.entries(c.finalStateDict)) {
        const got = final[key] ?? fail(`final state dict has no ${key}`);
        expectClose(got.toTypedArray(), want.data, dtype, `final ${key}`);
        digest.tensor(got);
      }
      return digest.result();
    },
  };
}

type Options = Record<string, unknown>;
type AnyOptimizer = Optimizer<object>;
type Make = (params: Tensor[] | (Options & { params: Tensor[] })[], options: Options) => AnyOptimizer;

const OPTIMIZERS: Record<string, Make> = {
  RMSprop: (p, o) => new RMSprop(p as never, o) as unknown as AnyOptimizer,
  SGD: (p, o) => new SGD(p as never, o) as unknown as AnyOptimizer,
  Adam: (p, o) => new Adam(p as never, o) as unknown as AnyOptimizer,
  AdamW: (p, o) => new AdamW(p as never, o) as unknown as AnyOptimizer,
  Adagrad: (p, o) => new Adagrad(p as never, o) as unknown as AnyOptimizer,
};

interface StepExpectation {
  params: number[][];
  state: (Record<string, number | null | true | number[]> | null)[];
}

/** The optimizer traces' schema (conformance/README.md): rmsprop.json's cases have no `optimizer` (RMSprop). */
interface OptimCase {
  name: string;
  kind: string;
  optimizer?: string;
  dtype: string;
  options?: Options;
  defaults?: Options;
  otherOptions?: Options;
  groups?: ({ params: number[] } & Options)[];
  lateGroup?: { params: number[] } & Options;
  addParamGroupAtStep?: number;
  checkpoint?: StateDictJSON;
  params?: FixtureTensor[];
  grads?: (number[] | null)[][];
  expected?: StepExpectation[];
  start?: number[];
  ts?: string;
  losses?: number[];
  trajectory?: number[][];
}

function optimCheck(file: string, c: OptimCase): Check {
  const optimizer = c.optimizer ?? "RMSprop";
  return {
    name: `optim/${optimizer} ${c.kind} ${c.name} (${c.dtype}, ${file})`,
    float64: c.dtype === "float64",
    run() {
      const dtype = c.dtype as DType;
      const make = OPTIMIZERS[optimizer] ?? fail(`no optimizer ${optimizer}`);
      const digest = new Digest();
      const exact = (t: Tensor, want: readonly number[], what: string) => {
        expectExact(t.toTypedArray(), want, dtype, what);
        digest.tensor(t);
      };
      const runSteps = (opt: AnyOptimizer, params: Tensor[], before?: (k: number) => void) => {
        (c.grads ?? []).forEach((row, k) => {
          before?.(k);
          params.forEach((p, i) => {
            const g = row[i];
            p.grad = g === null ? null : tensor(g, { shape: p.shape, dtype });
          });
          opt.step();
          const want = (c.expected ?? [])[k];
          params.forEach((p, i) => {
            const at = `step ${k + 1}, param ${i}`;
            exact(p, want.params[i], at);
            const state = opt.state.get(p) as Record<string, unknown> | undefined;
            for (const [key, value] of Object.entries(want.state[i] ?? {})) {
              const got = state?.[key];
              if (Array.isArray(value)) exact(got instanceof Tensor ? got : fail(`${at}: ${key} is not a tensor`), value, `${at}: ${key}`);
              else if (typeof value === "number" && got !== value) fail(`${at}: ${key} is ${String(got)}, want ${value}`);
            }
          });
        });
      };
      if (c.kind === "rosenbrock") {
        const a = tensor(c.start ?? [], { dtype, requiresGrad: true });
        const opt = make([a], c.options ?? {});
        (c.losses ?? []).forEach((want, k) => {
          opt.zeroGrad();
          const loss = evaluate(c.ts ?? "", { a, T });
          loss.backward();
          expectExact([loss.item()], [want], dtype, `step ${k + 1}: loss`);
          digest.add([loss.item()]);
          opt.step();
          exact(a, (c.trajectory ?? [])[k], `step ${k + 1}: a`);
        });
        return digest.result();
      }
      const params = (c.params ?? []).map((t) => fromFixture(t, dtype, true));
      if (c.kind === "givenGrads") runSteps(make(params, c.options ?? {}), params);
      else if (c.kind === "paramGroups") {
        const withTensors = (g: { params: number[] } & Options) => ({ ...g, params: g.params.map((i) => params[i]) });
        const opt = make((c.groups ?? []).map(withTensors), c.defaults ?? {});
        runSteps(opt, params, (k) => {
          if (k === c.addParamGroupAtStep && c.lateGroup !== undefined) opt.addParamGroup(withTensors(c.lateGroup));
        });
      } else if (c.kind === "stateDict") {
        const opt = make([{ params: [params[0]] }, { params: [params[1]] }], c.otherOptions ?? {});
        opt.loadStateDict(stateDictFromJSON(c.checkpoint ?? fail("stateDict case without a checkpoint")));
        runSteps(opt, params);
      } else fail(`unknown case kind ${c.kind}`);
      return digest.result();
    },
  };
}

// ---------------------------------------------------------------- hand-derived and cross-runtime

/** (a * b + c).tanh() and its gradients, derived by hand in float64. */
const autogradCheck: Check = {
  name: "autograd/(a * b + c).tanh(): value and gradients by the chain rule",
  float64: true,
  run() {
    const [av, bv, cv] = [0.7, -1.3, 0.4];
    const a = tensor(av, { dtype: "float64", requiresGrad: true });
    const b = tensor(bv, { dtype: "float64", requiresGrad: true });
    const c = tensor(cv, { dtype: "float64", requiresGrad: true });
    const out = a.mul(b).add(c).tanh();
    out.backward();
    const t = Math.tanh(av * bv + cv);
    const dt = 1 - t * t;
    expectExact([out.item()], [t], "float64", "value");
    expectExact([a.grad?.item() ?? NaN, b.grad?.item() ?? NaN, c.grad?.item() ?? NaN], [dt * bv, dt * av, dt], "float64", "grads of a, b, c");
    const graph = T.exportGraph(out, { names: { a, b, c } });
    for (const node of ["TanhBackward", "AddBackward", "MulBackward"]) if (!graph.includes(node)) fail(`exportGraph has no ${node}:\n${graph}`);
    return new Digest().tensor(out).add([a.grad?.item() ?? NaN, b.grad?.item() ?? NaN, c.grad?.item() ?? NaN]).result();
  },
};

/** Float32 data from a seeded stream: the same numbers in every runtime. */
function seeded(seed: number, shape: number[], requiresGrad = false): Tensor {
  return T.randn(shape, { generator: new T.Generator(seed), requiresGrad });
}

/** Largest |got - want| relative to max |want| (the float64 reference of a float32 result). */
function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let err = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return err / scale;
}

/**
 * Large float32 work, on the wasm kernels (sizes past their thresholds: matmul at 4096+
 * multiply-adds, fused elementwise from 128 elements, the arena from 4096 floats). Each is
 * checked against float64 arithmetic here; its digest must equal Node's bit for bit.
 */
const wasmChecks: Check[] = [
  {
    name: "wasm/matmul 192x256 @ 256x160 float32 (and its gradients)",
    float64: false,
    run() {
      const a = seeded(1, [192, 256], true);
      const b = seeded(2, [256, 160], true);
      const y = a.matmul(b);
      const want = a.double().matmul(b.double());
      const err = relError(y.toTypedArray(), want.toTypedArray());
      if (!(err < 1e-5)) fail(`relative error ${err} against float64`);
      y.sum().backward();
      return new Digest().tensor(y).tensor(a.grad ?? fail("no grad")).tensor(b.grad ?? fail("no grad")).result();
    },
  },
  {
    name: "wasm/addmm (Linear's forward) 64x784 -> 256 float32",
    float64: false,
    run() {
      const x = seeded(3, [64, 784]);
      const w = seeded(4, [256, 784]);
      const bias = seeded(5, [256]);
      const y = F.linear(x, w, bias);
      const want = x.double().matmul(w.double().transpose(0, 1)).add(bias.double());
      const err = relError(y.toTypedArray(), want.toTypedArray());
      if (!(err < 1e-5)) fail(`relative error ${err} against float64`);
      return new Digest().tensor(y).result();
    },
  },
  {
    name: "wasm/exp, tanh, sigmoid, relu, add, mul, sum over 300,000 float32",
    float64: false,
    run() {
      const a = seeded(6, [300_000]);
      const b = seeded(7, [300_000]);
      const digest = new Digest();
      const unary: [string, (t: Tensor) => Tensor, (x: number) => number, number][] = [
        ["exp", (t) => t.exp(), Math.exp, 3],
        ["tanh", (t) => t.tanh(), Math.tanh, 2],
        ["sigmoid", (t) => t.sigmoid(), (x) => 1 / (1 + Math.exp(-x)), 2],
        ["relu", (t) => t.relu(), (x) => Math.max(x, 0), 0],
      ];
      const av = a.toTypedArray();
      for (const [name, op, ref, ulps] of unary) {
        const y = op(a).toTypedArray();
        for (let i = 0; i < av.length; i++) {
          const want = ref(av[i]);
          const ulp = Math.abs(Math.fround(want) - Math.fround(want * (1 + 2 ** -23))) || 2 ** -149;
          if (!(Math.abs(y[i] - want) <= ulps * ulp + 2 ** -149)) fail(`${name}(${av[i]}) = ${y[i]}, float64 has ${want}`);
        }
        digest.add(y);
      }
      const bv = b.toTypedArray();
      const sum = a.add(b).toTypedArray();
      const prod = a.mul(b).toTypedArray();
      for (let i = 0; i < av.length; i++) {
        if (sum[i] !== Math.fround(av[i] + bv[i]) || prod[i] !== Math.fround(av[i] * bv[i])) fail(`add or mul at ${i}`);
      }
      let s = 0;
      for (let i = 0; i < av.length; i++) s += av[i];
      const total = a.sum().item();
      if (!(Math.abs(total - s) <= 1e-6 * av.length)) fail(`sum ${total}, float64 has ${s}`);
      return digest.add(sum).add(prod).add([total]).result();
    },
  },
  {
    name: "wasm/softmax and logSoftmax rows, cross entropy backward 512x1000 float32",
    float64: false,
    run() {
      const logits = seeded(8, [512, 1000], true);
      const target = T.randint(0, 1000, [512], { generator: new T.Generator(9) });
      const p = logits.softmax(-1).toTypedArray();
      for (let r = 0; r < 512; r++) {
        let total = 0;
        for (let j = 0; j < 1000; j++) total += p[r * 1000 + j];
        if (!(Math.abs(total - 1) < 1e-5)) fail(`softmax row ${r} sums to ${total}`);
      }
      const loss = F.crossEntropy(logits, target);
      loss.backward();
      return new Digest().add(p).tensor(logits.logSoftmax(-1)).add([loss.item()]).tensor(logits.grad ?? fail("no grad")).result();
    },
  },
  {
    name: "wasm/MLP 784-256-10 trained 8 steps with Adam, then RMSprop and SGD over 200,704 weights",
    float64: false,
    run() {
      const digest = new Digest();
      const make = () => new Sequential(new Linear(784, 256, { generator: new T.Generator(10) }), new ReLU(), new Linear(256, 10, { generator: new T.Generator(11) }));
      const x = seeded(12, [64, 784]);
      const y = T.randint(0, 10, [64], { generator: new T.Generator(13) });
      const runs: [string, (m: Module) => AnyOptimizer][] = [
        ["Adam", (m) => new Adam(m.parameters(), { lr: 1e-3 }) as unknown as AnyOptimizer],
        ["RMSprop", (m) => new RMSprop(m.parameters(), { lr: 1e-3 }) as unknown as AnyOptimizer],
        ["SGD", (m) => new SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }) as unknown as AnyOptimizer],
      ];
      for (const [name, makeOpt] of runs) {
        const model = make();
        const opt = makeOpt(model);
        const losses: number[] = [];
        for (let step = 0; step < 8; step++) {
          opt.zeroGrad();
          const loss = F.crossEntropy(model.forward(x), y);
          loss.backward();
          opt.step();
          losses.push(loss.item());
        }
        if (!(losses[7] < losses[0])) fail(`${name}: loss went from ${losses[0]} to ${losses[7]}`);
        digest.add(losses);
        for (const p of model.parameters()) digest.tensor(p);
      }
      return digest.result();
    },
  },
];

/** Every check, in a fixed order (the runner matches them by name). */
export function checks(): Check[] {
  const ops = (opsFixture as { cases: OpCase[] }).cases.map(opCheck);
  const mlp = (mlpFixture as { cases: MlpCase[] }).cases.map(mlpCheck);
  const rmsprop = (rmspropFixture as { cases: OptimCase[] }).cases.map((c) => optimCheck("rmsprop.json", c));
  const core = (optimCoreFixture as { cases: OptimCase[] }).cases.map((c) => optimCheck("optim-core.json", c));
  return [...ops, autogradCheck, ...mlp, ...rmsprop, ...core, ...wasmChecks];
}

/** Run every check, each on its own (one failing does not stop the rest). */
export function runChecks(list: readonly Check[] = checks()): CheckResult[] {
  return list.map((check) => {
    const start = performance.now();
    const { name, float64 } = check;
    try {
      return { name, float64, ok: true, ...check.run(), error: "", ms: performance.now() - start };
    } catch (e) {
      const error = e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e);
      return { name, float64, ok: false, digest: "", values: null, error, ms: performance.now() - start };
    }
  });
}

/** The smallest module with a SIMD instruction (v128.const, drop): validates only where SIMD runs. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 23, 1, 21, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 26, 11,
]);

export function environment(): Environment {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { userAgent?: string } };
  return {
    userAgent: g.navigator?.userAgent ?? "",
    crossOriginIsolated: g.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer === "function",
    arena: T.memoryStats().arena,
    simd: typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE),
  };
}
