import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { manualSeed, randint, randn, type Tensor } from "@minigrad/tensor";
import { functional as F, type Module, type Sequential } from "@minigrad/nn";
import { readSafetensorsHeader } from "@minigrad/nn/node";
import type { Adam } from "@minigrad/optim";
import { elementBits } from "./helpers/safetensors";

/** The root README's safetensors and checkpoint snippet, run as written. */
const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");
const section = readme.split(/^## /m).find((s) => s.startsWith("Saving and loading\n")) ?? "";
const code = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((c) => c.includes("saveCheckpoint("));
const tmp = mkdtempSync(join(tmpdir(), "minigrad-readme-st-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const allBits = (m: Module) => Object.entries(m.stateDict()).map(([k, t]) => [k, elementBits(t as Tensor)]);

describe("README: Saving and loading (safetensors and checkpoints)", () => {
  it("saves weights and a checkpoint; both load, and the resumed run continues exactly", async () => {
    expect(code, 'README.md has a ts block with saveCheckpoint under "## Saving and loading"').toBeDefined();
    const file = join(tmp, "snippet.ts");
    writeFileSync(file, `${code}\nexport { dir, model, optimizer, inference, resumed, resumedOptimizer, step };\n`);
    const ran = (await import(/* @vite-ignore */ file)) as {
      dir: string; model: Sequential; optimizer: Adam; inference: Sequential; resumed: Sequential; resumedOptimizer: Adam; step: number;
    };
    try {
      expect(ran.step).toBe(3);
      expect(allBits(ran.inference)).toEqual(allBits(ran.model));
      expect(allBits(ran.resumed)).toEqual(allBits(ran.model));
      expect((await readSafetensorsHeader(join(ran.dir, "model.safetensors"))).metadata.epoch).toBe("3");
      // One more step each, from the same generator state: still the same bits.
      for (const [m, o] of [[ran.model, ran.optimizer], [ran.resumed, ran.resumedOptimizer]] as const) {
        manualSeed(11);
        o.zeroGrad();
        F.crossEntropy(m.forward(randn([32, 64])), randint(0, 10, [32])).backward();
        o.step();
      }
      expect(allBits(ran.resumed)).toEqual(allBits(ran.model));
    } finally {
      rmSync(ran.dir, { recursive: true, force: true });
    }
  });
});
