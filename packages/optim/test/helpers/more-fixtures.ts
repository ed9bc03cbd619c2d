import { readFileSync } from "node:fs";
import { expect } from "vitest";
import * as T from "@minigrad/tensor";
import { Tensor, tensor, type DType } from "@minigrad/tensor";
import { stateDictFromJSON, type Optimizer, type StateDictJSON } from "@minigrad/optim";
import { f32Hex, fromFixture, type FixtureTensor } from "./conformance";

// Replaying fixtures/optim-more.json (gen_optim_more.py): gen_optim_core.py's kinds
// (givenGrads, paramGroups, rosenbrock, stateDict) for Rprop and ASGD, and the lbfgs kind.

export type Options = Record<string, unknown>;
export type AnyOptimizer = Optimizer<object>;
export type Make = (params: Iterable<Tensor> | Iterable<Options & { params: Tensor[] }>, options: Options) => AnyOptimizer;

/** A recorded state value: a number, null, a vector, a list (LBFGS's history), or `true` (a tensor, values not recorded). */
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

export type MoreCase = GivenGradsCase | ParamGroupsCase | RosenbrockCase | StateDictCase | LBFGSCase;

export function loadMoreFixture(): { generator: string; cases: MoreCase[] } {
  const url = new URL("../fixtures/optim-more.json", import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as { generator: string; cases: MoreCase[] };
}

/** How close a value must be: float32 by bits or to a relative tolerance, float64 to a relative tolerance. */
export interface Tolerance {
  f32: "bits" | number;
  f64: number;
  /**
   * LBFGS: compare the state's values too (else only its keys, in order). Where the loss
   * itself differs in the last bit, the history vectors near the optimum are rounding noise.
   */
  stateValues?: boolean;
}

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

function expectTensor(got: unknown, want: readonly number[], dtype: DType, what: string, tol: Tolerance, shape?: readonly number[]): void {
  expect(got, `${what} is a tensor`).toBeInstanceOf(Tensor);
  const t = got as Tensor;
  if (shape !== undefined) expect(t.shape, `${what}: shape`).toEqual(shape);
  expect(t.dtype, `${what}: dtype`).toBe(dtype);
  expectValues(t.toTypedArray(), want, dtype, what, tol);
}

/** A state entry as recorded: the same keys in the same order, each value as torch had it. */
export function expectState(
  state: Record<string, unknown> | undefined, want: Record<string, StateValue>, param: Tensor | undefined, dtype: DType,
  what: string, tol: Tolerance,
): void {
  expect(state, `${what}: state`).toBeDefined();
  expect(Object.keys(state ?? {}), `${what}: state keys, in torch's order`).toEqual(Object.keys(want));
  for (const [key, value] of Object.entries(want)) {
    const got = state?.[key];
    const at = `${what}: ${key}`;
    if (value === null) expect(got, at).toBeNull();
    else if (typeof value === "number") expectNumber(got, value, dtype, at, tol);
    else if (value === true) expect(got, at).toBeInstanceOf(Tensor);
    else if (value.length > 0 && value.every((v) => typeof v === "number") && !Array.isArray(got)) {
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

function checkStep(opt: AnyOptimizer, params: readonly Tensor[], want: StepExpectation, dtype: DType, k: number, tol: Tolerance): void {
  params.forEach((p, i) => {
    const at = `step ${k + 1}, param ${i}`;
    expectValues(p.toTypedArray(), want.params[i], dtype, at, tol);
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

/** Replay one case of gen_optim_core.py's kinds. */
export function runCoreKind(c: Exclude<MoreCase, LBFGSCase>, make: Make, tol: Tolerance): void {
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
  } else {
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
      expectValues(a.toTypedArray(), c.trajectory[k], c.dtype, `step ${k + 1}: a`, tol);
    });
  }
}

/** Replay an lbfgs case: `step(closure)` per recorded step; loss, closure calls, parameters and state. */
export function runLBFGSCase(c: LBFGSCase, make: Make, tol: Tolerance): void {
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
