import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { Tensor, randn } from "@minigrad/tensor";
import type { Module } from "@minigrad/nn";
import type { RMSprop } from "@minigrad/optim";
import { bits } from "./helpers/models";

/** The root README's "Saving and loading" snippet, run exactly as written (issue 19). */

const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");

function snippet(): string {
  const section = readme.split(/^## /m).find((s) => s.startsWith("Saving and loading\n"));
  // The section's JSON snippet (the safetensors one comes first).
  const code = [...(section ?? "").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((c) => c.includes("stateDictToJSON("));
  if (code === undefined) throw new Error('README.md has no ts block under "## Saving and loading"');
  return code;
}

interface Ran {
  model: Module;
  optimizer: RMSprop;
  restored: Module;
  restoredOptimizer: RMSprop;
  json: string;
}

const dir = mkdtempSync(join(tmpdir(), "minigrad-readme-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Write the snippet as a module (plus one export line) and import it: vitest resolves @minigrad/* to the sources. */
async function runSnippet(): Promise<Ran> {
  const file = join(dir, "saving.ts");
  writeFileSync(file, `${snippet()}\nexport { model, optimizer, restored, restoredOptimizer, json };\n`);
  return (await import(/* @vite-ignore */ file)) as Ran;
}

const allBits = (m: Module) => Object.entries(m.stateDict()).map(([k, t]) => [k, bits(t)]);

function sameState(a: RMSprop, b: RMSprop): void {
  const [sa, sb] = [a.stateDict(), b.stateDict()];
  expect(sb.paramGroups).toEqual(sa.paramGroups);
  expect(Object.keys(sb.state)).toEqual(Object.keys(sa.state));
  for (const [id, entry] of Object.entries(sa.state)) {
    for (const [key, value] of Object.entries(entry)) {
      const other = sb.state[Number(id)][key];
      if (value instanceof Tensor) expect(bits(other as Tensor), `${id}.${key}`).toEqual(bits(value));
      else expect(other, `${id}.${key}`).toEqual(value);
    }
  }
}

describe("README: Saving and loading", () => {
  it("the snippet saves a model and an optimizer to JSON and restores both exactly", async () => {
    const { model, optimizer, restored, restoredOptimizer, json } = await runSnippet();
    expect(JSON.parse(json)).toHaveProperty(["model", "0.weight", "$tensor", "dtype"], "float32");
    expect(allBits(restored)).toEqual(allBits(model));
    expect(restoredOptimizer.state.size).toBe(4);
    sameState(optimizer, restoredOptimizer);
    // The restored pair continues training exactly as the original does.
    for (const [p, q] of [...model.parameters()].map((p, i) => [p, [...restored.parameters()][i]])) {
      p.grad = randn(p.shape as number[]);
      q.grad = p.grad.clone();
    }
    optimizer.step();
    restoredOptimizer.step();
    expect(allBits(restored)).toEqual(allBits(model));
  });
});
