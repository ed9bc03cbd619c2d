import { Tensor, type FloatArray } from "@minigrad/tensor";
import { OptimizerError } from "./errors";
import { fma32 } from "./fma";
import { sgdF32, sgdMomentumF32 } from "./kernels/sgd";
import { Optimizer } from "./optimizer";
import {
  checkGroupParams, checkOptions, optionChecks, type OptimizerChecks, type OptionCheck, type ParamGroupInput,
  type Params,
} from "./param-groups";
import { checkOperand, checkParamAndGrad, gatherWork, resolveOptions, zeroBuffer } from "./update-checks";
import { updateRows } from "./update-rows";

/**
 * SGD's options as users pass them, with torch's names in camelCase. `lr` has no default
 * (torch 1.13's `required`): give it here or in every parameter group.
 */
export type SGDOptions = {
  /** Learning rate γ: required, here or in each group. */
  lr?: number;
  /** Momentum factor μ (0: no momentum buffer). */
  momentum?: number;
  /** Dampening τ of the momentum (0). */
  dampening?: number;
  /** L2 penalty λ added to the gradient (0). */
  weightDecay?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening = 0). */
  nesterov?: boolean;
  /** Maximize the objective instead of minimizing it. */
  maximize?: boolean;
  /** torch's multi-tensor switch; accepted for checkpoint compatibility (one implementation here). */
  foreach?: boolean | null;
  /** torch's differentiable step; only false is supported (the update runs under noGrad). */
  differentiable?: boolean;
};

/** Every option resolved: what each parameter group of an SGD holds. */
export type SGDGroupOptions = Required<SGDOptions>;

/** torch's defaults in torch's key order; `lr` is undefined: required (torch's `required`). */
export const SGD_DEFAULTS: Readonly<Omit<SGDGroupOptions, "lr"> & { lr: number | undefined }> = Object.freeze({
  lr: undefined,
  momentum: 0,
  dampening: 0,
  weightDecay: 0,
  nesterov: false,
  maximize: false,
  foreach: null,
  differentiable: false,
});

/** SGD's per-parameter state: torch keeps `momentumBuffer: null` when momentum is 0 (and no step). */
export interface SGDState {
  /** b, the momentum buffer (torch's momentum_buffer); null until a step with momentum > 0. */
  momentumBuffer: Tensor | null;
}

const { nonNegative, boolean, booleanOrNull, only, tensor: isTensor } = optionChecks;

const isNumber: OptionCheck = (value) =>
  typeof value === "number" ? undefined : { kind: "type", message: `expected a number, got ${String(value)}` };

const REQUIRED_LR = "parameter group didn't specify a value of required optimization parameter lr";

/**
 * SGD's checks, in torch's order: `Invalid learning rate: -1` (unless lr is left to the
 * groups), `Invalid momentum value`, `Invalid weight_decay value`; torch checks nothing
 * else (a negative dampening passes). The constructor then refuses nesterov without
 * momentum or with dampening, as torch.
 */
export const SGD_CHECKS: OptimizerChecks<SGDGroupOptions> = Object.freeze({
  options: {
    lr: ((value) => (value === undefined ? undefined : nonNegative("learning rate")(value))) as OptionCheck,
    momentum: nonNegative("momentum value"),
    weightDecay: nonNegative("weight_decay value"),
    dampening: isNumber,
    nesterov: boolean,
    maximize: boolean,
    foreach: booleanOrNull,
    differentiable: only(false, "SGD: differentiable=true is not supported: minigrad's update runs under noGrad"),
  },
  state: {
    momentumBuffer: ((value) => (value === null ? undefined : isTensor(value))) as OptionCheck,
  },
});

function sgdDefaults(options: SGDOptions): SGDGroupOptions {
  const resolved = resolveOptions("SGD", SGD_DEFAULTS, options);
  checkOptions(SGD_CHECKS.options, resolved);
  if (resolved.nesterov && (resolved.momentum <= 0 || resolved.dampening !== 0)) {
    throw new OptimizerError("Nesterov momentum requires a momentum and zero dampening");
  }
  return resolved as SGDGroupOptions; // lr may be undefined: every group must then set it
}

/**
 * Stochastic gradient descent, optionally with momentum, exactly as `torch.optim.SGD`
 * (PyTorch 1.13's for-loop implementation).
 *
 * For each parameter θ with gradient g (parameters whose `.grad` is null are skipped):
 *
 * ```text
 * g ← −g                          if maximize
 * g ← g + λθ                      if weightDecay λ ≠ 0
 * if momentum μ ≠ 0:
 *   b ← g                         on the parameter's first step with momentum (momentumBuffer)
 *   b ← μb + (1 − τ)g             afterwards (τ: dampening)
 *   g ← g + μb                    if nesterov
 *   g ← b                         otherwise
 * θ ← θ − γg
 * ```
 *
 * Float32 is bit-identical to PyTorch's CPU kernels (the same operations in the same
 * order, their fused multiply-adds emulated exactly); float64 follows the same order in
 * double precision. Each update is a single pass over the typed arrays, under no-grad (in
 * float32, a WebAssembly SIMD kernel, kernels/sgd.wat, with the same bits).
 *
 * Differences from other libraries (minigrad does what torch does): lr multiplies the
 * buffer when it is applied (`b ← μb + g; θ ← θ − γb`), where Sutskever et al., Keras and
 * tfjs accumulate `γg` in the buffer (the two differ once lr changes); the first step
 * copies g into the buffer, undampened.
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 */
export class SGD extends Optimizer<SGDGroupOptions> {
  /**
   * @throws OptimizerError with torch's messages: `Invalid learning rate: -1`, `Invalid
   *   momentum value: -1`, `Invalid weight_decay value: -1` (in that order, before the
   *   parameters), `Nesterov momentum requires a momentum and zero dampening`, and
   *   `parameter group didn't specify a value of required optimization parameter lr`
   *   for a group without lr when the options have none.
   */
  constructor(params: Params<SGDGroupOptions>, options: SGDOptions = {}) {
    super(params, sgdDefaults(options), SGD_CHECKS);
  }

  /** As the base; a group must set lr when the optimizer's options have none (torch's `required`). */
  override addParamGroup(paramGroup: ParamGroupInput<SGDGroupOptions>): void {
    checkGroupParams(paramGroup); // torch checks the parameters first
    const defaultLr: unknown = this.defaults.lr;
    if (defaultLr === undefined && (paramGroup as Record<string, unknown>).lr === undefined) {
      throw new OptimizerError(REQUIRED_LR);
    }
    super.addParamGroup(paramGroup);
  }

  protected update(): void {
    const work = gatherWork("SGD", this.paramGroups, this.state, (entry, param, _group, where) => {
      const buf = entry.momentumBuffer;
      if (buf !== null && buf !== undefined) checkOperand("SGD", "momentumBuffer", buf, param, where);
    });
    for (const { group } of work) if (typeof group.lr !== "number") throw new OptimizerError(REQUIRED_LR);
    for (const { param, grad, group } of work) {
      let state = this.state.get(param);
      if (state === undefined) this.state.set(param, (state = {}));
      const buffers: SGDState = { momentumBuffer: state.momentumBuffer instanceof Tensor ? state.momentumBuffer : null };
      sgdUpdate(param, grad, buffers, group);
      state.momentumBuffer = buffers.momentumBuffer;
    }
  }

  /** Options missing from an older checkpoint's groups get torch's defaults (`__setstate__`). */
  protected override loadDefaults(): Partial<SGDGroupOptions> {
    const { lr: _lr, ...rest } = SGD_DEFAULTS;
    return rest;
  }
}

/** The options `sgdUpdate` reads (a resolved parameter group has them all). */
export interface SGDHyperparameters {
  /** Learning rate γ: θ ← θ − γg; required (torch's SGD has no default). */
  lr: number;
  /** Momentum factor μ (0: no momentum buffer); default 0. */
  momentum: number;
  /** Dampening τ: b ← μb + (1 − τ)g after the buffer's first step; default 0. */
  dampening: number;
  /** L2 penalty λ added to the gradient (g + λθ); torch's weight_decay, default 0. */
  weightDecay: number;
  /** Nesterov momentum, g ← g + μb (needs momentum > 0, dampening 0); default false. */
  nesterov: boolean;
  /** Maximize the objective (g ← −g first); default false. */
  maximize: boolean;
}

/** The scalars, each rounded once to the parameter's precision from a double (`fround(1 - τ)`). */
interface Constants {
  NLR: number;
  WD: number;
  MU: number;
  DAMP: number;
  maximize: boolean;
  decay: boolean;
  heavyBall: boolean;
  nesterov: boolean;
  /** The buffer is new: it takes g (torch's `clone(d_p)`) instead of μb + (1 − τ)g. */
  first: boolean;
}

function constants(hp: SGDHyperparameters, first: boolean, round: (x: number) => number): Constants {
  return {
    NLR: round(-hp.lr),
    WD: round(hp.weightDecay),
    MU: round(hp.momentum),
    DAMP: round(1 - hp.dampening),
    maximize: hp.maximize,
    decay: hp.weightDecay !== 0,
    heavyBall: hp.momentum !== 0,
    nesterov: hp.nesterov,
    first,
  };
}

/*
 * Float32, operation by operation as torch's AVX2 kernels (torch-semantics.md §1.9):
 *   g = -g (maximize);  g = fma(p, WD, g)                 d_p.add(param, alpha=wd)
 *   b = g (first)  or  b = fma(g, DAMP, r(b*MU))          buf.mul_(mu).add_(d_p, alpha=1-dampening)
 *   g = fma(b, MU, g) (nesterov)  or  g = b               d_p.add(buf, alpha=mu)
 *   p = fma(g, NLR, p)                                    param.add_(d_p, alpha=-lr)
 * Operand B aliases P when there is no momentum and is then never touched.
 */
function rowF32(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, B] = arrays;
  const fr = Math.fround;
  const { NLR, WD, MU, DAMP, maximize, decay, heavyBall, nesterov, first } = c;
  let pi = off[0], gi = off[1], bi = off[2];
  const ps = inc[0], gs = inc[1], bs = inc[2];
  for (let i = 0; i < n; i++) {
    const p = P[pi];
    let g = maximize ? -G[gi] : G[gi];
    if (decay) g = fma32(p, WD, g);
    if (heavyBall) {
      const b = first ? g : fma32(g, DAMP, fr(B[bi] * MU));
      B[bi] = b;
      g = nesterov ? fma32(b, MU, g) : b;
    }
    P[pi] = fma32(g, NLR, p);
    pi += ps; gi += gs; bi += bs;
  }
}

/** Float64: the same operations in the same order, each a double op (a*b + c for torch's FMAs). */
function rowF64(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, B] = arrays;
  const { NLR, WD, MU, DAMP, maximize, decay, heavyBall, nesterov, first } = c;
  let pi = off[0], gi = off[1], bi = off[2];
  const ps = inc[0], gs = inc[1], bs = inc[2];
  for (let i = 0; i < n; i++) {
    const p = P[pi];
    let g = maximize ? -G[gi] : G[gi];
    if (decay) g = p * WD + g;
    if (heavyBall) {
      const b = first ? g : g * DAMP + B[bi] * MU;
      B[bi] = b;
      g = nesterov ? b * MU + g : b;
    }
    P[pi] = g * NLR + p;
    pi += ps; gi += gs; bi += bs;
  }
}

/**
 * One SGD update of one parameter, in place, exactly as torch's for-loop implementation
 * (1.13): see `SGD`. Reads `grad` (never modifies it) and updates `param` and the momentum
 * buffer in one pass over their typed arrays (any strides). With momentum and
 * `buffers.momentumBuffer === null` (the first step), a buffer is created, set to the
 * (decayed) gradient, and stored in `buffers`; nothing else is allocated.
 */
export function sgdUpdate(param: Tensor, grad: Tensor, buffers: SGDState, hp: SGDHyperparameters): void {
  checkParamAndGrad("SGD", param, grad);
  const heavyBall = hp.momentum !== 0;
  let first = false;
  if (heavyBall) {
    if (buffers.momentumBuffer === null) {
      first = true;
      buffers.momentumBuffer = zeroBuffer(param);
    } else {
      checkOperand("SGD", "momentumBuffer", buffers.momentumBuffer, param);
    }
  }
  const buf = heavyBall && buffers.momentumBuffer !== null ? buffers.momentumBuffer : param;
  // Float32: the fused kernels (kernels/sgd.ts), over param and grad (and the buffer).
  const fused = (c: Constants) => ({
    kernel: c.heavyBall ? sgdMomentumF32 : sgdF32,
    arity: c.heavyBall ? 3 : 2,
    scalars: [c.NLR, c.WD, c.MU, c.DAMP, +c.maximize, +c.decay, +c.nesterov, +c.first],
  });
  updateRows([param, grad, buf], (round) => constants(hp, first, round), rowF32, rowF64, fused);
}
