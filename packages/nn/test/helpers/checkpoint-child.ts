/**
 * The child processes of checkpoint-process.test.ts (bundled once by the test, then run with
 * plain node):
 *
 *   kill-loop PATH   resume from PATH if it exists, then forever: one Adam step, every
 *                    weight set to the step number, saveCheckpoint(PATH), print the step
 *   resume PATH N OUT   load the checkpoint at PATH, train N steps, save the parameters to OUT
 */
import { existsSync } from "node:fs";
import { defaultGenerator, noGrad, ones, setMatmulThreads } from "@minigrad/tensor";
import { loadCheckpoint, saveCheckpoint, saveSafetensors } from "@minigrad/nn/node";
import { killLoopModel, makeRun, trainSteps } from "./checkpoint-train";

setMatmulThreads(1);
// A loop whose parent is gone (its stdout pipe closed) or that ran far too long stops by itself.
process.stdout.on("error", () => process.exit(2));
setTimeout(() => process.exit(3), 120_000).unref();
const [mode, path, ...rest] = process.argv.slice(2);

async function killLoop(): Promise<void> {
  const { model, optimizer } = killLoopModel();
  let step = 0;
  if (existsSync(path)) step = (await loadCheckpoint(path, { model, optimizer })).step ?? 0;
  const params = [...model.parameters()];
  for (;;) {
    step++;
    for (const p of params) p.grad = ones(p.shape);
    optimizer.step();
    noGrad(() => params.forEach((p) => p.fill_(step)));
    await saveCheckpoint(path, { model, optimizer, step, generator: defaultGenerator });
    process.stdout.write(`saved ${step}\n`);
  }
}

async function resume(): Promise<void> {
  const run = makeRun();
  const loaded = await loadCheckpoint(path, run);
  trainSteps(run, Number(rest[0]));
  await saveSafetensors(rest[1], run.model.stateDict(), { metadata: { resumedFrom: String(loaded.step) } });
}

if (mode === "kill-loop") await killLoop();
else if (mode === "resume") await resume();
else throw new Error(`unknown mode ${mode}`);
