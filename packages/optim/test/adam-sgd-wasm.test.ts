import { afterEach, describe, expect, it } from "vitest";
import { Tensor, keep, memoryStats, setMatmulThreads, tidy, type FusedKernel } from "@minigrad/tensor";
import { Adam, AdamW, SGD, fma32, type AdamOptions, type AdamWOptions, type SGDOptions, type StateEntry } from "@minigrad/optim";
import { adamF32 } from "../src/kernels/adam";
import { sgdF32, sgdMomentumF32 } from "../src/kernels/sgd";

/**
 * The WebAssembly SIMD Adam/AdamW and SGD updates (src/kernels/adam.wat, sgd.wat) against
 * their JS references by bits: each kernel on its own (in place on the arena, through copies
 * of plain arrays, on one thread and two, at odd lengths and offsets, with crafted operands on
 * which a double-rounded fma is wrong), then the optimizers over many steps, where the JS
 * reference is the strided row of adam.ts / sgd.ts (a param with stride 2 never takes a kernel).
 */

afterEach(() => setMatmulThreads(null));

/** A deterministic stream of uniforms in [-1, 1) (xorshift32). */
function uniforms(seed: number): () => number {
  let s = seed | 1;
  return () => {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return (s >>> 0) / 2 ** 31 - 1;
  };
}

/** Values over many binades, down through float32's subnormals, with zeros of both signs, NaN and infinities. */
function wide(n: number, seed: number, { positive = false, specials = true } = {}): Float32Array {
  const u = uniforms(seed);
  const out = new Float32Array(n);
  const special = [0, -0, 1e-40, -1e-40, NaN, Infinity, -Infinity, 3e38];
  for (let i = 0; i < n; i++) {
    const x = u() * 2 ** -((i * 37 + seed) % 150);
    out[i] = positive ? Math.abs(x) : x;
    if (specials && i % 997 === 13) out[i] = positive ? Math.abs(special[(i / 997) % 8 | 0]) : special[(i / 997) % 8 | 0];
  }
  return out;
}

function sameBits(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < a.length; i++) {
    const nan = Number.isNaN(got[i]) && Number.isNaN(want[i]); // NaN payloads are not pinned down
    if (a[i] !== b[i] && !nan) throw new Error(`${what}: element ${i} is ${got[i]}, the reference ${want[i]}`);
  }
}

/** Float32 arrays of `length` in the arena (storage of kept tensors; `free` disposes them). */
function arenaArrays(count: number, length: number): { arrays: Float32Array[]; free: () => void } {
  const size = Math.max(length, 4096); // 16 KiB: tidy's tensors from there take arena storage
  const before = memoryStats().inUseBytes;
  const tensors = Array.from({ length: count }, () => keep(tidy(() => Tensor.empty([size], "float32"))));
  expect(memoryStats().inUseBytes - before, "arena storage").toBeGreaterThanOrEqual(count * size * 4);
  return { arrays: tensors.map((t) => (t._data as Float32Array).subarray(0, length)), free: () => tensors.forEach((t) => t.dispose()) };
}

/**
 * `kernel` over `inputs` (copied) at offset `at`, in the arena and through copies, against its
 * reference on plain arrays: every array the same bits after, the elements around untouched.
 */
function checkKernel(kernel: FusedKernel, inputs: readonly Float32Array[], scalars: readonly number[], at: number, what: string): void {
  const n = inputs[0].length;
  const want = inputs.map((a) => a.slice());
  kernel.spec.reference(want, want.map(() => 0), n, scalars);
  const staged = inputs.map((a) => a.slice());
  expect(kernel.tryWasm(staged, staged.map(() => 0), n, scalars), `${what}: through copies`).toBe(true);
  staged.forEach((a, j) => sameBits(a, want[j], `${what}, through copies, array ${j}`));
  const { arrays, free } = arenaArrays(inputs.length, n + at + 3);
  try {
    arrays.forEach((a, j) => {
      a.fill(-7);
      a.set(inputs[j], at);
    });
    expect(kernel.tryWasm(arrays, arrays.map(() => at), n, scalars), `${what}: in the arena`).toBe(true);
    arrays.forEach((a, j) => {
      sameBits(a.subarray(at, at + n), want[j], `${what}, in the arena, array ${j}`);
      expect([...a.subarray(0, at), ...a.subarray(at + n)].every((x) => x === -7), `${what}: outside the run`).toBe(true);
    });
  } finally {
    free();
  }
}

const fr = Math.fround;
/** Operands on which fround(a*b + c) in double is wrong: a*b = 2^-24 + 2^-60 (4097 * 16773121 = 2^36 + 1), c = 1. */
const A = 4097 * 2 ** -13, B = 16773121 * 2 ** -47;
/**
 * The same in float32's subnormal range, where midpoints have other bits: a*b = 2^-150 + 2^-186
 * lifts the even subnormal C (just below 2^-126) to the midpoint above it in double.
 */
const SA = 4097 * 2 ** -100, SB = 16773121 * 2 ** -86, SC = (2 ** 23 - 2) * 2 ** -149;
/** A float32 x with fround(x * k) === target, near target / k. */
function factor(target: number, k: number): number {
  let x = fr(target / k);
  for (let i = 0; i < 64 && fr(x * k) !== target; i++) x = fr(x + (fr(x * k) < target ? 1 : -1) * x * 2 ** -23);
  if (fr(x * k) !== target) throw new Error(`no float32 x with fround(x * ${k}) = ${target}`);
  return x;
}
/** The crafted operands must really be a double-rounding case, else the test below proves nothing. */
function expectHard(a: number, b: number, c: number): void {
  expect(fma32(a, b, c)).not.toBe(fr(a * b + c));
}

const LENGTHS: readonly (readonly [number, number])[] = [[128, 0], [129, 1], [131, 3], [1001, 2], [4099, 1], [70001, 3]];

/** adamF32's scalars for the given options at step t (as adam.ts forms them). */
function adamScalars(t: number, { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, wd = 0, maximize = false, decoupled = false } = {}): number[] {
  const bc1 = 1 - beta1 ** t, bc2 = 1 - beta2 ** t;
  return [fr(beta1), fr(1 - beta1), fr(beta2), fr(1 - beta2), fr(Math.sqrt(bc2)), fr(eps), fr(-(lr / bc1)), fr(wd),
    fr(1 - lr * wd), +maximize, +(wd !== 0 && !decoupled), +decoupled];
}
/** sgd kernels' scalars: NLR, WD, MU, DAMP, MAXIMIZE, L2, NESTEROV, FIRST. */
function sgdScalars({ lr = 0.01, wd = 0, mu = 0, damp = 0, maximize = false, nesterov = false, first = false } = {}): number[] {
  return [fr(-lr), fr(wd), fr(mu), fr(1 - damp), +maximize, +(wd !== 0), +nesterov, +first];
}

describe("kernels/adam.wat: the same bits as adamRowF32", () => {
  const configs = {
    defaults: {}, "weight decay (L2)": { wd: 0.1 }, maximize: { maximize: true },
    "decoupled decay (AdamW)": { wd: 0.01, decoupled: true }, "AdamW, maximize": { wd: 0.5, decoupled: true, maximize: true },
  };
  for (const [name, options] of Object.entries(configs)) {
    it(`${name}: random operands over many binades, at odd lengths and offsets`, () => {
      for (const [n, at] of LENGTHS) {
        const inputs = [wide(n, n), wide(n, n + 1), wide(n, n + 2), wide(n, n + 3, { positive: true })];
        for (const t of [1, 7]) checkKernel(adamF32, inputs, adamScalars(t, options), at, `${name}, n = ${n}, step ${t}`);
      }
    });
  }

  it("operands on which a double-rounded fma is wrong, in each of the three fmas, in every lane", () => {
    const n = 131;
    const base = () => [wide(n, 1, { specials: false }), wide(n, 2, { specials: false }), wide(n, 3, { specials: false }), wide(n, 4, { positive: true, specials: false })];
    const s = adamScalars(3, { wd: 0.1 });
    // m = fma(g, W1, fr(M*B1)) with B1 = 1: g = A, W1 = B, M = 1
    expectHard(A, B, 1);
    for (let lane = 0; lane < 8; lane++) {
      const [p, g, m, v] = base();
      g[lane] = A; m[lane] = 1;
      checkKernel(adamF32, [p, g, m, v], [1, B, ...s.slice(2, 9), 0, 0, 0], 0, `m's fma, lane ${lane}`);
    }
    // v = fma(fr(W2*g), g, fr(V*B2)) with B2 = 1: fr(W2*g) = B, g = A, V = 1
    const W2 = factor(B, A);
    expectHard(fr(W2 * A), A, 1);
    for (let lane = 0; lane < 8; lane++) {
      const [p, g, m, v] = base();
      g[lane] = A; v[lane] = 1;
      checkKernel(adamF32, [p, g, m, v], [s[0], s[1], 1, W2, ...s.slice(4, 9), 0, 0, 0], 0, `v's fma, lane ${lane}`);
    }
    // L2: g = fma(p, WD, g): p = A, WD = B, g = 1 (and negated: p = -A, g = -1)
    for (let lane = 0; lane < 8; lane++) {
      const [p, g, m, v] = base();
      const sign = lane % 2 === 0 ? 1 : -1;
      p[lane] = sign * A; g[lane] = sign;
      checkKernel(adamF32, [p, g, m, v], [...s.slice(0, 7), B, s[8], 0, 1, 0], 0, `L2's fma, lane ${lane}`);
    }
  });

  it("the same in float32's subnormal range (m's fma)", () => {
    expectHard(SA, SB, SC);
    const s = adamScalars(2);
    for (let lane = 0; lane < 4; lane++) {
      const n = 129, p = wide(n, 1), g = wide(n, 2), m = wide(n, 3), v = wide(n, 4, { positive: true });
      g[lane] = lane % 2 === 0 ? SA : -SA; m[lane] = lane % 2 === 0 ? SC : -SC;
      checkKernel(adamF32, [p, g, m, v], [1, SB, ...s.slice(2)], 0, `m's fma, subnormal, lane ${lane}`);
    }
  });

  it("in place on two threads and on one (a run of 2^18 + 3, shared with the worker thread)", () => {
    const n = (1 << 18) + 3;
    const inputs = [wide(n, 5), wide(n, 6), wide(n, 7), wide(n, 8, { positive: true })];
    for (const threads of [2, 1] as const) {
      setMatmulThreads(threads);
      checkKernel(adamF32, inputs, adamScalars(2, { wd: 0.01, decoupled: true }), 1, `${threads} thread(s)`);
    }
  });
});

describe("kernels/sgd.wat: the same bits as sgdRowF32", () => {
  const configs: Record<string, [FusedKernel, Parameters<typeof sgdScalars>[0]]> = {
    plain: [sgdF32, {}], "weight decay, maximize": [sgdF32, { wd: 0.01, maximize: true }],
    momentum: [sgdMomentumF32, { mu: 0.9 }], "momentum, first step": [sgdMomentumF32, { mu: 0.9, first: true }],
    nesterov: [sgdMomentumF32, { mu: 0.9, nesterov: true }],
    "nesterov, first step, weight decay": [sgdMomentumF32, { mu: 0.9, nesterov: true, first: true, wd: 1e-3 }],
    "dampening, weight decay, maximize": [sgdMomentumF32, { mu: 0.5, damp: 0.1, wd: 0.1, maximize: true }],
  };
  for (const [name, [kernel, options]] of Object.entries(configs)) {
    it(`${name}: random operands over many binades, at odd lengths and offsets`, () => {
      for (const [n, at] of LENGTHS) {
        const inputs = [wide(n, n), wide(n, n + 1), wide(n, n + 2)].slice(0, kernel.spec.arrays);
        checkKernel(kernel, inputs, sgdScalars(options), at, `${name}, n = ${n}`);
      }
    });
  }

  it("operands on which a double-rounded fma is wrong, in each fma, in every lane", () => {
    const n = 129;
    const base = () => [wide(n, 1, { specials: false }), wide(n, 2, { specials: false }), wide(n, 3, { specials: false })];
    const withLane = (set: (p: Float32Array, g: Float32Array, b: Float32Array) => void) => {
      const [p, g, b] = base();
      set(p, g, b);
      return [p, g, b];
    };
    expectHard(A, B, 1);
    expectHard(-A, B, -1);
    for (let lane = 0; lane < 8; lane++) {
      const sign = lane % 2 === 0 ? 1 : -1;
      // p = fma(g, NLR, p): g = A, NLR = B, p = 1
      const [p, g] = withLane((p, g) => { g[lane] = sign * A; p[lane] = sign; });
      checkKernel(sgdF32, [p, g], [B, 0, 0, 1, 0, 0, 0, 0], 0, `p's fma, lane ${lane}`);
      checkKernel(sgdMomentumF32, withLane((p, g) => { g[lane] = sign * A; p[lane] = sign; }),
        [B, 0, 0.5, 1, 0, 0, 0, 1], 0, `p's fma after a first momentum step, lane ${lane}`);
      // L2: g = fma(p, WD, g): p = A, WD = B, g = 1
      checkKernel(sgdF32, withLane((p, g) => { p[lane] = sign * A; g[lane] = sign; }).slice(0, 2),
        [fr(-0.01), B, 0, 1, 0, 1, 0, 0], 0, `L2's fma, lane ${lane}`);
      // b = fma(g, DAMP, fr(b*MU)) with MU = 1: g = A, DAMP = B, b = 1
      checkKernel(sgdMomentumF32, withLane((_p, g, b) => { g[lane] = sign * A; b[lane] = sign; }),
        [fr(-0.01), 0, 1, B, 0, 0, 0, 0], 0, `the buffer's fma, lane ${lane}`);
      // nesterov: g = fma(b, MU, g) with DAMP = 0 (b = fr(b*MU)): fr(b*MU) = A, MU = B, g = 1
      const b0 = factor(A, B);
      expectHard(fr(b0 * B), B, 1);
      checkKernel(sgdMomentumF32, withLane((_p, g, b) => { b[lane] = sign * b0; g[lane] = sign; }),
        [fr(-0.01), 0, B, 0, 0, 0, 1, 0], 0, `nesterov's fma, lane ${lane}`);
    }
  });

  it("sums that are exact ties (lr 0.5, dampening 0.5: a*b exact, c alike), kept on the vector path by TwoSum", () => {
    const n = 4099, u = uniforms(77);
    const near = () => Float32Array.from({ length: n }, () => 1 + Math.abs(u())); // one binade: ties half the time
    checkKernel(sgdF32, [near(), near()], sgdScalars({ lr: 0.5 }), 1, "lr 0.5");
    checkKernel(sgdMomentumF32, [near(), near(), near()], sgdScalars({ lr: 0.5, mu: 0.5, damp: 0.5, nesterov: true }), 2, "dampening 0.5");
  });

  it("the same in float32's subnormal range (p's fma)", () => {
    expectHard(SA, SB, SC);
    for (let lane = 0; lane < 4; lane++) {
      const n = 129, p = wide(n, 1), g = wide(n, 2), sign = lane % 2 === 0 ? 1 : -1;
      g[lane] = sign * SA; p[lane] = sign * SC;
      checkKernel(sgdF32, [p, g], [SB, 0, 0, 1, 0, 0, 0, 0], 0, `p's fma, subnormal, lane ${lane}`);
    }
  });

  it("in place on two threads and on one (a run of 2^18 + 1, shared with the worker thread)", () => {
    const n = (1 << 18) + 1;
    const inputs = [wide(n, 9), wide(n, 10), wide(n, 11)];
    for (const threads of [2, 1] as const) {
      setMatmulThreads(threads);
      checkKernel(sgdF32, inputs.slice(0, 2), sgdScalars({ wd: 1e-2 }), 3, `sgd, ${threads} thread(s)`);
      checkKernel(sgdMomentumF32, inputs, sgdScalars({ mu: 0.9, nesterov: true }), 3, `sgdMomentum, ${threads} thread(s)`);
    }
  });
});

/** What the test needs of an optimizer. */
type Make = (params: Tensor[]) => { step(): unknown; readonly state: Map<Tensor, StateEntry> };
type Mode = "arena, two threads" | "arena, one thread" | "plain storage (copies)" | "stride 2 (the JS row)";
const MODES: readonly Mode[] = ["arena, two threads", "arena, one thread", "plain storage (copies)", "stride 2 (the JS row)"];

/** A float32 tensor of `data`: in the arena, on a plain array, or every other element of a plain array. */
function make(data: Float32Array, mode: Mode): Tensor {
  if (mode.startsWith("arena")) {
    return keep(tidy(() => {
      const t = Tensor.empty([data.length], "float32");
      (t._data as Float32Array).set(data);
      return t;
    }));
  }
  if (mode === "plain storage (copies)") return new Tensor(data.slice(), [data.length]);
  const spread = new Float32Array(2 * data.length);
  for (let i = 0; i < data.length; i++) spread[2 * i] = data[i];
  return new Tensor(spread, [data.length], [2], 0);
}

/** The elements of `t` (any strides) as a contiguous float32 copy. */
function valuesOf(t: Tensor): Float32Array {
  const s = t.storage as Float32Array, stride = t.strides[0];
  return Float32Array.from({ length: t.numel }, (_, i) => s[t.offset + i * stride]);
}

/** `steps` steps of the optimizer on one parameter of n elements; its values and its state's tensors after. */
function train(makeOpt: Make, n: number, steps: number, mode: Mode): Map<string, Float32Array> {
  setMatmulThreads(mode === "arena, one thread" ? 1 : 2);
  const before = memoryStats().inUseBytes;
  const p = make(wide(n, 21, { specials: false }), mode).requiresGrad_();
  const opt = makeOpt([p]);
  for (let t = 0; t < steps; t++) {
    const g = make(wide(n, 100 + t), mode);
    p.grad = g;
    if (mode.startsWith("arena")) tidy(() => opt.step()); // the state, made in the first step, in the arena too
    else opt.step();
    g.dispose();
  }
  // the param (and any state) in the arena: the kernels ran in place
  if (mode.startsWith("arena")) expect(memoryStats().inUseBytes - before).toBeGreaterThanOrEqual(n * 4);
  const out = new Map([["param", valuesOf(p)]]);
  for (const [key, value] of Object.entries(opt.state.get(p) ?? {})) if (value instanceof Tensor) out.set(key, valuesOf(value));
  for (const value of Object.values(opt.state.get(p) ?? {})) if (value instanceof Tensor) value.dispose();
  p.dispose();
  return out;
}

describe("Adam, AdamW and SGD on float32: the wasm kernels give the JS row's bits, step after step", () => {
  const adam = (o: AdamOptions): Make => (ps) => new Adam(ps, o);
  const adamw = (o: AdamWOptions): Make => (ps) => new AdamW(ps, o);
  const sgd = (o: SGDOptions): Make => (ps) => new SGD(ps, o);
  const cases: [string, Make][] = [
    ["Adam defaults", adam({})],
    ["Adam, weightDecay 0.1", adam({ weightDecay: 0.1, lr: 1e-2 })],
    ["Adam, maximize, betas [0.8, 0.99]", adam({ maximize: true, betas: [0.8, 0.99] })],
    ["AdamW defaults", adamw({})],
    ["AdamW, weightDecay 0.3, maximize", adamw({ weightDecay: 0.3, maximize: true, lr: 3e-2 })],
    ["SGD", sgd({ lr: 0.1 })],
    ["SGD, weightDecay, maximize", sgd({ lr: 0.1, weightDecay: 1e-2, maximize: true })],
    ["SGD, momentum 0.9", sgd({ lr: 0.1, momentum: 0.9 })],
    ["SGD, nesterov", sgd({ lr: 0.1, momentum: 0.9, nesterov: true })],
    ["SGD, momentum, dampening 0.1, weightDecay", sgd({ lr: 0.05, momentum: 0.8, dampening: 0.1, weightDecay: 1e-3 })],
  ];
  for (const [name, makeOpt] of cases) {
    it(`${name}: 300,007 params (shared with the worker), 5001 params; ${MODES.join(", ")}`, () => {
      for (const [n, steps] of [[300_007, 6], [5001, 20]] as const) {
        const runs = MODES.map((mode) => [mode, train(makeOpt, n, steps, mode)] as const);
        const [, reference] = runs[runs.length - 1];
        for (const [mode, got] of runs) {
          expect([...got.keys()], mode).toEqual([...reference.keys()]);
          for (const [key, values] of got) sameBits(values, reference.get(key) as Float32Array, `${name}, n = ${n}, ${mode}: ${key}`);
        }
      }
    });
  }
});
