import { Tensor, defaultGenerator, noGrad, type Generator, type GeneratorState } from "@minigrad/tensor";
import { SafetensorsError } from "./errors";
import { deserialize, safetensorsHeader, serialize } from "./safetensors";

/** Anything with a module's state dict (a `Module`). */
export interface ModuleLike {
  /** Its tensors by torch's keys. */
  stateDict(): Record<string, Tensor>;
  /** Copy tensors in (checked first). */
  loadStateDict(stateDict: Record<string, Tensor>): unknown;
}

/** Anything with a state dict of plain data and tensors (an optimizer, an lr scheduler). */
export interface StatefulLike {
  /** A snapshot of its state: plain data and tensors. */
  stateDict(): object;
  /** Restore a state from `stateDict()` (checked first). */
  loadStateDict(stateDict: object): unknown;
}

/** What a checkpoint holds: `saveCheckpoint`'s and `serializeCheckpoint`'s argument. */
export interface CheckpointState {
  /** The model (a `Module`): its parameters and persistent buffers. */
  model: ModuleLike;
  /** Its optimizer: state (moments, step counts) and param groups. */
  optimizer: StatefulLike;
  /** An lr scheduler of that optimizer, if the run has one. */
  scheduler?: StatefulLike;
  /** The epoch counter of the training loop (an integer), given back by `loadCheckpoint`. */
  epoch?: number;
  /** The step counter (an integer), given back by `loadCheckpoint`. */
  step?: number;
  /** A random generator whose stream the run continues from (`defaultGenerator` for dropout and `randn`). */
  generator?: Generator;
  /** More string pairs for the file's `__metadata__` (keys must not start with `minigrad.`). */
  metadata?: Readonly<Record<string, string>>;
}

/** Where a checkpoint is loaded into: `loadCheckpoint`'s second argument. */
export interface CheckpointTargets {
  /** A model of the saved architecture (loaded first). */
  model: ModuleLike;
  /** An optimizer of the saved kind over that model's parameters, in the same groups. */
  optimizer: StatefulLike;
  /** Required when the checkpoint has a scheduler, refused when it has none. */
  scheduler?: StatefulLike;
  /**
   * Where the saved generator state goes, if the checkpoint has one: `defaultGenerator`
   * unless given; `null` leaves every generator as it is.
   */
  generator?: Generator | null;
}

/** What `loadCheckpoint` gives back besides loading the model, optimizer and scheduler. */
export interface LoadedCheckpoint {
  /** The `epoch` that was saved, if any. */
  epoch: number | undefined;
  /** The `step` that was saved, if any. */
  step: number | undefined;
  /** The generator state that was saved (already set on the target generator), if any. */
  generatorState: GeneratorState | undefined;
  /** The user's metadata pairs (those not starting with `minigrad.`). */
  metadata: Record<string, string>;
}

/** The metadata key of the checkpoint's JSON (the non-tensor state). */
const KEY = "minigrad.checkpoint";
const VERSION = 1;
const TENSOR = "$tensor";
const NUMBER = "$number";

function fail(message: string): never {
  throw new SafetensorsError("INVALID_ARGUMENT", message);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Plain data with tensors moved out into `tensors` under `prefix.path` and special numbers tagged. */
function encode(value: unknown, path: string, tensors: Map<string, Tensor>): unknown {
  if (value instanceof Tensor) {
    let key = path;
    for (let i = 1; tensors.has(key); i++) key = `${path}#${i}`;
    tensors.set(key, value);
    return { [TENSOR]: key };
  }
  if (typeof value === "number") {
    if (Number.isNaN(value)) return { [NUMBER]: "NaN" };
    if (!Number.isFinite(value)) return { [NUMBER]: value > 0 ? "Infinity" : "-Infinity" };
    return Object.is(value, -0) ? { [NUMBER]: "-0" } : value;
  }
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map((v, i) => encode(v, `${path}.${i}`, tensors));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === TENSOR || k === NUMBER) fail(`saveCheckpoint: ${path} uses the reserved key ${k}`);
      if (v !== undefined) out[k] = encode(v, `${path}.${k}`, tensors);
    }
    return out;
  }
  return fail(`saveCheckpoint: cannot save ${path}, a ${typeof value} (${Object.prototype.toString.call(value)})`);
}

const SPECIALS: ReadonlyMap<unknown, number> = new Map([["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity], ["-0", -0]]);

function decode(value: unknown, path: string, tensors: Record<string, Tensor>): unknown {
  if (Array.isArray(value)) return value.map((v, i) => decode(v, `${path}[${i}]`, tensors));
  if (typeof value !== "object" || value === null) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0] === TENSOR) {
    const key = obj[TENSOR];
    if (typeof key !== "string" || !Object.hasOwn(tensors, key)) fail(`loadCheckpoint: ${path} refers to a tensor ${JSON.stringify(key)} the file does not hold`);
    return tensors[key as string];
  }
  if (keys.length === 1 && keys[0] === NUMBER) {
    const x = SPECIALS.get(obj[NUMBER]);
    if (x === undefined) fail(`loadCheckpoint: ${path} is not a number: ${JSON.stringify(obj)}`);
    return x;
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    // JSON.parse makes "__proto__" an own key; assigning it would replace out's prototype.
    if (k === "__proto__") fail(`loadCheckpoint: ${path} has a key "__proto__" (it would replace a prototype)`);
    out[k] = decode(obj[k], `${path}.${k}`, tensors);
  }
  return out;
}

function counter(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value)) fail(`saveCheckpoint: ${name} must be an integer, got ${String(value)}`);
  return value;
}

/**
 * A whole training state as the bytes of one safetensors file (browser-safe): the model's
 * tensors under `model.<key>`, the optimizer's and scheduler's under their paths
 * (`optimizer.state.0.expAvg`), every tensor bit for bit in its own dtype; the rest (their
 * plain data, the counters, the generator's state) as JSON in the metadata entry
 * `minigrad.checkpoint`. `saveCheckpoint` writes it to a file atomically.
 */
export function serializeCheckpoint(state: CheckpointState): Uint8Array {
  const { model, optimizer, scheduler, generator, metadata = {} } = state;
  if (typeof model?.stateDict !== "function") fail("saveCheckpoint: model must have stateDict() (a Module)");
  if (typeof optimizer?.stateDict !== "function") fail("saveCheckpoint: optimizer must have stateDict()");
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of Object.entries(model.stateDict())) tensors.set(`model.${k}`, t);
  const info = {
    version: VERSION,
    optimizer: encode(optimizer.stateDict(), "optimizer", tensors),
    scheduler: scheduler === undefined ? null : encode(scheduler.stateDict(), "scheduler", tensors),
    epoch: counter("epoch", state.epoch) ?? null,
    step: counter("step", state.step) ?? null,
    generator: generator === undefined ? null : generator.getState(),
  };
  for (const k of Object.keys(metadata)) if (k.startsWith("minigrad.")) fail(`saveCheckpoint: metadata key ${JSON.stringify(k)} is reserved`);
  return serialize(tensors, { metadata: { ...metadata, [KEY]: JSON.stringify(info) } });
}

/** Read the state the checkpoint bytes hold and check its shape, before anything is loaded. */
function readCheckpoint(bytes: Uint8Array) {
  const header = safetensorsHeader(bytes);
  const json = header.metadata[KEY];
  if (json === undefined) fail(`loadCheckpoint: not a minigrad checkpoint (its metadata has no "${KEY}")`);
  let info: unknown;
  try {
    info = JSON.parse(json);
  } catch (e) {
    fail(`loadCheckpoint: its "${KEY}" metadata is not JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(info) || info.version !== VERSION) {
    fail(`loadCheckpoint: "${KEY}" is not a version ${VERSION} checkpoint description`);
  }
  const tensors = deserialize(bytes);
  const model: Record<string, Tensor> = Object.create(null);
  for (const [k, t] of Object.entries(tensors)) if (k.startsWith("model.")) model[k.slice(6)] = t;
  const optimizer = decode(info.optimizer, "optimizer", tensors);
  const scheduler = info.scheduler === null ? undefined : decode(info.scheduler, "scheduler", tensors);
  if (!isPlainObject(optimizer)) fail("loadCheckpoint: the optimizer's state is missing");
  if (scheduler !== undefined && !isPlainObject(scheduler)) fail("loadCheckpoint: the scheduler's state is not an object");
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(header.metadata)) if (!k.startsWith("minigrad.") && k !== "__proto__") metadata[k] = v;
  const count = (v: unknown, name: string) => {
    if (v === null || v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isSafeInteger(v)) fail(`loadCheckpoint: ${name} is not an integer: ${JSON.stringify(v)}`);
    return v;
  };
  const generatorState = info.generator === null || info.generator === undefined ? undefined : (info.generator as GeneratorState);
  return { model, optimizer, scheduler, generatorState, metadata, epoch: count(info.epoch, "epoch"), step: count(info.step, "step") };
}

/**
 * Load checkpoint bytes (from `serializeCheckpoint`) into a model, optimizer and scheduler
 * built as the saved ones were, in that order, and set the generator's state. Everything is
 * read and checked first; if a load throws, what was already loaded is put back, so a
 * checkpoint that does not fit changes nothing.
 */
export function deserializeCheckpoint(bytes: Uint8Array, targets: CheckpointTargets): LoadedCheckpoint {
  const { model, optimizer, scheduler } = targets;
  const saved = readCheckpoint(bytes);
  if (saved.scheduler !== undefined && scheduler === undefined) fail("loadCheckpoint: the checkpoint has a scheduler's state; pass the scheduler to load it into");
  if (saved.scheduler === undefined && scheduler !== undefined) fail("loadCheckpoint: a scheduler was given but the checkpoint has no scheduler state");
  const generator = saved.generatorState === undefined ? null : targets.generator === undefined ? defaultGenerator : targets.generator;
  // What to put back if a later load throws.
  const before = {
    model: noGrad(() => Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.clone()]))),
    optimizer: optimizer.stateDict(),
    scheduler: scheduler?.stateDict(),
    generator: generator?.getState(),
  };
  let stage = 0;
  try {
    model.loadStateDict(saved.model);
    stage = 1;
    optimizer.loadStateDict(saved.optimizer);
    stage = 2;
    if (scheduler !== undefined) scheduler.loadStateDict(saved.scheduler as object);
    stage = 3;
    if (generator !== null) generator.setState(saved.generatorState as GeneratorState);
  } catch (e) {
    if (stage >= 1) model.loadStateDict(before.model);
    if (stage >= 2) optimizer.loadStateDict(before.optimizer);
    if (stage >= 3 && scheduler !== undefined) scheduler.loadStateDict(before.scheduler as object);
    throw e;
  }
  return { epoch: saved.epoch, step: saved.step, generatorState: saved.generatorState, metadata: saved.metadata };
}
