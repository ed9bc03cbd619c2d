import { AutogradError, fmtShape } from "../errors";
import type { Tensor } from "../tensor";

/**
 * Computes the gradients of an op's inputs from the gradient of its output.
 * `saved` holds the tensors the op kept for backward (checked against in-place
 * changes first); `needs[i]` says whether input i wants a gradient, so work for
 * inputs that do not can be skipped (return null for them).
 */
export type BackwardFn = (grad: Tensor, saved: readonly Tensor[], needs: readonly boolean[]) => readonly (Tensor | null)[];

const TWICE = new WeakSet<BackwardFn>();

/**
 * Mark a backward function as differentiable again: written in recorded tensor ops (or, for
 * a fused kernel, with a branch in such ops taken when grad mode is on), so that a backward
 * with `createGraph` records a graph through it. Unmarked ones refuse `createGraph` rather
 * than give a gradient of a gradient that silently misses their terms.
 */
export function twice(fn: BackwardFn): BackwardFn {
  TWICE.add(fn);
  return fn;
}

/** A gradient hook (`Tensor.registerHook`): return nothing to keep the gradient, or a tensor to replace it. */
export type GradHook = (grad: Tensor) => Tensor | void;

/**
 * Shared by every node that saves nothing (add, sub, views...): fewer arrays to allocate per
 * op. Never written: writes to savedOwners go by the index of a saved tensor.
 */
const NOTHING: readonly never[] = [];
const NO_OWNERS: (string | null)[] = [];

/**
 * A node of the backward graph: the `gradFn` of a tensor made by an op. Edges point to
 * each input's own gradFn, or to an AccumulateGrad node for a leaf that requires grad.
 */
export class Node {
  /** One edge per input (torch's next_functions): its gradFn, AccumulateGrad, or null if no grad. */
  readonly nextFunctions: readonly (Node | null)[];
  /** Shapes of the inputs, to check each gradient the backward returns. */
  readonly inputShapes: readonly (readonly number[])[];
  /** A non-leaf tensor whose `.grad` keeps this node's incoming gradient (`retainGrad()`). */
  retained: Tensor | null = null;
  /** @internal bookkeeping of the backward pass that last visited this node (see engine.ts). */
  _pass = 0;
  /** @internal edges into this node not yet processed in the current pass. */
  _waiting = 0;
  /** @internal gradient summed so far in the current pass. */
  _grad: Tensor | null = null;
  /** Where the forward op was called, recorded inside `detectAnomaly` only (else null). */
  trace: string | null = null;
  /** @internal the pass in which this node was found to lead to a wanted node (engine.ts). */
  _needed = 0;
  /**
   * Hooks of the tensor this node belongs to (`Tensor.registerHook`: its gradFn's, or a leaf's
   * AccumulateGrad's), run in order on its incoming gradient before the node runs; each may
   * return a replacement. Null until the first (a node is made per op: no array for each).
   */
  hooks: GradHook[] | null = null;
  private saved: readonly Tensor[];
  private readonly savedVersions: readonly number[];
  /** Which op made each saved tensor, for the error message (fixed at save time). */
  private readonly savedOwners: (string | null)[];
  private backwardFn: BackwardFn | null;
  /** needs[i]: whether input i wants a gradient (has an edge). */
  private readonly needs: readonly boolean[];
  private released = false;

  /**
   * @param name - the op's backward name as torch prints it (`MulBackward`, `AccumulateGrad`).
   * @param inputs - the op's inputs, in order: each one that requires grad gets an edge.
   * @param backwardFn - the op's local derivative; null for AccumulateGrad (the engine adds).
   * @param saved - the tensors backwardFn reads, checked against in-place changes first.
   */
  constructor(readonly name: string, inputs: readonly Tensor[], backwardFn: BackwardFn | null, saved: readonly Tensor[] = NOTHING) {
    // Plain loops: a node is made per op, and the graph's edges never change afterwards.
    const next: (Node | null)[] = [], shapes: (readonly number[])[] = [], needs: boolean[] = [];
    for (const t of inputs) {
      const edge = t.requiresGrad ? (t.gradFn ?? t._gradAccumulator()) : null;
      next.push(edge);
      shapes.push(t.shape);
      needs.push(edge !== null);
    }
    this.nextFunctions = next;
    this.inputShapes = shapes;
    this.needs = needs;
    this.backwardFn = backwardFn;
    this.saved = saved;
    this.savedVersions = saved.length === 0 ? NOTHING : saved.map((t) => t.version);
    this.savedOwners = saved.length === 0 ? NO_OWNERS : saved.map((t) => t.gradFn?.name ?? null);
  }

  /** Gradients for each input, after checking the saved tensors are still intact. */
  apply(grad: Tensor, createGraph = false): readonly (Tensor | null)[] {
    if (createGraph && this.backwardFn !== null && !TWICE.has(this.backwardFn)) {
      throw new AutogradError(
        `${this.name}: the backward of this op is not differentiable yet, so a backward with createGraph ` +
          "(a gradient of a gradient) cannot go through it",
      );
    }
    if (this.released || this.backwardFn === null) {
      throw new AutogradError(
        "Trying to backward through the graph a second time (or directly access saved tensors after they have " +
          "already been freed). Saved intermediate values of the graph are freed when you call .backward(). " +
          "Specify retainGraph: true if you need to backward through the graph a second time or if you need to " +
          "access saved tensors after calling backward.",
      );
    }
    for (let i = 0; i < this.saved.length; i++) {
      const t = this.saved[i];
      if (t.isDisposed) {
        const owner = this.savedOwners[i];
        throw new AutogradError(
          `a tensor saved for the backward of ${this.name} was disposed: [${t.dtype} ${fmtShape(t.shape)}]` +
            `${owner ? `, output 0 of ${owner}` : ""}. Dispose tensors (or end their tidy scope) after backward.`,
        );
      }
      if (t.version !== this.savedVersions[i]) {
        const owner = this.savedOwners[i];
        throw new AutogradError(
          "one of the variables needed for gradient computation has been modified by an inplace operation: " +
            `[${t.dtype} ${fmtShape(t.shape)}]${owner ? `, which is output 0 of ${owner},` : ""} is at version ` +
            `${t.version}; expected version ${this.savedVersions[i]} instead.`,
        );
      }
    }
    return this.backwardFn(grad, this.saved, this.needs);
  }

  /** Called once the output exists: a saved output is named as "output 0 of <this node>". */
  markOutput(out: Tensor): void {
    for (let i = 0; i < this.saved.length; i++) if (this.saved[i] === out) this.savedOwners[i] = this.name;
  }

  /** Drop what was saved for backward (after a backward without retainGraph). */
  release(): void {
    if (this.saved.length === 0) return; // nothing saved: can run again, as in torch
    this.saved = [];
    this.backwardFn = null;
    this.released = true;
  }
}

/** The sink of the graph for a leaf tensor: adds the incoming gradient into `variable.grad`. */
export class AccumulateGrad extends Node {
  /** @param variable - the leaf whose `.grad` the incoming gradients are added into. */
  constructor(readonly variable: Tensor) {
    super("AccumulateGrad", [], null);
  }
}
