import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Generator, Tensor, defaultGenerator, manualSeed, randn, tensor } from "@minigrad/tensor";
import { Linear, SafetensorsError, deserializeCheckpoint, safetensorsHeader, serialize, serializeCheckpoint } from "@minigrad/nn";
import { loadCheckpoint, loadCheckpointSync, saveCheckpoint, saveCheckpointSync } from "@minigrad/nn/node";
import { Adam, SGD, lrScheduler } from "@minigrad/optim";
import { makeRun, trainSteps } from "./helpers/checkpoint-train";
import { elementBits, sameTensor } from "./helpers/safetensors";

const dir = mkdtempSync(join(tmpdir(), "minigrad-checkpoint-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

const paramBits = (run: { model: { stateDict(): Record<string, import("@minigrad/tensor").Tensor> } }) =>
  Object.entries(run.model.stateDict()).map(([k, t]) => [k, elementBits(t)]);

describe("saveCheckpoint / loadCheckpoint", () => {
  it("restore model, optimizer, scheduler, counters and generator: the run continues bit for bit", async () => {
    manualSeed(5);
    const run = makeRun();
    trainSteps(run, 4);
    const path = join(dir, "run.ckpt");
    await saveCheckpoint(path, { ...run, epoch: 2, step: 4, generator: defaultGenerator, metadata: { note: "hi" } });
    trainSteps(run, 3);
    const straight = paramBits(run);

    manualSeed(99); // a different stream, model init and lr: all replaced by the checkpoint
    const other = makeRun();
    const loaded = await loadCheckpoint(path, other);
    expect(loaded).toMatchObject({ epoch: 2, step: 4, metadata: { note: "hi" } });
    expect(loaded.generatorState?.seed).toBe(5);
    expect(other.scheduler.lastEpoch).toBe(4);
    trainSteps(other, 3);
    expect(paramBits(other)).toEqual(straight);
  });

  it("have synchronous twins for loops that do not await: the same bytes, the same atomic write", async () => {
    manualSeed(1);
    const run = makeRun();
    trainSteps(run, 2);
    const [a, b] = [join(dir, "a.ckpt"), join(dir, "b.ckpt")];
    const stale = `.b.ckpt.999999999.0123456789ab.tmp`; // a pid no process has
    writeFileSync(join(dir, stale), "partial");
    await saveCheckpoint(a, { ...run, epoch: 1, generator: defaultGenerator });
    saveCheckpointSync(b, { ...run, epoch: 1, generator: defaultGenerator });
    expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const other = makeRun();
    expect(loadCheckpointSync(b, other).epoch).toBe(1);
    expect(paramBits(other)).toEqual(paramBits(run));
  });

  it("stores tensors bit for bit under readable keys, the rest as JSON metadata (Infinity, -0 and NaN kept)", () => {
    const model = new Linear(3, 2);
    const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const scheduler = new lrScheduler.ReduceLROnPlateau(optimizer, {});
    model.weight.grad = randn([2, 3]);
    (model.bias as Tensor).grad = tensor([NaN, -0]);
    optimizer.step();
    const bytes = serializeCheckpoint({ model, optimizer, scheduler });
    const header = safetensorsHeader(bytes);
    expect([...header.tensors.keys()]).toEqual(["model.weight", "model.bias", "optimizer.state.0.momentumBuffer", "optimizer.state.1.momentumBuffer"]);
    expect(JSON.parse(header.metadata["minigrad.checkpoint"]).scheduler.best).toEqual({ $number: "Infinity" });
    const model2 = new Linear(3, 2);
    const optimizer2 = new SGD(model2.parameters(), { lr: 0.5 });
    const scheduler2 = new lrScheduler.ReduceLROnPlateau(optimizer2, {});
    const loaded = deserializeCheckpoint(bytes, { model: model2, optimizer: optimizer2, scheduler: scheduler2 });
    expect(loaded).toEqual({ epoch: undefined, step: undefined, generatorState: undefined, metadata: {} });
    sameTensor(model2.weight, model.weight, "weight");
    const buffer = (o: SGD, i: number) => o.stateDict().state[i].momentumBuffer as import("@minigrad/tensor").Tensor;
    sameTensor(buffer(optimizer2, 1), buffer(optimizer, 1), "momentum buffer with NaN and -0");
    expect(scheduler2.stateDict()).toEqual(scheduler.stateDict());
    expect(optimizer2.paramGroups[0].lr).toBe(0.1);
  });

  it("sets the generator given (or none with null) and leaves the default one alone then", () => {
    const model = new Linear(2, 2);
    const optimizer = new Adam(model.parameters());
    const g = new Generator(3);
    g.nextUint32();
    const bytes = serializeCheckpoint({ model, optimizer, generator: g });
    const target = new Generator(0);
    const before = defaultGenerator.getState();
    deserializeCheckpoint(bytes, { model, optimizer, generator: target });
    expect(target.getState()).toEqual(g.getState());
    expect(defaultGenerator.getState()).toEqual(before);
    const untouched = new Generator(0);
    deserializeCheckpoint(bytes, { model, optimizer, generator: null });
    expect(defaultGenerator.getState()).toEqual(before);
    expect(untouched.getState()).toEqual(new Generator(0).getState());
  });

  it("a checkpoint that does not fit throws and changes nothing (the model is put back)", () => {
    const model = new Linear(3, 2);
    const optimizer = new Adam(model.parameters());
    model.weight.grad = randn([2, 3]);
    (model.bias as Tensor).grad = randn([2]);
    optimizer.step();
    const bytes = serializeCheckpoint({ model, optimizer });
    const target = new Linear(3, 2);
    const wrong = new Adam([target.weight]); // one group of 1 parameter, the checkpoint has 2
    const before = paramBits({ model: target });
    expect(() => deserializeCheckpoint(bytes, { model: target, optimizer: wrong })).toThrow(/doesn't match the size of optimizer's group/);
    expect(paramBits({ model: target })).toEqual(before);
    expect(() => deserializeCheckpoint(bytes, { model: new Linear(3, 3), optimizer: new Adam(new Linear(3, 3).parameters()) })).toThrow(/size mismatch for weight/);
  });

  it("refuses what is not a checkpoint, or does not match its targets, with a clear message", () => {
    const model = new Linear(2, 2);
    const optimizer = new Adam(model.parameters());
    const scheduler = new lrScheduler.StepLR(optimizer, { stepSize: 1 });
    const plain = serializeCheckpoint({ model, optimizer });
    const withScheduler = serializeCheckpoint({ model, optimizer, scheduler });
    const cases: [() => unknown, RegExp][] = [
      [() => deserializeCheckpoint(serialize({ w: tensor([1]) }), { model, optimizer }), /not a minigrad checkpoint \(its metadata has no "minigrad.checkpoint"\)/],
      [() => deserializeCheckpoint(new Uint8Array(plain.length), { model, optimizer }), /^safetensors header is not valid JSON/],
      [() => deserializeCheckpoint(withScheduler, { model, optimizer }), /has a scheduler's state; pass the scheduler/],
      [() => deserializeCheckpoint(plain, { model, optimizer, scheduler }), /a scheduler was given but the checkpoint has no scheduler state/],
      [() => serializeCheckpoint({ model, optimizer, step: 1.5 }), /step must be an integer, got 1.5/],
      [() => serializeCheckpoint({ model, optimizer, metadata: { "minigrad.x": "" } }), /metadata key "minigrad.x" is reserved/],
    ];
    for (const [fn, message] of cases) {
      expect(fn).toThrow(SafetensorsError);
      expect(fn).toThrow(message);
    }
  });

  it("refuses a __proto__ key in the checkpoint's JSON instead of changing a prototype", () => {
    const model = new Linear(1, 1);
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    const bytes = serializeCheckpoint({ model, optimizer });
    // Rewrite the checkpoint's JSON with a "__proto__" key, and the file around it.
    const n = new DataView(bytes.buffer).getUint32(0, true);
    const json = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    const info = JSON.parse(json.__metadata__["minigrad.checkpoint"]);
    info.optimizer.state = JSON.parse('{"__proto__":{"polluted":true}}');
    json.__metadata__["minigrad.checkpoint"] = JSON.stringify(info);
    const header = new TextEncoder().encode(JSON.stringify(json));
    const file = new Uint8Array(8 + header.length + bytes.length - 8 - n);
    new DataView(file.buffer).setUint32(0, header.length, true);
    file.set(header, 8);
    file.set(bytes.subarray(8 + n), 8 + header.length);
    expect(() => deserializeCheckpoint(file, { model, optimizer })).toThrow(/optimizer.state has a key "__proto__"/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
