import { describe, expect, it } from "vitest";
import * as T from "@minigrad/tensor";
import { Tensor, noGrad, type DType } from "@minigrad/tensor";
import * as nn from "@minigrad/nn";
import { Module } from "@minigrad/nn";
import { expectClose, fromFixture, type FixtureTensor } from "../../tensor/test/helpers/conformance";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runCase, type OpCase } from "./helpers/cases";

/**
 * fixtures/layers_more.json (recorded by fixtures/gen_layers_more.py with PyTorch 1.13):
 * functional cases, layers run for a few training steps from torch's state dict (outputs,
 * input and parameter gradients, running statistics, eval outputs, final state dicts),
 * reprs and error messages. float64 to 1e-10 (+1e-8 relative), float32 to 1e-5 (+1e-4).
 */

interface Step {
  inputs: Record<string, FixtureTensor>;
  requiresGrad: string[];
  upstream: FixtureTensor;
  output: FixtureTensor;
  grads: Record<string, FixtureTensor>;
  paramGrads: Record<string, FixtureTensor>;
  buffers: Record<string, FixtureTensor>;
}
interface LayerRun {
  name: string;
  ts: string;
  dtype: DType;
  repr: string;
  stateDict: Record<string, FixtureTensor>;
  steps: Step[];
  eval: { inputs: Record<string, FixtureTensor>; output: FixtureTensor };
  finalStateDict: Record<string, FixtureTensor>;
}
interface Fixture {
  cases: OpCase[];
  layers: LayerRun[];
  reprs: Record<string, string>;
  keys: Record<string, string[]>;
  errors: Record<string, string>;
  safetensors: { file: string; input: FixtureTensor; output: FixtureTensor; numBatchesTracked: number };
}

/** The fixture, with each null (how the generator writes NaN) read back as NaN. */
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL("./fixtures/layers_more.json", import.meta.url)), "utf8"),
  (_key, value: unknown) => (value === null ? NaN : value),
) as Fixture;

type Layer = Module & { forward(...xs: Tensor[]): Tensor };

function construct(ts: string): Layer {
  // The fixture's constructor expressions are code by design, as the ops.json cases are.
  return new Function("nn", "T", `return (${ts});`)(nn, T) as Layer;
}

function stateDictOf(sd: Record<string, FixtureTensor>, dtype: DType): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, fromFixture(t, dtype)]));
}

function expectStateDict(got: Record<string, Tensor>, want: Record<string, FixtureTensor>, dtype: DType, what: string): void {
  expect(Object.keys(got), `${what}: keys`).toEqual(Object.keys(want));
  for (const [k, t] of Object.entries(want)) expectClose(got[k], t, dtype, `${what}: ${k}`);
}

function runLayer(run: LayerRun): void {
  const { dtype } = run;
  const m = construct(run.ts).to(dtype);
  m.loadStateDict(stateDictOf(run.stateDict, dtype));
  expect(m.toString()).toBe(run.repr);
  m.train();
  run.steps.forEach((step, i) => {
    const inputs = Object.entries(step.inputs).map(([k, t]) => fromFixture(t, dtype, step.requiresGrad.includes(k)));
    const names = Object.keys(step.inputs);
    m.zeroGrad(true);
    const y = m.forward(...inputs);
    expectClose(y, step.output, dtype, `step ${i}: output`);
    y.mul(fromFixture(step.upstream, dtype)).sum().backward();
    for (const [k, want] of Object.entries(step.grads)) {
      const g = inputs[names.indexOf(k)].grad;
      expect(g, `step ${i}: grad of ${k}`).not.toBeNull();
      expectClose(g as Tensor, want, dtype, `step ${i}: grad of ${k}`);
    }
    const params = new Map(m.namedParameters());
    expect([...params.keys()].filter((n) => params.get(n)?.grad !== null)).toEqual(Object.keys(step.paramGrads));
    for (const [n, want] of Object.entries(step.paramGrads)) {
      expectClose(params.get(n)?.grad as Tensor, want, dtype, `step ${i}: grad of ${n}`);
    }
    const buffers = new Map(m.namedBuffers());
    expect([...buffers.keys()]).toEqual(Object.keys(step.buffers));
    for (const [n, want] of Object.entries(step.buffers)) expectClose(buffers.get(n) as Tensor, want, dtype, `step ${i}: ${n}`);
  });
  m.eval();
  const y = noGrad(() => m.forward(...Object.values(run.eval.inputs).map((t) => fromFixture(t, dtype))));
  expectClose(y, run.eval.output, dtype, "eval output");
  expectStateDict(m.stateDict(), run.finalStateDict, dtype, "final state dict");
}

describe("fixtures/layers_more.json: functional cases (PyTorch 1.13)", () => {
  it("has every case in both dtypes", () => {
    expect(fixture.cases.filter((c) => c.dtype === "float64").length).toBe(48);
    expect(fixture.cases.length).toBe(96);
  });
  for (const c of fixture.cases) it(`${c.name} (${c.dtype}): ${c.ts}`, () => runCase(c));
});

describe("fixtures/layers_more.json: layers trained from torch's state dicts", () => {
  it("has every layer in both dtypes", () => expect(fixture.layers.length).toBe(54));
  for (const run of fixture.layers) it(`${run.name} (${run.dtype}): ${run.ts}`, () => runLayer(run));
});

describe("reprs and state-dict keys, as torch's", () => {
  const cases: Record<string, () => Module> = {
    BatchNorm1d: () => new nn.BatchNorm1d(3),
    BatchNorm1dOptions: () => new nn.BatchNorm1d(5, { eps: 1e-3, momentum: null, affine: false, trackRunningStats: false }),
    BatchNorm2d: () => new nn.BatchNorm2d(16, { momentum: 0.01 }),
    BatchNorm3d: () => new nn.BatchNorm3d(4),
    GroupNorm: () => new nn.GroupNorm(2, 4),
    GroupNormOptions: () => new nn.GroupNorm(1, 3, { eps: 1e-6, affine: false }),
    LeakyReLU: () => new nn.LeakyReLU(),
    LeakyReLU02: () => new nn.LeakyReLU(0.2),
    ELU: () => new nn.ELU(),
    SiLU: () => new nn.SiLU(),
    Softplus: () => new nn.Softplus(),
    Softplus05: () => new nn.Softplus(0.5, 10),
    Mish: () => new nn.Mish(),
    Hardtanh: () => new nn.Hardtanh(),
    Hardtanh2: () => new nn.Hardtanh(-2, 2.5),
    Softmax: () => new nn.Softmax(1),
    SoftmaxNone: () => new nn.Softmax(),
    LogSoftmax: () => new nn.LogSoftmax(-1),
    Identity: () => new nn.Identity(),
    Dropout2d: () => new nn.Dropout2d(0.3),
    Losses: () => new nn.Sequential(new nn.L1Loss(), new nn.SmoothL1Loss(), new nn.HuberLoss(), new nn.BCELoss(), new nn.KLDivLoss()),
    ModuleDict: () => new nn.ModuleDict({ conv: new nn.Identity(), act: new nn.LeakyReLU(0.1), bn: new nn.BatchNorm1d(4) }),
    ParameterList: () => new nn.ParameterList([T.ones([3, 4]), T.zeros([5])]),
    ParameterList1: () => new nn.ParameterList([T.ones([2], { dtype: "float64" })]),
  };
  it("covers every recorded repr", () => expect(Object.keys(cases).sort()).toEqual(Object.keys(fixture.reprs).sort()));
  for (const [name, make] of Object.entries(cases)) it(name, () => expect(make().toString()).toBe(fixture.reprs[name]));

  it("ModuleDict keeps insertion order (numeric-looking keys too); ParameterList names 0, 1", () => {
    const md = new nn.ModuleDict([["b", new nn.Linear(2, 2)], ["a", new nn.BatchNorm1d(2)], ["0", new nn.Linear(2, 1)]]);
    expect(Object.keys(md.stateDict())).toEqual(fixture.keys.ModuleDict);
    const pl = new nn.ParameterList([T.ones([2]), T.ones([3])]);
    expect(Object.keys(pl.stateDict())).toEqual(fixture.keys.ParameterList);
  });
});

/** torch's message with its spellings made minigrad's: `torch.Size([2, 3])` is `[2, 3]`, `torch.int32` is `int32`. */
function normalized(message: string): string {
  return message.replace(/torch\.Size\((\[[^\]]*\])\)/g, "$1").replace(/torch\.(\w+)/g, "$1");
}

describe("bad input: torch's messages", () => {
  const calls: Record<string, () => unknown> = {
    bn1d_rank: () => new nn.BatchNorm1d(3).forward(T.randn([2, 3, 4, 5])),
    bn2d_rank: () => new nn.BatchNorm2d(3).forward(T.randn([2, 3])),
    bn3d_rank: () => new nn.BatchNorm3d(3).forward(T.randn([2, 3, 4, 4])),
    bn_one_value: () => new nn.BatchNorm1d(3).forward(T.randn([1, 3])),
    bn_channels: () => new nn.BatchNorm1d(3).forward(T.randn([4, 5])),
    gn_divisible: () => new nn.GroupNorm(3, 4),
    gn_input: () => nn.functional.groupNorm(T.randn([2, 3, 4]), 2),
    smooth_l1_beta: () => nn.functional.smoothL1Loss(T.randn([3]), T.randn([3]), { beta: -1 }),
    huber_delta: () => nn.functional.huberLoss(T.randn([3]), T.randn([3]), { delta: 0 }),
    bce_range: () => nn.functional.binaryCrossEntropy(T.tensor([0.5, 1.5]), T.tensor([0, 1])),
    bce_size: () => nn.functional.binaryCrossEntropy(T.rand([2, 3]), T.rand([3])),
    dropout2d_p: () => new nn.Dropout2d(1.5),
    to_int: () => new nn.Linear(2, 2).to("int32"),
    ce_smoothing: () => nn.functional.crossEntropy(T.randn([2, 3]), T.tensor([0, 1], { dtype: "int32" }), { labelSmoothing: 1.5 }),
  };
  for (const [name, call] of Object.entries(calls)) {
    it(`${name}: ${fixture.errors[name]}`, () => {
      expect(call).toThrow(normalized(fixture.errors[name]));
    });
  }
  it("groupNorm of a 1-D input names the rank (torch: a dimension-out-of-range error)", () => {
    expect(() => nn.functional.groupNorm(T.randn([6]), 2)).toThrow("Expected at least 2 dimensions for input tensor but received 1");
  });
});

describe("a torch-written safetensors state dict (fixtures/bn_torch.safetensors)", () => {
  it("loads into the same model, int64 num_batches_tracked included, and gives torch's eval output", () => {
    const { file, input, output, numBatchesTracked } = fixture.safetensors;
    const bytes = new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url))));
    const net = new nn.Sequential(
      new nn.Linear(4, 3), new nn.BatchNorm1d(3, { momentum: 0.3 }), new nn.Mish(), new nn.Linear(3, 2), new nn.GroupNorm(1, 2),
    );
    net.loadStateDict(nn.deserialize(bytes));
    const bn = net[1] as nn.BatchNorm1d;
    expect(bn.numBatchesTracked?.dtype).toBe("int32");
    expect(bn.numBatchesTracked?.item()).toBe(numBatchesTracked);
    net.eval();
    expectClose(noGrad(() => net.forward(fromFixture(input, "float32"))), output, "float32", "eval output");
  });
});
