import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as T from "@minigrad/tensor";
import { Tensor, tensor, type DType } from "@minigrad/tensor";
import { stateDictFromJSON, type Optimizer, type StateDictJSON } from "@minigrad/optim";
import { f32Hex, fromFixture, type FixtureTensor } from "./conformance";

// Replaying torch.optim traces in gen_optim_core.py's schema (optim-core.json,
// optim-family.json, optim-more.json): given grads, param groups added mid-run, Rosenbrock
// through autograd with step(closure), a PyTorch state dict loaded and stepped on; the
// family's bulk LCG runs; LBFGS's closure-driven steps.

export type Options = Record<string, unknown>;
export type AnyOptimizer = Optimizer<object>;
export type Make = (params: Iterable<Tensor> | Iterable<Options & { params: Tensor[] }>, options: Options) => AnyOptimizer;

/**
 * A recorded state value: a number (step, NAdam's muProduct, ASGD's eta), null, a vector, a
 * list (LBFGS's history), or `true` (a tensor, values not recorded at this step).
 */
export type StateValue = number | null | true | number[] | (number | null | number[])[];

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

export interface LBFGSStep {
  loss: number;
  /** How many times the closure ran in this step. */
  evaluations: number;
  params: number[][];
  state: Record<string, StateValue>;
}

export interface LBFGSCase extends Base {
  kind: "lbfgs";
  problem: "rosenbrock" | "lsq";
  options: Options;
  params: FixtureTensor[];
  constants: Record<string, FixtureTensor>;
  /** The loss as a function body of `p` (the parameters), `c` (the constants) and `T` (@minigrad/tensor). */
  ts: string;
  expected: LBFGSStep[];
  resolvedGroups: Options[];
  loadAtStep?: number;
  otherOptions?: Options;
  checkpoint?: StateDictJSON;
}

export type TraceCase = GivenGradsCase | ParamGroupsCase | RosenbrockCase | StateDictCase | BulkCase | LBFGSCase;

/** The kinds every optimizer driven by `step()` has (gen_optim_core.py's). */
export const TRACE_KINDS = ["givenGrads", "paramGroups", "rosenbrock", "stateDict"] as const;

/** A fixture of fixtures/: the generator that wrote it and its cases. */
function loadTraces(file: string): { generator: string; cases: TraceCase[] } {
  const url = new URL(`../fixtures/${file}`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as { generator: string; cases: TraceCase[] };
}

/**
 * How closely values must match PyTorch's: float32 by bits (`"bits"`) or to a relative
 * tolerance; float64 to a relative tolerance (of max(|want|, 1e-3)).
 */
export interface Tolerance {
  f32: "bits" | number;
  f64: number;
  /**
   * LBFGS: compare the state's values and closure calls too (else only the state's keys).
   * Where the loss itself differs in the last bit, the history vectors near the optimum are
   * rounding noise.
   */
  stateValues?: boolean;
}

/** float32 bit for bit; float64 (the same operations in double, without torch's FMAs) to 1e-12 relative. */
export const BITS: Tolerance = { f32: "bits", f64: 1e-12 };

/** Within `rtol` of max(|want|, 1e-3) (NaN matches NaN), or bit for bit (-0 and NaN included). */
export function expectValues(got: ArrayLike<number>, want: readonly number[], dtype: DType, what: string, tol: Tolerance): void {
  expect(got.length, `${what}: number of values`).toBe(want.length);
  const rtol = dtype === "float32" ? tol.f32 : tol.f64;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (rtol === "bits") {
      if (!Object.is(Math.fround(w), g)) {
        expect.fail(`${what}: element ${i} is ${g} (0x${f32Hex(g)}), PyTorch has ${w} (0x${f32Hex(w)})`);
      }
    } else if (!(Number.isNaN(w) ? Number.isNaN(g) : Math.abs(g - w) <= rtol * Math.max(Math.abs(w), 1e-3))) {
      expect.fail(`${what}: element ${i} is ${g}, PyTorch has ${w} (rtol ${rtol})`);
    }
  }
}

/** A number of the state: exactly (bits mode: t may be a double lr, so no fround), else to the tolerance. */
function expectNumber(got: unknown, want: number, dtype: DType, what: string, tol: Tolerance): void {
  expect(typeof got, `${what} is a number`).toBe("number");
  const rtol = dtype === "float32" ? tol.f32 : tol.f64;
  if (rtol === "bits") expect(got, what).toBe(want);
  else expectValues([got as number], [want], dtype, what, tol);
}

/** A tensor of `dtype` (and `shape`, if given) holding `want`. */
function expectTensor(got: unknown, want: readonly number[], dtype: DType, what: string, tol: Tolerance, shape?: readonly number[]): void {
  expect(got, `${what} is a tensor`).toBeInstanceOf(Tensor);
  const t = got as Tensor;
  if (shape !== undefined) expect(t.shape, `${what}: shape`).toEqual(shape);
  expect(t.dtype, `${what}: dtype`).toBe(dtype);
  expectValues(t.toTypedArray(), want, dtype, what, tol);
}

/**
 * A state entry as recorded: the same keys in torch's order, each value as torch had it
 * (`step` and null exactly). With `param`, every vector is a tensor shaped like it; without
 * (LBFGS's state, kept on the first parameter), vectors are flat and lists are lists.
 */
export function expectState(
  state: Record<string, unknown> | undefined, want: Record<string, StateValue>, param: Tensor | undefined, dtype: DType,
  what: string, tol: Tolerance,
): void {
  expect(state, `${what}: state`).toBeDefined();
  expect(Object.keys(state ?? {}), `${what}: state keys, in torch's order`).toEqual(Object.keys(want));
  for (const [key, value] of Object.entries(want)) {
    const got = state?.[key];
    const at = `${what}: ${key}`;
    if (value === null || key === "step") expect(got, at).toBe(value);
    else if (typeof value === "number") expectNumber(got, value, dtype, at, tol);
    else if (value === true) expect(got, at).toBeInstanceOf(Tensor);
    else if (param !== undefined || (value.length > 0 && value.every((v) => typeof v === "number") && !Array.isArray(got))) {
      expectTensor(got, value as number[], dtype, at, tol, param?.shape);
    } else {
      // a list: LBFGS's oldDirs/oldStps (vectors), ro (numbers), al (numbers or null)
      expect(Array.isArray(got), `${at} is a list`).toBe(true);
      const list = got as unknown[];
      expect(list.length, `${at}: length`).toBe(value.length);
      value.forEach((v, i) => {
        if (v === null) expect(list[i], `${at}[${i}]`).toBeNull();
        else if (typeof v === "number") expectNumber(list[i], v, dtype, `${at}[${i}]`, tol);
        else expectTensor(list[i], v, dtype, `${at}[${i}]`, tol);
      });
    }
  }
}

function setGrads(params: readonly Tensor[], grads: readonly (number[] | null)[], dtype: DType): void {
  params.forEach((p, i) => {
    const g = grads[i];
    p.grad = g === null ? null : tensor(g, { shape: p.shape, dtype });
  });
}

/** Every parameter and state entry after step k, as PyTorch had them. */
function checkStep(opt: AnyOptimizer, params: readonly Tensor[], want: StepExpectation, dtype: DType, k: number, tol: Tolerance): void {
  params.forEach((p, i) => {
    const at = `step ${k + 1}, param ${i}`;
    expectTensor(p, want.params[i], dtype, at, tol, p.shape);
    const wantState = want.state[i];
    const state = opt.state.get(p);
    if (wantState === null) {
      expect(state === undefined || Object.keys(state).length === 0, `${at}: no state yet`).toBe(true);
    } else {
      expectState(state, wantState, p, dtype, at, tol);
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

export function checkGroups(opt: AnyOptimizer, want: Options[]): void {
  expect(opt.paramGroups).toHaveLength(want.length);
  want.forEach((w, i) => {
    const { params: _params, ...options } = opt.paramGroups[i] as Options;
    expect(Object.entries(options), `group ${i}: options and their order`).toEqual(Object.entries(w));
  });
}

function lossFunction<A extends unknown[]>(ts: string, ...names: string[]): (...args: A) => Tensor {
  const body = ts.includes("return") ? ts : `return (${ts});`;
  return new Function(...names, body) as (...args: A) => Tensor;
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

/** Replay an lbfgs case: `step(closure)` per recorded step; loss, closure calls, parameters and state. */
function runLBFGS(c: LBFGSCase, make: Make, tol: Tolerance): void {
  const params = c.params.map((t) => fromFixture(t, c.dtype, true));
  const consts = Object.fromEntries(Object.entries(c.constants).map(([k, t]) => [k, fromFixture(t, c.dtype, false)]));
  const f = lossFunction<[Tensor[], Record<string, Tensor>, typeof T]>(c.ts, "p", "c", "T");
  let opt = make(params, c.options);
  let evaluations = 0;
  const closure = () => {
    opt.zeroGrad();
    const loss = f(params, consts, T);
    loss.backward();
    evaluations++;
    return loss;
  };
  c.expected.forEach((want, k) => {
    if (k === c.loadAtStep && c.checkpoint !== undefined) {
      opt = make(params, c.otherOptions ?? {});
      opt.loadStateDict(stateDictFromJSON(c.checkpoint));
    }
    evaluations = 0;
    const loss = opt.step(closure) as Tensor;
    const at = `step ${k + 1}`;
    expectValues([loss.item()], [want.loss], c.dtype, `${at}: loss`, tol);
    if (tol.stateValues !== false) expect(evaluations, `${at}: closure calls`).toBe(want.evaluations);
    params.forEach((p, i) => expectValues(p.toTypedArray(), want.params[i], c.dtype, `${at}: param ${i}`, tol));
    const state = opt.state.get(params[0]);
    if (tol.stateValues === false) expect(Object.keys(state ?? {}), `${at}: state keys`).toEqual(Object.keys(want.state));
    else expectState(state, want.state, undefined, c.dtype, `${at}: state`, tol);
  });
  checkGroups(opt, c.resolvedGroups);
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
  } else if (c.kind === "stateDict") {
    const params = c.params.map((t) => fromFixture(t, c.dtype, true));
    const opt = make([{ params: [params[0]] }, { params: [params[1]] }], c.otherOptions);
    opt.loadStateDict(stateDictFromJSON(c.checkpoint));
    checkGroups(opt, c.resolvedGroups);
    runSteps(opt, params, c.grads, c.expected, c.dtype, tol);
  } else if (c.kind === "rosenbrock") {
    const a = tensor(c.start, { dtype: c.dtype, requiresGrad: true });
    const f = lossFunction<[Tensor, typeof T]>(c.ts, "a", "T");
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
      expectTensor(a, c.trajectory[k], c.dtype, `step ${k + 1}: a`, tol, [c.start.length]);
    });
  } else if (c.kind === "bulk") {
    runBulk(c, make, tol);
  } else {
    runLBFGS(c, make, tol);
  }
}

/**
 * The tests of one fixture file: that it holds each kind of case `kinds(optimizer)` for
 * every optimizer of `make`, in float32 and float64; then each case, replayed with its
 * optimizer to `tolerance(c)` (named "bit for bit" where float32 is compared by bits).
 */
export function describeTraces(
  file: string, make: Readonly<Record<string, Make>>, tolerance: (c: TraceCase) => Tolerance = () => BITS,
  kinds: (optimizer: string) => readonly string[] = () => TRACE_KINDS,
): void {
  const fixture = loadTraces(file);
  describe(`fixtures/${file} (${fixture.generator})`, () => {
    it("has every kind of case for every optimizer, in float32 and float64", () => {
      const have = new Set(fixture.cases.map((c) => `${c.optimizer}/${c.kind}/${c.dtype}`));
      for (const optimizer of Object.keys(make)) {
        for (const kind of kinds(optimizer)) {
          for (const dtype of ["float32", "float64"]) expect(have).toContain(`${optimizer}/${kind}/${dtype}`);
        }
      }
    });

    for (const optimizer of Object.keys(make)) {
      describe(optimizer, () => {
        for (const c of fixture.cases.filter((x) => x.optimizer === optimizer)) {
          const tol = tolerance(c);
          const exact = c.dtype === "float32" && tol.f32 === "bits" ? ", bit for bit" : "";
          it(`${c.name} (${c.kind}, ${c.dtype}${exact})`, () => runTraceCase(c, make[optimizer], tol));
        }
      });
    }
  });
}
