// Every schedule recorded from torch 1.13 by fixtures/gen_schedulers.py: the lr (and
// momentum or beta1) of every group after construction and after every step, getLastLr,
// the final state dict, the keys schedulers add to the groups, a state-dict round trip
// mid-run, and the construction errors (torch's message with minigrad's names).
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Optimizer, RMSprop, lrScheduler, type Params } from "@minigrad/optim";
import { zeros } from "@minigrad/tensor";

type Json = number | string | boolean | null | Json[] | { [key: string]: Json };
type Spec = { type: string; options?: Record<string, Json>; schedulers?: Spec[] };
interface GroupRecord {
  lr: number[];
  momentum?: number[];
  beta1?: number[];
}
interface Case {
  name: string;
  groups: Record<string, number>[];
  optimizer?: "rmsprop" | "adam";
  scheduler: Spec;
  steps?: number;
  epochs?: number[];
  metrics?: number[];
  resumeAt?: number;
  trace: GroupRecord[];
  lastLr: (number[] | null)[];
  stateDict: Record<string, Json>;
  groupKeys: string[][];
  resumedTrace?: GroupRecord[];
}
interface ErrorCase {
  name: string;
  groups: Record<string, number>[];
  optimizer: "rmsprop" | "adam";
  scheduler: Spec;
  steps?: number;
  torchType: string;
  torchMessage: string;
  message: string;
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/schedulers.json", import.meta.url), "utf8")) as {
  torch: string;
  cases: Case[];
  errors: ErrorCase[];
};

/** The generator's functions, under the same names. */
const FUNCS: Record<string, (x: number) => number> = {
  pow095: (e) => 0.95 ** e,
  inv: (e) => 1.0 / (e + 1),
  stairs: (e) => Math.floor(e / 30) + 1,
  const09: () => 0.9,
  alt: (e) => (e % 4 === 0 ? 0.5 : 1.0),
  half: (x) => 0.5 ** x,
  decay: (x) => 1 / (1 + 0.01 * x),
};

type AdamLike = { lr: number; betas: [number, number]; eps: number; weightDecay: number; amsgrad: boolean };

/** Stands in for torch's Adam here: schedulers only look at `defaults.betas` and each group's `betas`. */
class BetasOptimizer extends Optimizer<AdamLike> {
  constructor(params: Params<AdamLike>) {
    super(params, { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
  }
  protected update(): void {}
}

type Opt = RMSprop | BetasOptimizer;

function makeOptimizer(kind: string | undefined, groups: Record<string, number>[]): Opt {
  const inputs = groups.map((g) => ({ ...g, params: [zeros([2], { requiresGrad: true })] }));
  return kind === "adam" ? new BetasOptimizer(inputs) : new RMSprop(inputs, { lr: 0.01 });
}

function resolve(value: Json): unknown {
  if (Array.isArray(value)) return value.map(resolve);
  if (typeof value === "object" && value !== null && "$fn" in value) return FUNCS[value.$fn as string];
  return value;
}

type AnyScheduler = lrScheduler.LRScheduler | lrScheduler.ReduceLROnPlateau;

function makeScheduler(opt: Opt, spec: Spec): AnyScheduler {
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec.options ?? {})) options[k] = resolve(v);
  const inner = () => (spec.schedulers ?? []).map((s) => makeScheduler(opt, s) as lrScheduler.LRScheduler);
  const ctors = lrScheduler as unknown as Record<string, new (o: Opt, options: unknown) => AnyScheduler>;
  if (spec.type === "ChainedScheduler") return new lrScheduler.ChainedScheduler(inner());
  if (spec.type === "SequentialLR") {
    return new lrScheduler.SequentialLR(opt, { ...(options as { milestones: number[] }), schedulers: inner() });
  }
  return new ctors[spec.type](opt, options);
}

function record(opt: Opt, kind: string | undefined): GroupRecord {
  const groups = opt.paramGroups;
  const rec: GroupRecord = { lr: groups.map((g) => g.lr as number) };
  if (kind === "adam") rec.beta1 = groups.map((g) => (g.betas as number[])[0]);
  else rec.momentum = groups.map((g) => g.momentum as number);
  return rec;
}

/** Equal within 1e-12 relative (1e-15 absolute near 0): libm's cos and pow may differ from V8's in the last bit. */
function close(got: number, want: number): boolean {
  if (got === want || (Number.isNaN(want) && Number.isNaN(got))) return true;
  return Math.abs(got - want) <= 1e-15 + 1e-12 * Math.abs(want);
}

function expectClose(got: readonly number[], want: readonly number[], what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  got.forEach((g, i) => {
    if (!close(g, want[i])) expect.fail(`${what}[${i}]: got ${g}, torch ${want[i]}`);
  });
}

function expectRecord(got: GroupRecord, want: GroupRecord, what: string): void {
  expectClose(got.lr, want.lr, `${what} lr`);
  if (want.momentum !== undefined && got.momentum !== undefined) expectClose(got.momentum, want.momentum, `${what} momentum`);
  if (want.beta1 !== undefined) expectClose(got.beta1 ?? [], want.beta1, `${what} beta1`);
}

function decode(value: Json): Json {
  if (Array.isArray(value)) return value.map(decode);
  if (typeof value === "object" && value !== null) {
    if ("$number" in value) return Number(value.$number);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

function expectState(got: unknown, want: Json, what: string): void {
  if (typeof want === "number") {
    expect(typeof got, what).toBe("number");
    if (!close(got as number, want)) expect.fail(`${what}: got ${String(got)}, torch ${want}`);
  } else if (Array.isArray(want)) {
    expect(Array.isArray(got), `${what} is an array`).toBe(true);
    expect((got as unknown[]).length, `${what} length`).toBe(want.length);
    want.forEach((w, i) => expectState((got as unknown[])[i], w, `${what}[${i}]`));
  } else if (typeof want === "object" && want !== null) {
    expect(Object.keys(got as object).sort(), `${what} keys`).toEqual(Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) expectState((got as Record<string, unknown>)[k], w, `${what}.${k}`);
  } else {
    expect(got, what).toEqual(want);
  }
}

function stepOnce(s: AnyScheduler, c: Case, i: number): void {
  if (c.metrics !== undefined) (s as lrScheduler.ReduceLROnPlateau).step(c.metrics[i]);
  else if (c.epochs !== undefined) (s as lrScheduler.LRScheduler).step(c.epochs[i]);
  else (s as lrScheduler.LRScheduler).step();
}

const SCHEDULER_KEYS = new Set(["initialLr", "maxLr", "minLr", "maxMomentum", "baseMomentum"]);

beforeEach(() => {
  vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe(`lr schedulers against torch ${fixture.torch}`, () => {
  it("covers every scheduler", () => {
    const types = new Set<string>();
    const walk = (s: Spec) => {
      types.add(s.type);
      (s.schedulers ?? []).forEach(walk);
    };
    fixture.cases.forEach((c) => walk(c.scheduler));
    expect([...types].sort()).toEqual([
      "ChainedScheduler", "ConstantLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR", "ExponentialLR",
      "LambdaLR", "LinearLR", "MultiStepLR", "MultiplicativeLR", "OneCycleLR", "PolynomialLR", "ReduceLROnPlateau",
      "SequentialLR", "StepLR",
    ]);
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const opt = makeOptimizer(c.optimizer, c.groups);
    const sched = makeScheduler(opt, c.scheduler);
    expectRecord(record(opt, c.optimizer), c.trace[0], "after construction");
    if (c.lastLr[0] !== null) expectClose(sched.getLastLr(), c.lastLr[0], "getLastLr after construction");
    const n = c.epochs?.length ?? c.metrics?.length ?? c.steps ?? 0;
    let resumed: { opt: Opt; sched: AnyScheduler; trace: GroupRecord[] } | undefined;
    for (let i = 0; i < n; i++) {
      if (c.resumeAt === i) {
        const opt2 = makeOptimizer(c.optimizer, c.groups);
        const sched2 = makeScheduler(opt2, c.scheduler);
        opt2.loadStateDict(opt.stateDict());
        sched2.loadStateDict(JSON.parse(JSON.stringify(sched.stateDict(), (_k, v) => (v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : v)), (_k, v) => (v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v)));
        resumed = { opt: opt2, sched: sched2, trace: [] };
      }
      opt.step();
      stepOnce(sched, c, i);
      if (resumed !== undefined) {
        resumed.opt.step();
        stepOnce(resumed.sched, c, i);
        resumed.trace.push(record(resumed.opt, c.optimizer));
      }
      expectRecord(record(opt, c.optimizer), c.trace[i + 1], `step ${i + 1}`);
      expectClose(sched.getLastLr(), c.lastLr[i + 1] ?? [], `getLastLr after step ${i + 1}`);
    }
    expectState(sched.stateDict(), decode(c.stateDict), "stateDict");
    const added = opt.paramGroups.map((g) => Object.keys(g).filter((k) => SCHEDULER_KEYS.has(k)).sort());
    expect(added).toEqual(c.groupKeys.map((keys) => keys.filter((k) => SCHEDULER_KEYS.has(k))));
    if (c.resumedTrace !== undefined) {
      expect(resumed?.trace.length).toBe(c.resumedTrace.length);
      c.resumedTrace.forEach((want, i) => expectRecord(resumed!.trace[i], want, `resumed step ${c.resumeAt! + i + 1}`));
    }
    expect(console.warn).not.toHaveBeenCalledWith(expect.stringContaining("before `optimizer.step()`"));
  });

  it.each(fixture.errors.map((e) => [e.name, e] as const))("error: %s", (_name, e) => {
    const opt = makeOptimizer(e.optimizer, e.groups);
    const run = () => {
      const sched = makeScheduler(opt, e.scheduler) as lrScheduler.LRScheduler;
      for (let i = 0; i < (e.steps ?? 0); i++) {
        opt.step();
        sched.step();
      }
    };
    expect(run).toThrow(e.message);
    try {
      run();
    } catch (err) {
      expect((err as Error).message).toBe(e.message);
      expect((err as Error).name).toBe(e.torchType === "TypeError" ? "TypeError" : "OptimizerError");
    }
  });
});
