import { describe, expect, it } from "vitest";
import { tensor } from "@minigrad/tensor";
import {
  BCEWithLogitsLoss, CrossEntropyLoss, Dropout, Embedding, Flatten, GELU, LayerNorm, Linear, MSELoss, Module,
  ModuleList, NLLLoss, Parameter, ReLU, Sequential, Sigmoid, Tanh,
} from "@minigrad/nn";
import { loadFixture } from "./helpers/cases";

/** toString() against torch 1.13's repr of the same modules (fixtures/gen_nn.py). */
const reprs = loadFixture<{ reprs: Record<string, string> }>("nn.json").reprs;

class MLP extends Module {
  fc1 = new Linear(64, 128);
  fc2 = new Linear(128, 10);
}

class Block extends Module {
  norm = new LayerNorm(8);
  drop = new Dropout(0.1);
  layers = new ModuleList([new Linear(8, 8, { bias: false }), new GELU({ approximate: "tanh" })]);
  head = new Sequential(new Flatten(), new Linear(8, 2), new Sigmoid());
}

const modules: Record<string, () => { toString(): string }> = {
  MLP: () => new MLP(),
  Block: () => new Block(),
  Sequential: () => new Sequential(new Linear(6, 16), new ReLU(), new Linear(16, 4), new Tanh()),
  Embedding: () => new Embedding(10, 3),
  EmbeddingPadding: () => new Embedding(10, 3, { paddingIdx: 0 }),
  LayerNorm: () => new LayerNorm([2, 3], { eps: 1e-6, elementwiseAffine: false }),
  GELU: () => new GELU(),
  Dropout: () => new Dropout(),
  Flatten: () => new Flatten(0, 2),
  Losses: () => new Sequential(new MSELoss(), new CrossEntropyLoss(), new BCEWithLogitsLoss(), new NLLLoss()),
  Empty: () => new Sequential(),
  Parameter: () => new Parameter(tensor([1, 2.5])),
};

describe("toString prints the module tree as torch does", () => {
  it("has a TypeScript twin for every torch repr in the fixture", () => {
    expect(Object.keys(modules).sort()).toEqual(Object.keys(reprs).sort());
  });
  for (const [name, make] of Object.entries(modules)) {
    it(name, () => expect(make().toString()).toBe(reprs[name]));
  }
});
