import { Tensor, type FloatArray } from "@minigrad/tensor";
import { OptimizerError } from "./errors";
import { ADAM_LIKE_CHECKS } from "./adam";
import { fma32 } from "./fma";
import { Optimizer } from "./optimizer";
import { describeValue, optionChecks, type OptimizerChecks, type OptionCheck, type Params } from "./param-groups";
import type { OptimizerStateDict, StateEntry } from "./state-dict";
import {
  checkBuffers, checkParamAndGrad, gatherWork, resolveOptions, stateFor, stepCount, zeroBuffer,
} from "./update-checks";
import { updateRows } from "./update-rows";

/** NAdam's options as users pass them (each optional), with torch's names in camelCase. */
export type NAdamOptions = {
  /** Learning rate γ (2e-3). */
  lr?: number;
  /** β₁, β₂: decay rates of the gradient's and squared gradient's averages ([0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator after the square root (1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (0). */
  weightDecay?: number;
  /** ψ: the momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)) (4e-3). */
  momentumDecay?: number;
  /** torch's multi-tensor switch; accepted for checkpoint compatibility (one implementation here). */
  foreach?: boolean | null;
};

/** Every option resolved: what each parameter group of a NAdam holds. */
export type NAdamGroupOptions = Required<NAdamOptions>;

/** torch's defaults, in torch 1.13's key order (1.13's NAdam has no maximize). */
export const NADAM_DEFAULTS: Readonly<NAdamGroupOptions> = Object.freeze({
  lr: 2e-3,
  betas: Object.freeze([0.9, 0.999] as const),
  eps: 1e-8,
  weightDecay: 0,
  momentumDecay: 4e-3,
  foreach: null,
});

/** The buffers the update reads and writes, each shaped like the parameter. */
export interface NAdamBuffers {
  /** m, the running average of the gradient (torch's exp_avg); starts at 0. */
  expAvg: Tensor;
  /** v, the running average of the squared gradient (torch's exp_avg_sq); starts at 0. */
  expAvgSq: Tensor;
}

/** NAdam's per-parameter state: `muProduct` is μ₁μ₂…μₜ (1 before the first step). */
export interface NAdamState extends NAdamBuffers {
  /** The number of updates of this parameter, t (torch's step, a 0-d tensor there). */
  step: number;
  /** Π = μ₁μ₂…μₜ, the product of the momentum coefficients (torch's mu_product); starts at 1. */
  muProduct: number;
}

/** The precision `muProduct` is kept in (torch keeps it in a 0-d tensor of that dtype). */
export type MuProductDtype = "float32" | "float64";

const { nonNegative, booleanOrNull, stepCount: isStepCount, tensor: isTensor } = optionChecks;

const isNumber: OptionCheck = (value) =>
  typeof value === "number" ? undefined : { kind: "type", message: `expected a number (or a one-element tensor), got ${describeValue(value)}` };

/** NAdam's checks, in torch's order: lr, eps, each beta, weight_decay, momentum_decay; then foreach's type. */
export const NADAM_CHECKS: OptimizerChecks<NAdamGroupOptions> = Object.freeze({
  options: {
    ...ADAM_LIKE_CHECKS,
    momentumDecay: nonNegative("momentum_decay value"),
    foreach: booleanOrNull,
  },
  state: { step: isStepCount, muProduct: isNumber, expAvg: isTensor, expAvgSq: isTensor },
});

/** A state dict whose one-element `muProduct` tensors (torch's checkpoints) are read as numbers. */
function withNumberMuProducts(sd: OptimizerStateDict): OptimizerStateDict {
  if (typeof sd !== "object" || sd === null || typeof sd.state !== "object" || sd.state === null) return sd;
  const state: Record<number, StateEntry> = {};
  for (const [id, entry] of Object.entries(sd.state) as [string, StateEntry][]) {
    const mp = typeof entry === "object" && entry !== null ? entry.muProduct : undefined;
    const readable = mp instanceof Tensor && mp.numel === 1 && !mp.isDisposed;
    state[Number(id)] = readable ? { ...entry, muProduct: mp.item() } : entry;
  }
  return { ...sd, state };
}

/**
 * NAdam (Adam with Nesterov momentum), exactly as `torch.optim.NAdam` (PyTorch 1.13's
 * for-loop implementation).
 *
 * For each parameter θ with gradient g (parameters whose `.grad` is null are skipped: no
 * state is created for them and their `step` does not advance), at step t = 1, 2, ...:
 *
 * ```text
 * g ← g + λθ                         if weightDecay λ ≠ 0 (L2)
 * μₜ ← β₁(1 − ½·0.96^(tψ));  μₜ₊₁ ← β₁(1 − ½·0.96^((t+1)ψ))      ψ: momentumDecay
 * Π ← Π·μₜ                           muProduct, starts at 1
 * Π′ ← Π·μₜ·μₜ₊₁                     (torch 1.13 multiplies μₜ in twice: see below)
 * m ← β₁m + (1 − β₁)g                expAvg, starts at 0
 * v ← β₂v + (1 − β₂)g²               expAvgSq, starts at 0
 * d ← √(v / (1 − β₂ᵗ)) + ε
 * θ ← θ − γ(1 − μₜ)/(1 − Π) · g / d
 * θ ← θ − γμₜ₊₁/(1 − Π′) · m / d
 * ```
 *
 * As torch 1.13: the second coefficient uses `mu_product * mu * mu_next` after `mu_product`
 * already holds μₜ (PyTorch 2.0 fixed this to Π·μₜ₊₁); 1.13's NAdam has no `maximize` and
 * no decoupled weight decay. `muProduct` is a number here, rounded as torch's 0-d tensor
 * is: float32 as created by a step (for float64 parameters too, as torch's
 * `torch.tensor(1.)`), and of the parameter's dtype after `loadStateDict` (torch's cast of
 * state tensors); a one-element tensor in a checkpoint is read as its value. μₜ, μₜ₊₁ and
 * both coefficients are computed in double, as torch does in Python, then rounded once.
 * Float32 is bit-identical to PyTorch's CPU kernels; float64 follows the same order in double.
 *
 * @example
 * const opt = new NAdam(model.parameters(), { lr: 2e-3, momentumDecay: 4e-3 });
 */
export class NAdam extends Optimizer<NAdamGroupOptions> {
  /** Parameters whose muProduct is kept in double: float64 ones whose state was loaded. */
  private doubleMuProduct = new WeakSet<Tensor>();

  /**
   * @throws OptimizerError with torch's messages, checked in this order before the
   *   parameters: `Invalid learning rate: -1`, `Invalid epsilon value: -1`, `Invalid beta
   *   parameter at index 0: 1.5` (each beta must be in [0, 1)), `Invalid weight_decay
   *   value: -1`, `Invalid momentum_decay value: -1`.
   */
  constructor(params: Params<NAdamGroupOptions>, options: NAdamOptions = {}) {
    super(params, resolveOptions("NAdam", NADAM_DEFAULTS, options), NADAM_CHECKS);
  }

  protected update(): void {
    const work = gatherWork("NAdam", this.paramGroups, this.state, (entry, param, _group, where) => {
      checkBuffers("NAdam", entry, BUFFERS, param, where);
      if (typeof entry.muProduct !== "number") {
        throw new OptimizerError(`NAdam: the state of ${where} has no muProduct (a number)`);
      }
    });
    for (const { param, grad, group } of work) {
      const entry = stateFor(this.state, param, () => {
        this.doubleMuProduct.delete(param);
        return { step: 0, muProduct: 1, expAvg: zeroBuffer(param), expAvgSq: zeroBuffer(param) };
      });
      const step = stepCount(entry.step) + 1;
      entry.step = step;
      const buffers = { expAvg: entry.expAvg as Tensor, expAvgSq: entry.expAvgSq as Tensor };
      const dtype = this.doubleMuProduct.has(param) ? "float64" : "float32";
      entry.muProduct = nadamUpdate(param, grad, buffers, group, step, entry.muProduct as number, dtype);
    }
  }

  /**
   * As the base class, and as torch: a one-element `muProduct` tensor (a PyTorch
   * checkpoint) is read as its value, and each loaded muProduct takes its parameter's
   * precision (torch casts the 0-d tensor to the parameter's dtype).
   */
  override loadStateDict(stateDict: OptimizerStateDict): void {
    super.loadStateDict(withNumberMuProducts(stateDict));
    const double = new WeakSet<Tensor>();
    for (const [param, entry] of this.state) {
      if (typeof entry.muProduct !== "number") continue;
      if (param.dtype === "float64") double.add(param);
      else entry.muProduct = Math.fround(entry.muProduct);
    }
    this.doubleMuProduct = double;
  }

  /** Options missing from an older checkpoint's groups get torch's defaults (`__setstate__`). */
  protected override loadDefaults(): Partial<NAdamGroupOptions> {
    return NADAM_DEFAULTS;
  }
}

/** The state's tensors, in torch's order. */
const BUFFERS = ["expAvg", "expAvgSq"] as const;

/** The options `nadamUpdate` reads (a resolved parameter group has them all). */
export interface NAdamHyperparameters {
  /** Learning rate γ; default 2e-3. */
  lr: number;
  /** Coefficients (β₁, β₂) of the running averages of g and g²; default [0.9, 0.999]. */
  betas: readonly [number, number];
  /** Term added to the denominator after the square root, √(v / (1 − β₂ᵗ)) + ε; default 1e-8. */
  eps: number;
  /** L2 penalty λ added to the gradient (g + λθ); torch's weight_decay, default 0. */
  weightDecay: number;
  /** ψ in μₜ = β₁(1 − ½·0.96^(tψ)); torch's momentum_decay, default 4e-3. */
  momentumDecay: number;
}

/** The scalars of one update, each formed in double and rounded once to the parameter's precision. */
interface Constants {
  B1: number;
  W1: number;
  B2: number;
  W2: number;
  EPS: number;
  WD: number;
  /** 1 − β₂ᵗ. */
  BC2: number;
  /** −γ(1 − μₜ)/(1 − Π), the coefficient of g. */
  CG: number;
  /** −γμₜ₊₁/(1 − Π′), the coefficient of m. */
  CM: number;
  decay: boolean;
}

/*
 * Float32, operation by operation as torch's AVX2 kernels (torch-semantics.md §1.9), over
 * param (P), grad (G), expAvg (M), expAvgSq (V):
 *   g = fma(p, WD, g)                          grad.add(param, alpha=wd)
 *   m = fma(g, W1, r(m*B1))                    exp_avg.mul_(beta1).add_(grad, alpha=1-beta1)
 *   v = fma(r(W2*g), g, r(v*B2))               exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2)
 *   d = r(r(sqrt(r(v / BC2))) + EPS)           exp_avg_sq.div(bias_correction2).sqrt().add_(eps)
 *   p = r(p + r(r(CG*g) / d))                  param.addcdiv_(grad, denom, value=...)
 *   p = r(p + r(r(CM*m) / d))                  param.addcdiv_(exp_avg, denom, value=...)
 */
function rowF32(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, M, V] = arrays;
  const fr = Math.fround;
  const { B1, W1, B2, W2, EPS, WD, BC2, CG, CM, decay } = c;
  let pi = off[0], gi = off[1], mi = off[2], vi = off[3];
  const ps = inc[0], gs = inc[1], ms = inc[2], vs = inc[3];
  for (let i = 0; i < n; i++) {
    let p = P[pi];
    let g = G[gi];
    if (decay) g = fma32(p, WD, g);
    const m = fma32(g, W1, fr(M[mi] * B1));
    M[mi] = m;
    const v = fma32(fr(W2 * g), g, fr(V[vi] * B2));
    V[vi] = v;
    const d = fr(fr(Math.sqrt(fr(v / BC2))) + EPS);
    p = fr(p + fr(fr(CG * g) / d));
    P[pi] = fr(p + fr(fr(CM * m) / d));
    pi += ps; gi += gs; mi += ms; vi += vs;
  }
}

/** Float64: the same operations in the same order, each a double op (a*b + c for torch's FMAs). */
function rowF64(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, M, V] = arrays;
  const { B1, W1, B2, W2, EPS, WD, BC2, CG, CM, decay } = c;
  let pi = off[0], gi = off[1], mi = off[2], vi = off[3];
  const ps = inc[0], gs = inc[1], ms = inc[2], vs = inc[3];
  for (let i = 0; i < n; i++) {
    let p = P[pi];
    let g = G[gi];
    if (decay) g = p * WD + g;
    const m = g * W1 + M[mi] * B1;
    M[mi] = m;
    const v = W2 * g * g + V[vi] * B2;
    V[vi] = v;
    const d = Math.sqrt(v / BC2) + EPS;
    p += (CG * g) / d;
    P[pi] = p + (CM * m) / d;
    pi += ps; gi += gs; mi += ms; vi += vs;
  }
}

/**
 * One NAdam update of one parameter at step `step` (1 on the first update), in place,
 * exactly as torch's for-loop implementation (1.13): see `NAdam`. `muProduct` is μ₁…μₜ₋₁
 * (1 before the first step), kept in `muProductDtype`'s precision (float32 as torch creates
 * it); returns μ₁…μₜ for the next step. Reads `grad` (never modifies it); updates `param`
 * and the buffers in one pass (any strides, no allocation).
 */
export function nadamUpdate(
  param: Tensor, grad: Tensor, buffers: NAdamBuffers, hp: NAdamHyperparameters, step: number, muProduct: number,
  muProductDtype: MuProductDtype = "float32",
): number {
  checkParamAndGrad("NAdam", param, grad);
  const [m, v] = checkBuffers("NAdam", buffers, BUFFERS, param);
  const [beta1, beta2] = hp.betas;
  // In double, in torch's (Python's) order; the products rounded as torch's 0-d tensor.
  const r = muProductDtype === "float32" ? Math.fround : (x: number) => x;
  const mu = beta1 * (1 - 0.5 * 0.96 ** (step * hp.momentumDecay));
  const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * hp.momentumDecay));
  const product = r(muProduct * r(mu));
  const productNext = r(r(product * r(mu)) * r(muNext)); // 1.13's mu_product * mu * mu_next
  const constants = (round: (x: number) => number): Constants => ({
    B1: round(beta1),
    W1: round(1 - beta1),
    B2: round(beta2),
    W2: round(1 - beta2),
    EPS: round(hp.eps),
    WD: round(hp.weightDecay),
    BC2: round(1 - beta2 ** step),
    CG: round((-hp.lr * (1 - mu)) / (1 - product)),
    CM: round((-hp.lr * muNext) / (1 - productNext)),
    decay: hp.weightDecay !== 0,
  });
  updateRows([param, grad, m, v], constants, rowF32, rowF64);
  return product;
}
