import { seedOf } from "./autograd/backward-args";
import { runBackward } from "./autograd/engine";
import { AccumulateGrad, type GradHook, type Node } from "./autograd/node";
import { isFloating } from "./dtype";
import { ArgumentError, AutogradError, DTypeError, ShapeError, TensorError, fmtShape } from "./errors";
import * as k from "./kernels/elementwise";
import { fast } from "./kernels/accelerate";
import { keep } from "./memory";
import { sameShape } from "./shape";
import { Tensor } from "./tensor";
import { TensorBase, checkAlive } from "./tensor-base";

/** What `registerHook` returns: `remove()` unregisters the hook. */
export interface RemovableHook {
  /** Unregister the hook (again: nothing). */
  remove(): void;
}

/**
 * The autograd side of a tensor, between its memory (TensorBase) and its ops (Tensor, which
 * extends this class): whether it requires grad, its `.grad`, the node that made it, and
 * `backward`, `retainGrad`, `registerHook`, `detach`.
 */
export class TensorAutograd extends TensorBase {
  /** Tensor is the one class that extends this one, so every instance is a Tensor. */
  private _asTensor(): Tensor {
    return this as unknown as Tensor;
  }

  /** The node that made this tensor; null on leaves. */
  gradFn: Node | null = null;
  /** @internal the tensor whose storage this one views (for the in-place-on-view checks). */
  _base: Tensor | null = null;
  private _requiresGrad = false;
  private _grad: Tensor | null = null;
  private _accumulator: AccumulateGrad | null = null;

  // ---------------------------------------------------------------- properties

  /** True when no op made this tensor (`gradFn` is null): created by the user, or detached. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /**
   * Whether autograd records ops on this tensor: set on a leaf, always true on a recorded result.
   * Setting it is `requiresGrad_(flag)`.
   */
  get requiresGrad(): boolean {
    return this._requiresGrad || this.gradFn !== null;
  }

  set requiresGrad(flag: boolean) {
    this.requiresGrad_(flag);
  }

  /** The accumulated gradient: filled on leaves that require grad (and after `retainGrad()`). */
  get grad(): Tensor | null {
    return this._grad;
  }

  set grad(g: Tensor | null) {
    if (g !== null) {
      if (!(g instanceof Tensor)) throw new TensorError("assigned grad expected to be a Tensor or null");
      if (!sameShape(g.shape, this.shape)) {
        throw new ShapeError(
          `assigned grad has data of a different size: grad ${fmtShape(g.shape)}, tensor ${fmtShape(this.shape)}`,
        );
      }
      if (g.dtype !== this.dtype) {
        throw new DTypeError(`assigned grad has data of a different type: grad ${g.dtype}, tensor ${this.dtype}`);
      }
    }
    this._grad = g === null ? null : keep(g); // a tensor's .grad outlives any tidy scope
  }

  // ---------------------------------------------------------------- autograd

  /**
   * Set `requiresGrad` on a leaf in place, as torch's `requires_grad_`: only floating dtypes may
   * require grad; on a non-leaf, true is a no-op and false throws.
   */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf) {
      if (!flag) {
        throw new AutogradError(
          "you can only change requires_grad flags of leaf variables. If you want to use a computed variable " +
            "in a subgraph that doesn't require differentiation use varNoGrad = v.detach().",
        );
      }
      return this;
    }
    if (flag && !isFloating(this.dtype)) {
      throw new DTypeError(`only Tensors of floating point dtype can require gradients (got ${this.dtype})`);
    }
    this._requiresGrad = flag;
    return this;
  }

  /** Keep `.grad` on this non-leaf tensor during backward (leaves always keep it). */
  retainGrad(): this {
    if (!this.requiresGrad) throw new AutogradError("can't retain_grad on Tensor that has requires_grad=False");
    if (this.gradFn !== null) this.gradFn.retained = this._asTensor();
    return this;
  }

  /** True after `retainGrad()` on a non-leaf: backward will fill its `.grad`. */
  get retainsGrad(): boolean {
    return this.gradFn !== null && this.gradFn.retained === this._asTensor();
  }

  /**
   * Backpropagate from this tensor, adding into `.grad` of every leaf that requires grad.
   * A non-scalar needs the gradient of the loss with respect to it, of the same shape.
   */
  backward(
    gradient?: Tensor | null,
    options: { retainGraph?: boolean; createGraph?: boolean; inputs?: readonly Tensor[] } = {},
  ): void {
    checkAlive("backward", this);
    const { seed, retainGraph, createGraph, inputs } = seedOf(this._asTensor(), gradient, options);
    const accumulate = inputs === null ? "all" : new Set(inputs.map((t) => t.gradFn ?? t._gradAccumulator()));
    runBackward([this._asTensor()], [seed], { accumulate, retainGraph, createGraph });
  }

  /**
   * Run `hook` on the gradient with respect to this tensor each time one is computed, before
   * it is used (torch's register_hook): returning a tensor of the same shape replaces it.
   * Hooks run in the order they were registered; a leaf's run before `.grad` is added to.
   *
   * @example
   * x.registerHook((g) => g.clamp(-1, 1)); // clip this tensor's gradient on its way
   */
  registerHook(hook: GradHook): RemovableHook {
    if (!this.requiresGrad) throw new AutogradError("cannot register a hook on a tensor that doesn't require gradient");
    if (typeof hook !== "function") throw new ArgumentError(`registerHook: hook must be a function, got ${typeof hook}`);
    const node = this.gradFn ?? this._gradAccumulator();
    const hooks = (node.hooks ??= []);
    hooks.push(hook);
    return {
      remove: () => {
        const at = hooks.indexOf(hook);
        if (at >= 0) hooks.splice(at, 1);
      },
    };
  }

  /** @internal the AccumulateGrad node of a leaf (one per leaf, so fan-in sums before it). */
  _gradAccumulator(): AccumulateGrad {
    this._accumulator ??= new AccumulateGrad(this._asTensor());
    return this._accumulator;
  }

  /** @internal add an incoming gradient into `.grad`: a fresh copy the first time, in place after. */
  _accumulateGrad(g: Tensor, createGraph = false): void {
    const incoming = g.dtype === this.dtype ? g : g.to(this.dtype);
    if (createGraph) {
      // A recorded sum (or copy), so `.grad` can be differentiated again, as torch's with create_graph.
      this._grad = keep(this._grad === null ? incoming.clone() : this._grad.add(incoming));
      return;
    }
    if (this._grad === null) {
      const fresh = Tensor._uninitialized(this.shape, this.dtype);
      k.mapUnary(k.copy, fresh, incoming);
      this._grad = keep(fresh); // outlives any tidy scope the backward ran in
    } else {
      k.mapBinary(fast.add, this._grad, this._grad, incoming);
      this._grad._version.value++;
    }
  }

  /** A tensor sharing this storage, cut from the graph (no grad, a leaf). */
  detach(): Tensor {
    checkAlive("detach", this);
    const t = new Tensor(this._data, this.shape, this.strides, this.offset, this.dtype);
    t._version = this._version;
    return t;
  }

  /** Detach in place: this tensor becomes a leaf that does not require grad. */
  detach_(): this {
    this.gradFn = null;
    this._requiresGrad = false;
    return this;
  }
}
