import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as T from "@minigrad/tensor";
import { Tensor, tensor, type DType } from "@minigrad/tensor";
import {
  Adagrad, Adam, AdamW, SGD, stateDictFromJSON, type Optimizer, type StateDictJSON,
} from "@minigrad/optim";
import { f32Hex, fromFixture, type FixtureTensor } from "./helpers/conformance";

// fixtures/optim-core.json: traces recorded from torch.optim's SGD, Adam, AdamW and Adagrad
// (PyTorch 1.13's CPU for-loop path) by fixtures/gen_optim_core.py. float32 must match bit
// for bit; float64 (the same operations in double, without torch's FMAs) to 1e-12 relative.

type Options = Record<string, unknown>;
type AnyOptimizer = Optimizer<object>;
type Make = (params: Iterable<Tensor> | Iterable<Options & { params: Tensor[] }>, options: Options) => AnyOptimizer;

const MAKE: Record<string, Make> = {
  SGD: (p, o) => new SGD(p as never, o) as unknown as AnyOptimizer,
  Adam: (p, o) => new Adam(p as never, o) as unknown as AnyOptimizer,
  AdamW: (p, o) => new AdamW(p as never, o) as unknown as AnyOptimizer,
  Adagrad: (p, o) => new Adagrad(p as never, o) as unknown as AnyOptimizer,
};

/** A state entry as recorded: numbers (step), null (SGD's momentumBuffer without momentum), values, or `true` (a tensor, values not recorded at this step). */
type StateValue = number | null | true | number[];

interface StepExpectation {
  params: number[][];
  state: (Record<string, StateValue> | null)[];
}

interface Base {
  name: string;
  optimizer: keyof typeof MAKE;
  dtype: DType;
}

interface GivenGradsCase extends Base {
  kind: "givenGrads";
  options: Options;
  params: FixtureTensor[];
  grads: (number[] | null)[][];
  expected: StepExpectation[];
}

interface ParamGroupsCase extends Base {
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

interface RosenbrockCase extends Base {
  kind: "rosenbrock";
  options: Options;
  start: number[];
  ts: string;
  losses: number[];
  trajectory: number[][];
}

interface StateDictCase extends Base {
  kind: "stateDict";
  options: Options;
  otherOptions: Options;
  params: FixtureTensor[];
  checkpoint: StateDictJSON;
  grads: (number[] | null)[][];
  expected: StepExpectation[];
  resolvedGroups: Options[];
}

type Case = GivenGradsCase | ParamGroupsCase | RosenbrockCase | StateDictCase;

const fixture = JSON.parse(readFileSync(new URL("./fixtures/optim-core.json", import.meta.url), "utf8")) as {
  generator: string;
  cases: Case[];
};

const F64_RTOL = 1e-12;

/** float32 by bits (Object.is: -0 and NaN included); float64 to 1e-12 relative (of max(|want|, 1e-3)). */
function expectValues(got: ArrayLike<number>, want: readonly number[], dtype: DType, what: string): void {
  expect(got.length, `${what}: number of values`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (dtype === "float32") {
      if (!Object.is(Math.fround(w), g)) {
        expect.fail(`${what}: element ${i} is ${g} (0x${f32Hex(g)}), PyTorch has ${w} (0x${f32Hex(w)})`);
      }
    } else if (!(Math.abs(g - w) <= F64_RTOL * Math.max(Math.abs(w), 1e-3))) {
      expect.fail(`${what}: element ${i} is ${g}, PyTorch has ${w} (rtol ${F64_RTOL})`);
    }
  }
}

function expectTensor(got: Tensor, shape: readonly number[], want: readonly number[], dtype: DType, what: string): void {
  expect(got.shape, `${what}: shape`).toEqual(shape);
  expect(got.dtype, `${what}: dtype`).toBe(dtype);
  expectValues(got.toTypedArray(), want, dtype, what);
}

function setGrads(params: readonly Tensor[], grads: readonly (number[] | null)[], dtype: DType): void {
  params.forEach((p, i) => {
    const g = grads[i];
    p.grad = g === null ? null : tensor(g, { shape: p.shape, dtype });
  });
}

/** Every parameter and state entry after step k, as PyTorch had them. */
function checkStep(opt: AnyOptimizer, params: readonly Tensor[], want: StepExpectation, dtype: DType, k: number): void {
  params.forEach((p, i) => {
    const at = `step ${k + 1}, param ${i}`;
    expectTensor(p, p.shape, want.params[i], dtype, at);
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
      if (typeof value === "number" || value === null) expect(got, `${at}: ${key}`).toBe(value);
      else {
        expect(got, `${at}: ${key} is a tensor`).toBeInstanceOf(Tensor);
        if (value !== true) expectTensor(got as Tensor, p.shape, value, dtype, `${at}: ${key}`);
      }
    }
  });
}

function runSteps(opt: AnyOptimizer, params: Tensor[], grads: (number[] | null)[][], expected: StepExpectation[], dtype: DType, before?: (k: number) => void): void {
  grads.forEach((row, k) => {
    before?.(k);
    setGrads(params, row, dtype);
    opt.step();
    checkStep(opt, params, expected[k], dtype, k);
  });
}

function checkGroups(opt: AnyOptimizer, want: Options[]): void {
  expect(opt.paramGroups).toHaveLength(want.length);
  want.forEach((w, i) => {
    const { params: _params, ...options } = opt.paramGroups[i] as Options;
    expect(Object.entries(options), `group ${i}: options and their order`).toEqual(Object.entries(w));
  });
}

function run(c: Case): void {
  const make = MAKE[c.optimizer];
  if (c.kind === "givenGrads") {
    const params = c.params.map((t) => fromFixture(t, c.dtype, true));
    runSteps(make(params, c.options), params, c.grads, c.expected, c.dtype);
  } else if (c.kind === "paramGroups") {
    const params = c.params.map((t) => fromFixture(t, c.dtype, true));
    const withTensors = (g: { params: number[] } & Options) => ({ ...g, params: g.params.map((i) => params[i]) });
    const opt = make(c.groups.map(withTensors), c.defaults);
    runSteps(opt, params, c.grads, c.expected, c.dtype, (k) => {
      if (k === c.addParamGroupAtStep) opt.addParamGroup(withTensors(c.lateGroup));
    });
    checkGroups(opt, c.resolvedGroups);
  } else if (c.kind === "stateDict") {
    const params = c.params.map((t) => fromFixture(t, c.dtype, true));
    const opt = make([{ params: [params[0]] }, { params: [params[1]] }], c.otherOptions);
    opt.loadStateDict(stateDictFromJSON(c.checkpoint));
    checkGroups(opt, c.resolvedGroups);
    runSteps(opt, params, c.grads, c.expected, c.dtype);
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
      expectValues([loss.item()], [want], c.dtype, `step ${k + 1}: loss`);
      expectTensor(a, [c.start.length], c.trajectory[k], c.dtype, `step ${k + 1}: a`);
    });
  }
}

describe(`fixtures/optim-core.json (${fixture.generator})`, () => {
  it("has every kind of case for every optimizer, in float32 and float64", () => {
    const kinds = new Set(fixture.cases.map((c) => `${c.optimizer}/${c.kind}/${c.dtype}`));
    for (const optimizer of Object.keys(MAKE)) {
      for (const kind of ["givenGrads", "paramGroups", "rosenbrock", "stateDict"]) {
        for (const dtype of ["float32", "float64"]) expect(kinds).toContain(`${optimizer}/${kind}/${dtype}`);
      }
    }
  });

  for (const optimizer of Object.keys(MAKE)) {
    describe(optimizer, () => {
      for (const c of fixture.cases.filter((x) => x.optimizer === optimizer)) {
        it(`${c.name} (${c.kind}, ${c.dtype}${c.dtype === "float32" ? ", bit for bit" : ""})`, () => run(c));
      }
    });
  }
});
