import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as T from "@minigrad/tensor";
import { Tensor } from "@minigrad/tensor";
import * as nn from "@minigrad/nn";
import { Module, functional as F } from "@minigrad/nn";
import { expectClose, fromFixture, type FixtureTensor } from "../../tensor/test/helpers/conformance";
import { loadFixture, runCase, type OpCase } from "./helpers/cases";

/**
 * fixtures/conv.json, recorded by fixtures/gen_conv.py from PyTorch 1.13: every functional
 * case (conv1d/2d, convTranspose2d, pools, pad, unfold/fold, interpolate) in float64 (to
 * 1e-10) and float32 (to 1e-5 + 1e-4 |want|), every layer with torch's weights, reprs and
 * state-dict keys, and torch's error messages for bad input.
 */
interface LayerCase {
  name: string;
  ts: string;
  dtype: "float32" | "float64";
  repr: string;
  stateDict: Record<string, FixtureTensor>;
  input: FixtureTensor;
  output: FixtureTensor;
  upstream: FixtureTensor;
  inputGrad: FixtureTensor;
  paramGrads: Record<string, FixtureTensor>;
  indices?: FixtureTensor;
}

interface ErrorCase {
  ts: string;
  message: string;
}

interface SafetensorsCase {
  file: string;
  keys: string[];
  input: FixtureTensor;
  output: FixtureTensor;
}

const fixture = loadFixture<{
  functional: OpCase[]; layers: LayerCase[]; errors: ErrorCase[]; safetensors: SafetensorsCase;
}>("conv.json");

/** The fixtures are code by design (as ops.json's): a constructor or call with nn, F and T bound. */
function evaluate(ts: string): unknown {
  return new Function("nn", "F", "T", `return (${ts});`)(nn, F, T);
}

/** Give the module torch's weights through its state dict (torch's keys), in the case's dtype. */
function loadParameters(m: Module, c: LayerCase): void {
  if (c.dtype === "float64") m.to("float64");
  m.loadStateDict(Object.fromEntries(Object.entries(c.stateDict).map(([k, v]) => [k, fromFixture(v, c.dtype)])));
}

function runLayer(c: LayerCase): void {
  const m = evaluate(c.ts) as Module & { forward(x: Tensor): Tensor | [Tensor, Tensor] };
  expect(m.toString()).toBe(c.repr);
  expect(Object.keys(m.stateDict())).toEqual(Object.keys(c.stateDict));
  loadParameters(m, c);
  const x = fromFixture(c.input, c.dtype, true);
  const result = m.forward(x);
  const y = Array.isArray(result) ? result[0] : result;
  if (c.indices !== undefined) {
    expect(Array.isArray(result)).toBe(true);
    const indices = (result as [Tensor, Tensor])[1];
    expect(indices.dtype).toBe("int32");
    expect(indices.shape).toEqual(c.indices.shape);
    expect(Array.from(indices.toTypedArray())).toEqual(c.indices.data);
  }
  expectClose(y, c.output, c.dtype, "forward");
  y.mul(fromFixture(c.upstream, c.dtype)).sum().backward();
  expectClose(x.grad as Tensor, c.inputGrad, c.dtype, "input grad");
  const params = Object.fromEntries(m.namedParameters());
  expect(Object.keys(params).sort()).toEqual(Object.keys(c.paramGrads).sort());
  for (const [name, want] of Object.entries(c.paramGrads)) expectClose(params[name].grad as Tensor, want, c.dtype, `grad of ${name}`);
}

describe("fixtures/conv.json: functional (PyTorch 1.13)", () => {
  it("has both dtypes of every case", () => {
    expect(fixture.functional.length).toBeGreaterThan(100);
    expect(fixture.functional.filter((c) => c.dtype === "float64").length).toBe(fixture.functional.length / 2);
  });
  for (const c of fixture.functional) it(`${c.name} (${c.dtype}): ${c.ts}`, () => runCase(c));
});

describe("fixtures/conv.json: layers (weights, reprs, state-dict keys, grads)", () => {
  for (const c of fixture.layers) it(`${c.name} (${c.dtype}): ${c.ts}`, () => runLayer(c));

  it("loads torch's state dict by its keys", () => {
    const c = fixture.layers.find((l) => l.name === "Conv2d_options" && l.dtype === "float32") as LayerCase;
    const m = evaluate(c.ts) as nn.Conv2d;
    const sd = Object.fromEntries(Object.entries(c.stateDict).map(([k, v]) => [k, fromFixture(v, "float32")]));
    m.loadStateDict(sd);
    expectClose(m.forward(fromFixture(c.input, "float32")), c.output, "float32", "forward after loadStateDict");
  });
});

describe("fixtures/conv.json: torch's errors for bad input", () => {
  for (const c of fixture.errors) {
    it(`${c.ts} throws: ${c.message}`, () => {
      let message: string | null = null;
      try {
        evaluate(c.ts);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toBe(c.message);
    });
  }
});

describe("a torch-written safetensors state dict (fixtures/conv_torch.safetensors)", () => {
  it("loads into the same CNN under torch's keys and gives torch's output", () => {
    const { file, keys, input, output } = fixture.safetensors;
    const bytes = new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url))));
    const net = new nn.Sequential(
      new nn.Conv2d(2, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(4, 6, 3, { padding: "same", paddingMode: "reflect", groups: 2 }), new nn.ReLU(),
      new nn.ConvTranspose2d(6, 3, 2, { stride: 2 }), new nn.AdaptiveAvgPool2d([2, 3]), new nn.Flatten(), new nn.Linear(18, 5),
    );
    expect(Object.keys(net.stateDict())).toEqual(keys);
    net.loadStateDict(nn.deserialize(bytes));
    expectClose(T.noGrad(() => net.forward(fromFixture(input, "float32"))), output, "float32", "output");
  });
});
