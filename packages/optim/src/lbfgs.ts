import { Tensor, enableGrad, forEachRow, keep, tensor, type FloatArray } from "@minigrad/tensor";
import { OptimizerError, checkTensor, typeName } from "./errors";
import { fma32 } from "./fma";
import { strongWolfe, vectorOps, type Num, type VectorOps } from "./lbfgs-line-search";
import { Optimizer } from "./optimizer";
import { isNumber, optionChecks, type OptimizerChecks, type OptionCheck, type Params } from "./param-groups";
import type { StateEntry } from "./state-dict";
import { hasOverlap } from "./strided";
import { bumpVersion, resolveOptions, stateScalar } from "./update-checks";

/** LBFGS's options as users pass them (each optional), with torch's names in camelCase. */
export type LBFGSOptions = {
  /** Learning rate: the step length tried first (1). */
  lr?: number;
  /** Iterations per `step` at most (20). */
  maxIter?: number;
  /** Function evaluations per `step` at most (maxIter · 5 / 4, rounded down). */
  maxEval?: number | null;
  /** Stop when every element of the gradient is at most this in magnitude (1e-7). */
  toleranceGrad?: number;
  /** Stop when the loss or the parameters change less than this (1e-9). */
  toleranceChange?: number;
  /** How many past updates approximate the inverse Hessian (100). */
  historySize?: number;
  /** `"strong_wolfe"` for a line search, or null for the fixed step lr (null). */
  lineSearchFn?: "strong_wolfe" | null;
};

/** Every option resolved: what the parameter group of an LBFGS holds. */
export type LBFGSGroupOptions = Required<LBFGSOptions> & { maxEval: number };

/** torch's defaults, in torch 1.13's key order (maxEval as resolved for maxIter = 20). */
export const LBFGS_DEFAULTS: Readonly<LBFGSGroupOptions> = Object.freeze({
  lr: 1,
  maxIter: 20,
  maxEval: 25,
  toleranceGrad: 1e-7,
  toleranceChange: 1e-9,
  historySize: 100,
  lineSearchFn: null,
});

/**
 * LBFGS's state, torch's keys in camelCase, kept (as torch keeps it) as the state of the
 * first parameter. Vectors are flat (every parameter's elements, in order); torch's 0-d
 * tensors (`t`, `ro`, `hDiag`, `al`) are numbers here.
 */
export interface LBFGSState {
  /** Closure evaluations over all steps so far (torch's func_evals). */
  funcEvals: number;
  /** Iterations over all steps so far (torch's n_iter). */
  nIter: number;
  /** The two-loop recursion's coefficients (historySize entries, null until used). */
  al?: (number | null)[];
  /** The last search direction. */
  d: Tensor | null;
  /** The last step length. */
  t: number | null;
  /** Gradient differences y of the history, oldest first. */
  oldDirs: Tensor[] | null;
  /** Steps s of the history, oldest first. */
  oldStps: Tensor[] | null;
  /** 1 / (yᵀs) of each history entry. */
  ro: number[] | null;
  /** The scale of the initial inverse Hessian, yᵀs / yᵀy. */
  hDiag: number | null;
  /** The flat gradient where the last iteration started (torch's prev_flat_grad). */
  prevFlatGrad: Tensor | null;
  /** The loss where the last iteration started (torch's prev_loss). */
  prevLoss: number | null;
}

const { stepCount: isCount } = optionChecks;

/** torch raises this at the first step; minigrad at construction. */
const lineSearchCheck: OptionCheck = (value) =>
  value === null || value === "strong_wolfe" ? undefined : { kind: "value", message: "only 'strong_wolfe' is supported" };

/** torch 1.13 checks none of LBFGS's values; minigrad checks their kinds and the line search's name. */
export const LBFGS_CHECKS: OptimizerChecks<LBFGSGroupOptions> = Object.freeze({
  options: {
    lr: isNumber,
    maxIter: isNumber,
    maxEval: isNumber,
    toleranceGrad: isNumber,
    toleranceChange: isNumber,
    historySize: isNumber,
    lineSearchFn: lineSearchCheck,
  },
  state: { funcEvals: isCount, nIter: isCount },
});

const GROUPS_MESSAGE = "LBFGS doesn't support per-parameter options (parameter groups)";

/** A flat vector: its values, and the state tensor that holds them once there is one. */
class Flat {
  private tensor: Tensor | undefined;

  constructor(readonly a: FloatArray, tensor?: Tensor) {
    this.tensor = tensor;
  }

  /** A state tensor's values, in place when it is a contiguous vector of n elements. */
  static of(value: unknown, n: number, f32: boolean, what: string): Flat | undefined {
    if (value === undefined || value === null) return undefined;
    if (!(value instanceof Tensor) || value.numel !== n || value.dtype !== (f32 ? "float32" : "float64")) {
      throw new OptimizerError(
        `LBFGS: the state's ${what} is not a ${f32 ? "float32" : "float64"} vector of ${n} elements (the parameters' count)`,
      );
    }
    checkTensor(value, `LBFGS: the state's ${what}`);
    if (value.shape.length === 1 && (value.strides[0] === 1 || n <= 1)) {
      return new Flat((value._data as FloatArray).subarray(value.offset, value.offset + n), value);
    }
    return new Flat(value.contiguous().toTypedArray() as FloatArray);
  }

  toTensor(): Tensor {
    // keep: the state outlives the tidy scope (if any) of the step that creates it
    this.tensor ??= keep(tensor(this.a, { dtype: this.a instanceof Float32Array ? "float32" : "float64" }));
    return this.tensor;
  }
}

/** torch's `float(closure())`. */
function lossValue(value: unknown): number {
  if (typeof value === "number") return value;
  if (value instanceof Tensor && value.numel === 1) return value.item();
  throw new TypeError(`LBFGS: the closure must return the loss (a number or a one-element tensor), but got ${typeName(value)}`);
}

/**
 * L-BFGS, exactly as `torch.optim.LBFGS` (PyTorch 1.13): `step(closure)` runs up to maxIter
 * iterations, each a quasi-Newton direction from the last historySize updates (the
 * two-loop recursion) and a step along it:
 *
 * ```text
 * d ← −g                                    on the very first iteration
 * else: y ← g − g_prev;  s ← t·d            remembered when yᵀs > 1e-10 (then H₀ = yᵀs / yᵀy)
 *       d ← −H g                            H: the L-BFGS inverse Hessian from (y, s) pairs and H₀
 * t ← lr  (min(1, 1/‖g‖₁)·lr on the first iteration)
 * stop if gᵀd > −toleranceChange
 * lineSearchFn null:           θ ← θ + t·d, then evaluate the closure again
 * lineSearchFn "strong_wolfe": t from a strong-Wolfe line search (cubic interpolation), θ ← θ + t·d
 * stop at maxIter, maxEval evaluations, max|g| ≤ toleranceGrad, max|t·d| ≤ toleranceChange,
 * or |loss − prev loss| < toleranceChange
 * ```
 *
 * The closure must zero the grads, compute the loss, backpropagate and return the loss; it
 * is called several times per step (with grad recording on). `step` returns the loss of
 * the first call. One parameter group only, as torch; all parameters of one float dtype.
 * Parameters whose grad is null count as zero gradients.
 *
 * Exactness: the arithmetic is torch's, operation by operation: its vector kernels
 * (FMAs emulated in float32), the reference BLAS dot product (a sequential sum, as the
 * Debian build uses), and its mix of Python floats (doubles) and 0-d tensors (rounded to
 * the parameters' dtype) in the scalars, including `float / tensor` as a reciprocal times
 * the float. Not emulated: the order of torch's vectorized sum in `‖g‖₁` (used for the first
 * step length; an in-order sum, which is torch's for up to 3 elements) and float64 FMAs.
 * On the fixtures (Rosenbrock, least squares; float32 and float64, with and without the
 * line search) the float32 runs are bit-identical to PyTorch's.
 *
 * @example
 * const opt = new LBFGS(model.parameters(), { lineSearchFn: "strong_wolfe" });
 * const closure = () => { opt.zeroGrad(); const loss = lossFn(); loss.backward(); return loss; };
 * for (let i = 0; i < 10; i++) opt.step(closure);
 */
export class LBFGS extends Optimizer<LBFGSGroupOptions> {
  /**
   * @throws OptimizerError `LBFGS doesn't support per-parameter options (parameter
   *   groups)` for more than one group, `only 'strong_wolfe' is supported` for another
   *   line search; a TypeError for an option of the wrong kind.
   */
  constructor(params: Params<LBFGSGroupOptions>, options: LBFGSOptions = {}) {
    const resolved = resolveOptions<LBFGSOptions>("LBFGS", { ...LBFGS_DEFAULTS, maxEval: null }, options);
    const maxEval = resolved.maxEval ?? Math.floor(((resolved.maxIter as number) * 5) / 4);
    super(params, { ...resolved, maxEval } as LBFGSGroupOptions, LBFGS_CHECKS);
    if (this.paramGroups.length !== 1) throw new OptimizerError(GROUPS_MESSAGE);
  }

  /** LBFGS's flat vectors are not shaped like the first parameter. */
  protected override stateShapedLikeParam(key: string): boolean {
    return key !== "d" && key !== "prevFlatGrad";
  }

  /** Options missing from an older checkpoint's groups get torch's defaults. */
  protected override loadDefaults(): Partial<LBFGSGroupOptions> {
    return LBFGS_DEFAULTS;
  }

  protected update(closure?: () => unknown, firstLoss?: unknown): void {
    if (typeof closure !== "function") {
      throw new TypeError("LBFGS.step needs a closure that re-evaluates the model and returns the loss");
    }
    if (this.paramGroups.length !== 1) throw new OptimizerError(GROUPS_MESSAGE);
    const group = this.paramGroups[0];
    const params = group.params;
    checkParams(params);
    let state = this.state.get(params[0]);
    if (state === undefined) this.state.set(params[0], (state = {}));
    lbfgsStep(params, state, group, () => lossValue(enableGrad(closure)), lossValue(firstLoss));
  }
}

/** Every parameter usable and writable, all of one float dtype (torch.cat's flat vectors). */
function checkParams(params: readonly Tensor[]): void {
  const dtype = params[0].dtype;
  params.forEach((p, i) => {
    const where = `parameter ${i}`;
    checkTensor(p, `LBFGS: ${where}`);
    if (p.dtype !== "float32" && p.dtype !== "float64") {
      throw new OptimizerError(`LBFGS: parameters must be float32 or float64, got ${p.dtype} (${where})`);
    }
    if (p.dtype !== dtype) throw new OptimizerError(`LBFGS: every parameter must have one dtype, got ${dtype} and ${p.dtype} (${where})`);
    if (hasOverlap(p)) throw new OptimizerError(`LBFGS: cannot update a parameter whose elements share memory (an expanded view) (${where})`);
    const g = p.grad;
    if (g !== null) {
      checkTensor(g, `LBFGS: the grad of ${where}`);
      if (g.dtype !== p.dtype || g.numel !== p.numel) {
        throw new OptimizerError(`LBFGS: the grad of ${where} does not fit its parameter (${g.dtype} [${g.shape.join(", ")}])`);
      }
    }
  });
}

/** Visit each element of `t` in row-major order: its index in the storage and its flat position. */
function eachElement(t: Tensor, start: number, visit: (at: number, k: number) => void): void {
  let k = start;
  forEachRow(t.shape, [t.strides], [t.offset], (off, n, inc) => {
    for (let i = 0, at = off[0]; i < n; i++, at += inc[0]) visit(at, k++);
  });
}

/** The parameters as torch's LBFGS sees them: one flat vector of all their elements. */
class FlatParams {
  readonly n: number;
  readonly f32: boolean;

  constructor(readonly params: readonly Tensor[]) {
    this.n = params.reduce((total, p) => total + p.numel, 0);
    this.f32 = params[0].dtype === "float32";
  }

  private array(): FloatArray {
    return this.f32 ? new Float32Array(this.n) : new Float64Array(this.n);
  }

  /** `_gather_flat_grad`: the grads, zeros for a null grad. */
  flatGrad(): FloatArray {
    const out = this.array();
    let start = 0;
    for (const p of this.params) {
      const g = p.grad;
      if (g !== null) {
        const G = g._data as FloatArray;
        eachElement(g, start, (at, k) => (out[k] = G[at]));
      }
      start += p.numel;
    }
    return out;
  }

  /** `_add_grad(t, d)`: θ ← θ + t·d (`p.add_(d, alpha=t)`, an FMA). */
  addScaled(ops: VectorOps, t: Num, d: FloatArray): void {
    const T = ops.s.r(t.v);
    let start = 0;
    for (const p of this.params) {
      const P = p._data as FloatArray;
      if (ops.f32) eachElement(p, start, (at, k) => (P[at] = fma32(d[k], T, P[at])));
      else eachElement(p, start, (at, k) => (P[at] = d[k] * T + P[at]));
      bumpVersion(p);
      start += p.numel;
    }
  }

  /** `_clone_param`. */
  values(): FloatArray {
    const out = this.array();
    let start = 0;
    for (const p of this.params) {
      const P = p._data as FloatArray;
      eachElement(p, start, (at, k) => (out[k] = P[at]));
      start += p.numel;
    }
    return out;
  }

  /** `_set_param`. */
  set(values: FloatArray): void {
    let start = 0;
    for (const p of this.params) {
      const P = p._data as FloatArray;
      eachElement(p, start, (at, k) => (P[at] = values[k]));
      bumpVersion(p);
      start += p.numel;
    }
  }
}

/**
 * One `step` of torch 1.13's LBFGS over `params` (one group), given the closure's first
 * loss: reads and updates `state` (torch's keys in camelCase, in torch's insertion order).
 */
function lbfgsStep(
  params: readonly Tensor[], state: StateEntry, group: LBFGSGroupOptions, evaluate: () => number, firstLoss: number,
): void {
  const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, historySize, lineSearchFn } = group;
  const flat = new FlatParams(params);
  const { n, f32 } = flat;
  const ops = vectorOps(f32);
  const { s } = ops;
  const fresh = () => (f32 ? new Float32Array(n) : new Float64Array(n));

  if (!Object.hasOwn(state, "funcEvals")) state.funcEvals = 0;
  if (!Object.hasOwn(state, "nIter")) state.nIter = 0;
  let loss = firstLoss;
  let currentEvals = 1;
  state.funcEvals = (state.funcEvals as number) + 1;

  let flatGrad = flat.flatGrad();
  let optCond = s.le(ops.absMax(flatGrad), s.py(toleranceGrad));
  if (optCond) return;

  // the state of earlier steps
  let d = Flat.of(state.d, n, f32, "d");
  const savedT = stateScalar(state.t);
  let t: Num | undefined = savedT === undefined ? undefined : s.py(savedT);
  let oldDirs = Array.isArray(state.oldDirs) ? state.oldDirs.map((v, i) => Flat.of(v, n, f32, `oldDirs[${i}]`) as Flat) : undefined;
  let oldStps = Array.isArray(state.oldStps) ? state.oldStps.map((v, i) => Flat.of(v, n, f32, `oldStps[${i}]`) as Flat) : undefined;
  let ro = Array.isArray(state.ro) ? state.ro.map((v) => s.ten(stateScalar(v) ?? NaN)) : undefined;
  const savedH = stateScalar(state.hDiag);
  let hDiag: Num | undefined = savedH === undefined ? undefined : s.ten(savedH);
  let prevFlatGrad = Flat.of(state.prevFlatGrad, n, f32, "prevFlatGrad");
  let prevLoss = stateScalar(state.prevLoss);

  let nIter = 0;
  while (nIter < maxIter) {
    nIter += 1;
    state.nIter = (state.nIter as number) + 1;

    // the descent direction
    if (state.nIter === 1 || d === undefined || t === undefined || prevFlatGrad === undefined
        || oldDirs === undefined || oldStps === undefined || ro === undefined || hDiag === undefined) {
      const neg = fresh();
      for (let i = 0; i < n; i++) neg[i] = -flatGrad[i];
      d = new Flat(neg);
      [oldDirs, oldStps, ro, hDiag] = [[], [], [], s.py(1)];
    } else {
      // update the memory with y = g − g_prev, s = t·d
      const y = fresh();
      const pg = prevFlatGrad.a;
      for (let i = 0; i < n; i++) y[i] = s.r(flatGrad[i] - pg[i]);
      const sv = fresh();
      ops.scale(sv, d.a, t.v);
      const ys = ops.dot(y, sv);
      if (s.gt(ys, s.py(1e-10))) {
        if (oldDirs.length === historySize) {
          oldDirs.shift();
          oldStps.shift();
          ro.shift();
        }
        oldDirs.push(new Flat(y));
        oldStps.push(new Flat(sv));
        ro.push(s.div(s.py(1), ys));
        hDiag = s.div(ys, ops.dot(y, y));
      }
      const numOld = oldDirs.length;
      if (!Object.hasOwn(state, "al")) state.al = new Array<number | null>(historySize).fill(null);
      const al = state.al as (number | null)[];
      // the two-loop recursion, with one buffer
      const q = fresh();
      for (let i = 0; i < n; i++) q[i] = -flatGrad[i];
      const alNum: Num[] = [];
      for (let i = numOld - 1; i >= 0; i--) {
        alNum[i] = s.mul(ops.dot(oldStps[i].a, q), ro[i]);
        al[i] = alNum[i].v;
        ops.axpy(q, oldDirs[i].a, -alNum[i].v);
      }
      const r = fresh();
      ops.scale(r, q, hDiag.v); // d = r = torch.mul(q, H_diag)
      for (let i = 0; i < numOld; i++) {
        const be = s.mul(ops.dot(oldDirs[i].a, r), ro[i]);
        ops.axpy(r, oldStps[i].a, s.sub(alNum[i], be).v);
      }
      d = new Flat(r);
    }
    if (prevFlatGrad === undefined) prevFlatGrad = new Flat(flatGrad.slice());
    else prevFlatGrad.a.set(flatGrad);
    prevLoss = loss;

    // the step length
    t = state.nIter === 1 ? s.mul(s.min(s.py(1), s.div(s.py(1), ops.absSum(flatGrad))), s.py(lr)) : s.py(lr);
    const gtd = ops.dot(flatGrad, d.a);
    if (s.gt(gtd, s.py(-toleranceChange))) break; // the directional derivative is below tolerance

    let lsEvals = 0;
    if (lineSearchFn !== null) {
      const xInit = flat.values();
      const dir = d.a;
      const result = strongWolfe(ops, (tt) => {
        flat.addScaled(ops, tt, dir);
        const value = evaluate();
        const g = flat.flatGrad();
        flat.set(xInit);
        return [value, g];
      }, t, dir, loss, flatGrad, gtd);
      [loss, flatGrad, t, lsEvals] = [result.loss, result.flatGrad, result.t, result.funcEvals];
      flat.addScaled(ops, t, dir);
      optCond = s.le(ops.absMax(flatGrad), s.py(toleranceGrad));
    } else {
      flat.addScaled(ops, t, d.a); // a fixed step
      if (nIter !== maxIter) {
        loss = evaluate();
        flatGrad = flat.flatGrad();
        optCond = s.le(ops.absMax(flatGrad), s.py(toleranceGrad));
        lsEvals = 1;
      }
    }
    currentEvals += lsEvals;
    state.funcEvals = (state.funcEvals as number) + lsEvals;

    // the stopping conditions
    if (nIter === maxIter) break;
    if (currentEvals >= maxEval) break;
    if (optCond) break;
    const td = fresh();
    ops.scale(td, d.a, t.v);
    if (s.le(ops.absMax(td), s.py(toleranceChange))) break; // lack of progress
    if (Math.abs(loss - (prevLoss as number)) < toleranceChange) break;
  }

  state.d = d?.toTensor() ?? null;
  state.t = t?.v ?? null;
  state.oldDirs = oldDirs?.map((v) => v.toTensor()) ?? null;
  state.oldStps = oldStps?.map((v) => v.toTensor()) ?? null;
  state.ro = ro?.map((v) => v.v) ?? null;
  state.hDiag = hDiag?.v ?? null;
  state.prevFlatGrad = prevFlatGrad?.toTensor() ?? null;
  state.prevLoss = prevLoss ?? null;
}
