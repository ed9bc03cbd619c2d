import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Tensor, noGrad, tensor, type DType } from "@minigrad/tensor";
import { Linear, ReLU, Sequential, deserialize, safetensorsHeader, serialize } from "@minigrad/nn";
import { loadCheckpoint, loadSafetensors } from "@minigrad/nn/node";
import { Adam, SGD } from "@minigrad/optim";
import { MINIGRAD_FIXTURE, minigradFixture } from "./fixtures/gen_minigrad_safetensors";
import { elementBits } from "./helpers/safetensors";

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
type Expected = { fileDtype: string; dtype: DType; shape: number[]; values: (number | string)[] };
const torchJson = JSON.parse(readFileSync(fixture("torch_written.json"), "utf8")) as {
  metadata: Record<string, string>;
  tensors: Record<string, Expected>;
  forward: { input: Expected; output: Expected };
};
const SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };
const num = (v: number | string) => (typeof v === "string" ? SPECIAL[v] : v);
const fromExpected = (e: Expected) => tensor(e.values.map(num), { shape: e.shape, dtype: e.dtype });

describe("a safetensors file PyTorch wrote (gen_safetensors.py)", () => {
  const bytes = new Uint8Array(readFileSync(fixture("torch_written.safetensors")));

  it("reads every tensor value by value: F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL, 0-d, empty, a view", () => {
    const sd = deserialize(bytes);
    expect(Object.keys(sd)).toEqual(Object.keys(torchJson.tensors));
    const header = safetensorsHeader(bytes);
    expect({ ...header.metadata }).toEqual(torchJson.metadata);
    for (const [key, want] of Object.entries(torchJson.tensors)) {
      expect(header.tensors.get(key)?.dtype, key).toBe(want.fileDtype);
      const got = sd[key];
      expect([key, got.dtype, got.shape]).toEqual([key, want.dtype, want.shape]);
      const values = Array.from(got.toTypedArray());
      want.values.forEach((v, i) => expect(Object.is(values[i], want.dtype === "float32" ? Math.fround(num(v)) : num(v)), `${key}[${i}]: ${values[i]} vs ${v}`).toBe(true));
    }
  });

  it("loads the MLP's weights (only those, lazily from the file) and computes torch's output", async () => {
    const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
    const keys = Object.keys(model.stateDict());
    model.loadStateDict(await loadSafetensors(fileURLToPath(fixture("torch_written.safetensors")), { keys }));
    const out = noGrad(() => model.forward(fromExpected(torchJson.forward.input)));
    const want = fromExpected(torchJson.forward.output);
    expect(out.shape).toEqual(want.shape);
    expect(out.sub(want).abs().amax().item()).toBeLessThan(1e-6);
  });
});

describe("a safetensors file minigrad wrote, checked by PyTorch (gen_safetensors.py)", () => {
  it("is what serialize writes today, byte for byte (so torch's verdict still holds)", () => {
    const { tensors, options } = minigradFixture();
    expect(Buffer.from(serialize(tensors, options)).equals(readFileSync(MINIGRAD_FIXTURE))).toBe(true);
  });
});

type ResumeCase = { optimizer: string; steps: { grads: number[][]; params: number[][] }[] };
const resume = JSON.parse(readFileSync(fixture("torch_resume.json"), "utf8")) as { cases: Record<string, ResumeCase> };
const fromBits = (words: number[], shape: readonly number[]) => tensor(new Float32Array(new Int32Array(words).buffer), { shape: [...shape] });

describe("training continues from a converted torch checkpoint exactly as torch continued it", () => {
  for (const [name, c] of Object.entries(resume.cases)) {
    it(`${c.optimizer} (convert_torch_checkpoint.py): 3 more steps, every parameter equal to torch's by bits`, async () => {
      const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
      const params = [...model.parameters()];
      // Built with other options: the checkpoint's param groups bring torch's.
      const optimizer = name === "adam" ? new Adam(params) : new SGD(params, { lr: 0.5 });
      const loaded = await loadCheckpoint(fileURLToPath(fixture(`torch_${name}.ckpt.safetensors`)), { model, optimizer, generator: null });
      expect(loaded.step).toBe(3);
      c.steps.forEach((step, k) => {
        params.forEach((p, i) => (p.grad = fromBits(step.grads[i], p.shape)));
        optimizer.step();
        params.forEach((p, i) => expect(elementBits(p as Tensor), `step ${k + 1}, param ${i}`).toEqual(elementBits(fromBits(step.params[i], p.shape))));
      });
    });
  }
});
