import { expect } from "vitest";
import * as T from "@minigrad/tensor";
import { Tensor, tensor, type DType } from "@minigrad/tensor";
import { stateDictFromJSON, type Optimizer, type StateDictJSON } from "@minigrad/optim";
import { f32Hex, fromFixture, type FixtureTensor } from "./conformance";

// Replaying torch.optim traces in gen_optim_core.py's schema (optim-core.json,
// optim-family.json): given grads, param groups added mid-run, Rosenbrock through autograd
// with step(closure), and a PyTorch state dict loaded and stepped on.

export type Options = Record<string, unknown>;
export type AnyOptimizer = Optimizer<object>;
export type Make = (params: Iterable<Tensor> | Iterable<Options & { params: Tensor[] }>, options: Options) => AnyOptimizer;

/** A state entry as recorded: numbers (step, NAdam's muProduct), null, values, or `true` (a tensor, values not recorded at this step). */
export type StateValue = number | null | true | number[];

export interface StepExpectation {
  params: number[][];
  state: (Record<string, StateValue> | null)[];
}

interface Base {
  name: string;
  optimizer: string;
  dtype: DType;
}

export interface GivenGradsCase extends Base {
  kind: "givenGrads";
  options: Options;
  params: FixtureTensor[];
  grads: (number[] | null)[][];
  expected: StepExpectation[];
}

export interface ParamGroupsCase extends Base {
  kind: "paramGroups";
  defaults: Options;
  groups: ({ params: number[] } & Options)[];
  addParamGroupAtStep: number;
  lateGroup: { params: number[] } & Options;
  params: FixtureTensor[];
  grads: (number[] | null)[][];
  expected: StepExpectation[];
  resolvedGroups: Options[];
}

export interface RosenbrockCase extends Base {
  kind: "rosenbrock";
  options: Options;
  start: number[];
  ts: string;
  losses: number[];
  trajectory: number[][];
}

export interface StateDictCase extends Base {
  kind: "stateDict";
  options: Options;
  otherOptions: Options;
  params: FixtureTensor[];
  checkpoint: StateDictJSON;
  grads: (number[] | null)[][];
  expected: StepExpectation[];
  resolvedGroups: Options[];
}

/**
 * Many elements, few bytes: params and grads drawn from a 32-bit LCG (`lcgValues`, exact
 * float32 values), only the final params and state recorded, as base64 of float32 bytes.
 */
export interface BulkCase extends Base {
  kind: "bulk";
  options: Options;
  n: number;
  steps: number;
  seed: number;
  paramExponents: [number, number];
  gradExponents: [number, number];
  expected: { params: string; state: Record<string, string | number> };
}

export type TraceCase = GivenGradsCase | ParamGroupsCase | RosenbrockCase | StateDictCase | BulkCase;

export const TRACE_KINDS = ["givenGrads", "paramGroups", "rosenbrock", "stateDict"] as const;

/**
 * How closely values must match PyTorch's: float32 by bits (`"bits"`), or within `ulps`
 * units in the last place of float32; float64 always to `f64Rtol` relative (of max(|want|, 1e-3)).
 */
export interface Tolerance {
  f32: "bits" | { ulps: number };
  f64Rtol: number;
}

export const BITS: Tolerance = { f32: "bits", f64Rtol: 1e-12 };

/** The distance in float32 ulps between two float32 values of the same sign (Infinity otherwise). */
function ulpDistance(a: number, b: number): number {
  if (Object.is(a, b)) return 0;
  if (Number.isNaN(a) || Number.isNaN(b) || Math.sign(a) !== Math.sign(b)) return a === b ? 0 : Infinity;
  const bits = new Uint32Array(new Float32Array([a, b]).buffer);
  return Math.abs(bits[0] - bits[1]);
}

export function expectValues(got: ArrayLike<number>, want: readonly number[], dtype: DType, what: string, tol: Tolerance): void {
  expect(got.length, `${what}: number of values`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (dtype === "float32") {
      const wf = Math.fround(w);
      if (tol.f32 === "bits") {
        if (!Object.is(wf, g)) expect.fail(`${what}: element ${i} is ${g} (0x${f32Hex(g)}), PyTorch has ${w} (0x${f32Hex(w)})`);
      } else if (!(ulpDistance(g, wf) <= tol.f32.ulps)) {
        expect.fail(`${what}: element ${i} is ${g} (0x${f32Hex(g)}), PyTorch has ${w} (0x${f32Hex(w)}), over ${tol.f32.ulps} ulp`);
      }
    } else if (!(Math.abs(g - w) <= tol.f64Rtol * Math.max(Math.abs(w), 1e-3))) {
      expect.fail(`${what}: element ${i} is ${g}, PyTorch has ${w} (rtol ${tol.f64Rtol})`);
    }
  }
}

function expectTensor(got: Tensor, shape: readonly number[], want: readonly number[], dtype: DType, what: string, tol: Tolerance): void {
  expect(got.shape, `${what}: shape`).toEqual(shape);
  expect(got.dtype, `${what}: dtype`).toBe(dtype);
  expectValues(got.toTypedArray(), want, dtype, what, tol);
}

function setGrads(params: readonly Tensor[], grads: readonly (number[] | null)[], dtype: DType): void {
  params.forEach((p, i) => {
    const g = grads[i];
    p.grad = g === null ? null : tensor(g, { shape: p.shape, dtype });
  });
}

/** Every parameter and state entry after step k, as PyTorch had them (state keys in torch's order). */
function checkStep(opt: AnyOptimizer, params: readonly Tensor[], want: StepExpectation, dtype: DType, k: number, tol: Tolerance): void {
  params.forEach((p, i) => {
    const at = `step ${k + 1}, param ${i}`;
    expectTensor(p, p.shape, want.params[i], dtype, at, tol);
    const wantState = want.state[i];
    const state = opt.state.get(p);
    if (wantState === null) {
      expect(state === undefined || Object.keys(state).length === 0, `${at}: no state yet`).toBe(true);
      return;
    }
    expect(state, `${at}: state`).toBeDefined();
    expect(Object.keys(state ?? {}), `${at}: state keys, in torch's order`).toEqual(Object.keys(wantState));
    for (const [key, value] of Object.entries(wantState)) {
      const got = state?.[key];
      if (value === null || key === "step") expect(got, `${at}: ${key}`).toBe(value);
      else if (typeof value === "number") {
        // a scalar torch keeps in a 0-d tensor (NAdam's muProduct): compared as the parameter's values are
        expect(typeof got, `${at}: ${key} is a number`).toBe("number");
        expectValues([got as number], [value], dtype, `${at}: ${key}`, tol);
      } else {
        expect(got, `${at}: ${key} is a tensor`).toBeInstanceOf(Tensor);
        if (value !== true) expectTensor(got as Tensor, p.shape, value, dtype, `${at}: ${key}`, tol);
      }
    }
  });
}

function runSteps(
  opt: AnyOptimizer, params: Tensor[], grads: (number[] | null)[][], expected: StepExpectation[], dtype: DType, tol: Tolerance,
  before?: (k: number) => void,
): void {
  grads.forEach((row, k) => {
    before?.(k);
    setGrads(params, row, dtype);
    opt.step();
    checkStep(opt, params, expected[k], dtype, k, tol);
  });
}

function checkGroups(opt: AnyOptimizer, want: Options[]): void {
  expect(opt.paramGroups).toHaveLength(want.length);
  want.forEach((w, i) => {
    const { params: _params, ...options } = opt.paramGroups[i] as Options;
    expect(Object.entries(options), `group ${i}: options and their order`).toEqual(Object.entries(w));
  });
}

/**
 * n exact float32 values (m/2^24 − 1/2)·2^k, m and k drawn from u ← (1664525u + 1013904223) mod 2^32,
 * as gen_optim_family.py's `lcg_values` (every operation exact in double, in both languages).
 */
export function lcgValues(state: { u: number }, n: number, [lo, hi]: readonly [number, number]): Float32Array {
  const out = new Float32Array(n);
  const next = () => (state.u = (state.u * 1664525 + 1013904223) % 4294967296);
  for (let i = 0; i < n; i++) {
    const m = Math.floor(next() / 256);
    const k = lo + (next() % (hi - lo + 1));
    out[i] = (m / 2 ** 24 - 0.5) * 2 ** k;
  }
  return out;
}

function fromBase64(b64: string): Float32Array {
  const bytes = Buffer.from(b64, "base64");
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function runBulk(c: BulkCase, make: Make, tol: Tolerance): void {
  const state = { u: c.seed };
  const p = tensor(lcgValues(state, c.n, c.paramExponents), { shape: [c.n], requiresGrad: true });
  const opt = make([p], c.options);
  for (let k = 0; k < c.steps; k++) {
    p.grad = tensor(lcgValues(state, c.n, c.gradExponents), { shape: [c.n] });
    opt.step();
  }
  expectValues(p.toTypedArray(), Array.from(fromBase64(c.expected.params)), "float32", `after ${c.steps} steps: param`, tol);
  const got = opt.state.get(p) ?? {};
  expect(Object.keys(got), "state keys, in torch's order").toEqual(Object.keys(c.expected.state));
  for (const [key, want] of Object.entries(c.expected.state)) {
    if (key === "step") expect(got.step).toBe(want);
    else if (typeof want === "number") expectValues([got[key] as number], [want], "float32", key, tol);
    else expectValues((got[key] as Tensor).toTypedArray(), Array.from(fromBase64(want)), "float32", key, tol);
  }
}

/** Replay one recorded case with `make` and check every step against PyTorch's values. */
export function runTraceCase(c: TraceCase, make: Make, tol: Tolerance): void {
  if (c.kind === "givenGrads") {
    const params = c.params.map((t) => fromFixture(t, c.dtype, true));
    runSteps(make(params, c.options), params, c.grads, c.expected, c.dtype, tol);
  } else if (c.kind === "paramGroups") {
    const params = c.params.map((t) => fromFixture(t, c.dtype, true));
    const withTensors = (g: { params: number[] } & Options) => ({ ...g, params: g.params.map((i) => params[i]) });
    const opt = make(c.groups.map(withTensors), c.defaults);
    runSteps(opt, params, c.grads, c.expected, c.dtype, tol, (k) => {
      if (k === c.addParamGroupAtStep) opt.addParamGroup(withTensors(c.lateGroup));
    });
    checkGroups(opt, c.resolvedGroups);
  } else if (c.kind === "bulk") {
    runBulk(c, make, tol);
  } else if (c.kind === "stateDict") {
    const params = c.params.map((t) => fromFixture(t, c.dtype, true));
    const opt = make([{ params: [params[0]] }, { params: [params[1]] }], c.otherOptions);
    opt.loadStateDict(stateDictFromJSON(c.checkpoint));
    checkGroups(opt, c.resolvedGroups);
    runSteps(opt, params, c.grads, c.expected, c.dtype, tol);
  } else {
    const a = tensor(c.start, { dtype: c.dtype, requiresGrad: true });
    const body = c.ts.includes("return") ? c.ts : `return (${c.ts});`;
    const f = new Function("a", "T", body) as (a: Tensor, t: typeof T) => Tensor;
    const opt = make([a], c.options);
    const closure = () => {
      opt.zeroGrad();
      const loss = f(a, T);
      loss.backward();
      return loss;
    };
    c.losses.forEach((want, k) => {
      const loss = opt.step(closure) as Tensor;
      expectValues([loss.item()], [want], c.dtype, `step ${k + 1}: loss`, tol);
      expectTensor(a, [c.start.length], c.trajectory[k], c.dtype, `step ${k + 1}: a`, tol);
    });
  }
}
