import { Tensor, TensorError, noGrad, tensor, type TypedArray } from "@minigrad/tensor";

/** Parameters as torch's utils take them: one tensor or an iterable of tensors (a generator is consumed once). */
export type TensorOrTensors = Tensor | Iterable<Tensor>;

function listOf(parameters: TensorOrTensors): Tensor[] {
  return parameters instanceof Tensor ? [parameters] : Array.from(parameters);
}

/** Options of `clipGradNorm_`. */
export interface ClipGradNormOptions {
  /** The p of the p-norm (2); `Infinity` for the max norm, any other number (1, 0.5, 0, -Infinity) as torch.norm. */
  normType?: number;
  /** Throw, instead of scaling by a NaN or infinite norm (false). */
  errorIfNonfinite?: boolean;
}

/** Every element of `t` in row-major order, whatever its strides. */
function forEachValue(t: Tensor, fn: (x: number) => void): void {
  const { shape, strides, offset } = t;
  const storage: TypedArray = t._data;
  const n = t.numel;
  if (n === 0) return;
  const index = new Array<number>(shape.length).fill(0);
  let at = offset;
  for (let k = 0; k < n; k++) {
    fn(storage[at]);
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]++;
      at += strides[d];
      if (index[d] < shape[d]) break;
      at -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
}

/** torch.norm(values, p) in double precision. */
function pNorm(each: (fn: (x: number) => void) => void, p: number): number {
  if (p === Infinity || p === -Infinity) {
    let m = p === Infinity ? -Infinity : Infinity;
    let nan = false;
    each((x) => {
      const a = Math.abs(x);
      if (Number.isNaN(a)) nan = true;
      else m = p === Infinity ? Math.max(m, a) : Math.min(m, a);
    });
    return nan ? NaN : m;
  }
  let acc = 0;
  if (p === 0) each((x) => (acc += x !== 0 ? 1 : 0));
  else if (p === 1) each((x) => (acc += Math.abs(x)));
  else if (p === 2) each((x) => (acc += x * x));
  else each((x) => (acc += Math.abs(x) ** p));
  if (p === 0 || p === 1) return acc;
  return p === 2 ? Math.sqrt(acc) : acc ** (1 / p);
}

/**
 * Scale the gradients of `parameters` in place so that their total norm (the norm of all
 * grads together, as one vector) is at most `maxNorm`, as `torch.nn.utils.clip_grad_norm_`:
 * the coefficient `maxNorm / (totalNorm + 1e-6)`, clamped to 1, multiplies every grad
 * (under noGrad). Parameters whose grad is null are skipped. Returns the total norm before
 * clipping as a 0-d tensor (float64 if any grad is float64, else float32; `tensor(0)`
 * without grads).
 *
 * Each grad's norm is computed in double precision and rounded to the grad's dtype (torch
 * reduces float32 in float32: the last bit may differ); the coefficient then follows torch's
 * operations in the norm's dtype (`(1 / (norm + 1e-6)) * maxNorm`).
 *
 * @throws TensorError with torch's text when the norm is NaN or infinite and `errorIfNonfinite`.
 */
export function clipGradNorm_(
  parameters: TensorOrTensors,
  maxNorm: number,
  { normType = 2, errorIfNonfinite = false }: ClipGradNormOptions = {},
): Tensor {
  const grads = listOf(parameters)
    .map((p) => p.grad)
    .filter((g): g is Tensor => g !== null);
  maxNorm = Number(maxNorm);
  normType = Number(normType);
  if (grads.length === 0) return tensor(0);
  const dtype = grads.some((g) => g.dtype === "float64") ? "float64" : "float32";
  const round = dtype === "float32" ? Math.fround : (x: number) => x;
  const norms = grads.map((g) => {
    const r = g.dtype === "float64" ? (x: number) => x : Math.fround;
    return r(pNorm((fn) => forEachValue(g, fn), normType));
  });
  let total: number;
  if (normType === Infinity) total = norms.length === 1 ? norms[0] : norms.some(Number.isNaN) ? NaN : Math.max(...norms);
  else total = round(pNorm((fn) => norms.forEach(fn), normType));
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new TensorError(
      `The total norm of order ${pyFloat(normType)} for gradients from \`parameters\` is non-finite, so it cannot be ` +
        "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set " +
        "`errorIfNonfinite=False`",
    );
  }
  const coef = round(round(1 / round(total + round(1e-6))) * round(maxNorm));
  const clamped = Number.isNaN(coef) ? coef : Math.min(coef, 1.0);
  noGrad(() => {
    for (const g of grads) g.mul_(g.dtype === "float64" ? clamped : Math.fround(clamped));
  });
  return tensor(total, { dtype });
}

/** Python's str(float): `2.0`, `inf`, `0.5`. */
function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

/**
 * Clamp every gradient of `parameters` to [-clipValue, clipValue] in place, as
 * `torch.nn.utils.clip_grad_value_` (parameters whose grad is null are skipped).
 */
export function clipGradValue_(parameters: TensorOrTensors, clipValue: number): void {
  const value = Number(clipValue);
  noGrad(() => {
    for (const p of listOf(parameters)) {
      if (p.grad !== null) p.grad.clamp_(-value, value);
    }
  });
}
