import { ArgumentError, Tensor, isFloating, keep, noGrad, type DType } from "@minigrad/tensor";
import type { MemberHost } from "./members";
import { Parameter } from "./parameter";

/**
 * `Module.to(dtype)`: every floating-point parameter and buffer of the given modules is
 * replaced by a copy of the new dtype (integer buffers such as `num_batches_tracked` stay).
 * torch rebinds `param.data` and keeps the Parameter object; minigrad's tensors have a
 * fixed dtype, so each parameter becomes a new Parameter (its requiresGrad and grad
 * converted too). A parameter shared by several modules stays shared. Optimizers hold the
 * parameters they were given: build them after converting, as torch's docs advise.
 */
export function convertModules(modules: Iterable<MemberHost>, dtype: DType): void {
  if (!isFloating(dtype)) {
    throw new ArgumentError(`nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=${dtype}`);
  }
  const converted = new Map<Tensor, Tensor>();
  const convert = (value: unknown, isBuffer: boolean): unknown => {
    if (!(value instanceof Tensor) || !isFloating(value.dtype) || value.dtype === dtype) return value;
    if (!isBuffer && !(value instanceof Parameter)) return value;
    let out = converted.get(value);
    if (out === undefined) {
      const data = noGrad(() => value.to(dtype).contiguous());
      if (value instanceof Parameter) {
        const p = new Parameter(data, value.requiresGrad);
        if (value.grad !== null) p.grad = noGrad(() => (value.grad as Tensor).to(dtype));
        out = p;
      } else {
        out = keep(data);
      }
      converted.set(value, out);
    }
    return out;
  };
  for (const module of modules) {
    const fields = module as unknown as Record<string, unknown>;
    for (const key of Object.keys(module)) {
      const value = fields[key];
      const isBuffer = module._bufferNames.has(key);
      if (Array.isArray(value)) value.forEach((item: unknown, i) => { value[i] = convert(item, false); });
      else fields[key] = convert(value, isBuffer);
    }
  }
}
