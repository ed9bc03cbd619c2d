import { ShapeError, Tensor, cat, noGrad } from "@minigrad/tensor";
import { typeName } from "../members";

/**
 * All parameters flattened and joined into one 1-D tensor, in order, as
 * `torch.nn.utils.parameters_to_vector` (`cat` of each `param.view(-1)`: differentiable, a
 * copy; a parameter whose strides do not allow a flat view throws `view`'s error).
 */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  const flat: Tensor[] = [];
  for (const param of parameters) {
    if (!(param instanceof Tensor)) throw new TypeError(`expected Tensor, but got: ${typeName(param)}`);
    flat.push(param.view([-1]));
  }
  return cat(flat);
}

/**
 * Copy consecutive slices of `vec` into the parameters, in order, as
 * `torch.nn.utils.vector_to_parameters`. Everything is checked before any parameter
 * changes: `vec` must be a tensor (`expected Tensor, but got: number`) and hold enough
 * elements (torch's view error, `shape '[2, 3]' is invalid for input of size 4`); extra
 * elements are ignored, as torch. The values are copied under noGrad and cast to each
 * parameter's dtype (torch instead rebinds `param.data` to a view of `vec`, sharing its
 * storage and taking its dtype).
 */
export function vectorToParameters(vec: Tensor, parameters: Iterable<Tensor>): void {
  if (!(vec instanceof Tensor)) throw new TypeError(`expected Tensor, but got: ${typeName(vec)}`);
  const flat = vec.ndim === 1 ? vec : vec.reshape([-1]);
  const params = Array.from(parameters);
  const slices: [Tensor, Tensor][] = [];
  let pointer = 0;
  for (const param of params) {
    if (!(param instanceof Tensor)) throw new TypeError(`expected Tensor, but got: ${typeName(param)}`);
    const n = param.numel;
    const available = Math.max(0, Math.min(n, flat.numel - pointer));
    if (available !== n) {
      throw new ShapeError(`shape '[${param.shape.join(", ")}]' is invalid for input of size ${available}`);
    }
    slices.push([param, flat.narrow(0, pointer, n).view(param.shape)]);
    pointer += n;
  }
  noGrad(() => {
    for (const [param, slice] of slices) param.copy_(slice);
  });
}
