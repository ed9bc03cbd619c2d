import { describe, expect, it } from "vitest";
import * as T from "@minigrad/tensor";
import { Tensor, tensor, type DType } from "@minigrad/tensor";
import { RMSprop, type RMSpropOptions } from "@minigrad/optim";
import { expectTensor, expectValues, fromFixture, loadConformance, type FixtureTensor } from "./helpers/conformance";

// conformance/rmsprop.json: traces recorded from torch.optim.RMSprop (PyTorch 1.13).

interface StepExpectation {
  params: number[][];
  state: (Record<string, number | number[]> | null)[];
}

interface GivenGradsCase {
  name: string;
  kind: "givenGrads";
  dtype: DType;
  options: RMSpropOptions;
  params: FixtureTensor[];
  grads: (number[] | null)[][];
  expected: StepExpectation[];
}

interface ParamGroupsCase extends Omit<GivenGradsCase, "kind" | "options"> {
  kind: "paramGroups";
  defaults: RMSpropOptions;
  groups: ({ params: number[] } & RMSpropOptions)[];
  addParamGroupAtStep: number;
  lateGroup: { params: number[] } & RMSpropOptions;
  resolvedGroups: Record<string, unknown>[];
}

interface RosenbrockCase {
  name: string;
  kind: "rosenbrock";
  dtype: DType;
  options: RMSpropOptions;
  start: number[];
  ts: string;
  losses: number[];
  trajectory: number[][];
}

type Case = GivenGradsCase | ParamGroupsCase | RosenbrockCase;

const fixture = loadConformance<{ generator: string; cases: Case[] }>("rmsprop.json");

/** The options minigrad's groups hold (torch's groups also carry its `foreach`/`differentiable` flags). */

function setGrads(params: readonly Tensor[], grads: readonly (number[] | null)[], dtype: DType): void {
  params.forEach((p, i) => {
    const g = grads[i];
    p.grad = g === null ? null : tensor(g, { shape: p.shape, dtype });
  });
}

/** Every parameter and every state entry after step k, as PyTorch had them. */
function checkStep(opt: RMSprop, params: readonly Tensor[], want: StepExpectation, dtype: DType, k: number): void {
  params.forEach((p, i) => {
    expectTensor(p, p.shape, want.params[i], dtype, `step ${k + 1}, param ${i}`);
    const wantState = want.state[i];
    const state = opt.state.get(p);
    if (wantState === null) {
      expect(state, `step ${k + 1}, param ${i}: no state yet`).toBeUndefined();
      return;
    }
    expect(state, `step ${k + 1}, param ${i}: state`).toBeDefined();
    expect(Object.keys(state ?? {}).sort(), `step ${k + 1}, param ${i}: state keys`).toEqual(Object.keys(wantState).sort());
    for (const [key, value] of Object.entries(wantState)) {
      const got = state?.[key];
      if (typeof value === "number") {
        expect(got, `step ${k + 1}, param ${i}: ${key}`).toBe(value);
      } else {
        expect(got, `step ${k + 1}, param ${i}: ${key} is a tensor`).toBeInstanceOf(Tensor);
        expectTensor(got as Tensor, p.shape, value, dtype, `step ${k + 1}, param ${i}: ${key}`);
      }
    }
  });
}

function runGivenGrads(c: GivenGradsCase): void {
  const params = c.params.map((t) => fromFixture(t, c.dtype, true));
  const opt = new RMSprop(params, c.options);
  c.grads.forEach((grads, k) => {
    setGrads(params, grads, c.dtype);
    opt.step();
    checkStep(opt, params, c.expected[k], c.dtype, k);
  });
}

function runParamGroups(c: ParamGroupsCase): void {
  const params = c.params.map((t) => fromFixture(t, c.dtype, true));
  const withTensors = (g: { params: number[] } & RMSpropOptions) => ({ ...g, params: g.params.map((i) => params[i]) });
  const opt = new RMSprop(c.groups.map(withTensors), c.defaults);
  c.grads.forEach((grads, k) => {
    if (k === c.addParamGroupAtStep) opt.addParamGroup(withTensors(c.lateGroup));
    setGrads(params, grads, c.dtype);
    opt.step();
    checkStep(opt, params, c.expected[k], c.dtype, k);
  });
  expect(opt.paramGroups).toHaveLength(c.resolvedGroups.length);
  c.resolvedGroups.forEach((want, i) => {
    const { params: groupParams, ...options } = opt.paramGroups[i];
    expect(groupParams).toEqual(withTensors([...c.groups, c.lateGroup][i]).params);
    expect(Object.entries(options), `group ${i}: options and their order`).toEqual(Object.entries(want));
  });
}

function runRosenbrock(c: RosenbrockCase): void {
  const a = tensor(c.start, { dtype: c.dtype, requiresGrad: true });
  const body = c.ts.includes("return") ? c.ts : `return (${c.ts});`;
  const f = new Function("a", "T", body) as (a: Tensor, t: typeof T) => Tensor;
  const opt = new RMSprop([a], c.options);
  c.losses.forEach((want, k) => {
    opt.zeroGrad();
    const loss = f(a, T);
    loss.backward();
    expectValues([loss.item()], [want], c.dtype, `step ${k + 1}: loss`);
    opt.step();
    expectTensor(a, [c.start.length], c.trajectory[k], c.dtype, `step ${k + 1}: a`);
  });
}

describe(`conformance/rmsprop.json (${fixture.generator})`, () => {
  it("has every kind of case, in float32 and float64", () => {
    const kinds = new Set(fixture.cases.map((c) => `${c.kind}/${c.dtype}`));
    for (const kind of ["givenGrads", "paramGroups", "rosenbrock"]) {
      for (const dtype of ["float32", "float64"]) expect(kinds).toContain(`${kind}/${dtype}`);
    }
  });

  for (const c of fixture.cases) {
    it(`${c.name} (${c.kind}, ${c.dtype}${c.dtype === "float32" ? ", bit for bit" : ""})`, () => {
      if (c.kind === "givenGrads") runGivenGrads(c);
      else if (c.kind === "paramGroups") runParamGroups(c);
      else runRosenbrock(c);
    });
  }
});
