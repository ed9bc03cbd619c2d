import { ArgumentError } from "./errors";
import { arena } from "./kernels/wasm/arena";

/**
 * Tensor lifetimes. JavaScript frees memory when the garbage collector finds it unreachable,
 * which is enough for correctness but not for speed: large storage lives in the wasm arena
 * (kernels/wasm/arena.ts), and the collector only returns arena blocks between tasks. Code
 * that makes many large tensors in one synchronous loop can say when they are dead instead:
 *
 *   tensor.dispose()        this tensor is not used again
 *   tidy(() => { ... })     every tensor made inside is disposed at the end, except the ones
 *                           returned and the ones `keep` marks (parameters, `.grad`s and
 *                           optimizer state are marked already)
 *
 * The same contract as TensorFlow.js's dispose/tidy. Using a disposed tensor throws. Storage
 * shared by views is freed when its last tensor is disposed (or collected).
 */

/** What a tidy scope tracks: Tensor, seen through the members used here (no import cycle). */
export interface Tracked {
  dispose(): void;
  /** @internal set by `keep`: never disposed by a tidy scope */
  _kept: boolean;
  /** @internal the arena block of its storage, if any */
  readonly _block: object | null;
  /** @internal hand its arena block (if any) to the garbage collector: it outlives its scope */
  _watchBlock(): void;
}

/** A tidy scope, or the backward pass's (`arenaOnly`: it tracks only tensors in the arena). */
interface Scope {
  readonly tensors: Set<Tracked>;
  readonly arenaOnly: boolean;
}

const scopes: Scope[] = [];

/** @internal Called by every new Tensor: the innermost scope (if any) tracks it. */
export function track(t: Tracked): void {
  const n = scopes.length;
  if (n === 0) return;
  const scope = scopes[n - 1];
  if (!scope.arenaOnly || t._block !== null) scope.tensors.add(t);
}

/**
 * @internal Run `fn` (the backward pass, autograd/engine.ts) so that mid-sized tensors it
 * makes come from the arena, and those in the arena are disposed at the end unless kept
 * (the `.grad`s it fills). Unlike tidy, the rest are left to the garbage collector: marking
 * thousands of tiny gradients disposed would cost more than it returns.
 */
export function arenaScope(fn: () => void): void {
  const scope: Scope = { tensors: new Set(), arenaOnly: true };
  scopes.push(scope);
  try {
    fn();
  } finally {
    scopes.pop();
    for (const t of scope.tensors) {
      if (t._kept) t._watchBlock();
      else t.dispose();
    }
  }
}

/** @internal How many tidy scopes are open (dtype.ts gives arena storage to mid-sized tensors inside one). */
export function tidyDepth(): number {
  return scopes.length;
}

/** Exempt `t` from every tidy scope (it can still be disposed explicitly). Returns `t`. */
export function keep<T extends Tracked>(t: T): T {
  t._kept = true;
  return t;
}

/**
 * Run `fn` and dispose every tensor it made, except those in its result (a tensor, or arrays
 * and plain objects holding tensors) and those marked by `keep`. Returned tensors move to the
 * enclosing scope, if any. `fn` must be synchronous: a tensor made after an await would
 * escape the scope. Backward belongs inside the same tidy as its forward: the graph's saved
 * tensors are disposed with the rest.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== "function") throw new ArgumentError(`tidy: expected a function, got ${typeof fn}`);
  const scope = new Set<Tracked>();
  scopes.push({ tensors: scope, arenaOnly: false });
  let result: T | undefined;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new ArgumentError("tidy: the function returned a Promise; tidy takes synchronous functions only");
    }
    return result;
  } finally {
    scopes.pop();
    const escaped = new Set<Tracked>();
    collect(result, scope, escaped, new Set());
    const outer = scopes.length > 0 ? scopes[scopes.length - 1].tensors : null;
    for (const t of scope) {
      if (escaped.has(t) && outer !== null) outer.add(t); // the outer scope decides
      else if (escaped.has(t) || t._kept) t._watchBlock();
      else t.dispose();
    }
  }
}

/** The tracked tensors reachable from `value` through arrays and plain objects. */
function collect(value: unknown, scope: Set<Tracked>, into: Set<Tracked>, seen: Set<object>): void {
  if (typeof value !== "object" || value === null || seen.has(value)) return;
  seen.add(value);
  if (scope.has(value as Tracked)) {
    into.add(value as Tracked);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, scope, into, seen);
    return;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto === Object.prototype || proto === null) {
    for (const v of Object.values(value)) collect(v, scope, into, seen);
  }
}

/**
 * The arena's figures: bytes held by live tensors, bytes handed out so far (the memory never
 * shrinks below that) and the limit; all 0 where there is no arena.
 */
export function memoryStats(): { arena: boolean; inUseBytes: number; reservedBytes: number; limitBytes: number } {
  const a = arena();
  if (a === null) return { arena: false, inUseBytes: 0, reservedBytes: 0, limitBytes: 0 };
  return { arena: true, ...a.stats() };
}

/**
 * How many bytes the arena may grow to (default 256 MiB, at most 1 GiB). Past it, new large
 * tensors get ordinary typed arrays (slower kernels, same results). 0 stops its growth.
 */
export function setArenaLimit(bytes: number): void {
  if (!(bytes >= 0)) throw new ArgumentError(`setArenaLimit: expected a byte count >= 0, got ${bytes}`);
  arena()?.setLimit(bytes);
}
