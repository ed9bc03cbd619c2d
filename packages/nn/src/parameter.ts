import { keep, Tensor } from "@minigrad/tensor";

/**
 * A tensor that is a module parameter: a leaf that requires grad (unless created with
 * `requiresGrad = false`), as `torch.nn.Parameter`.
 *
 * It wraps the data's storage without copying, so `new Parameter(t)` shares values with
 * `t` (torch does the same), but it is always a fresh leaf: the data's graph is not kept.
 * Module discovers parameters by this class, so plain tensors stay plain attributes.
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) {
      throw new TypeError(`Parameter: expected a Tensor as data, got ${data === null ? "null" : typeof data}`);
    }
    super(data._data, data.shape, data.strides, data.offset, data.dtype);
    // Writes through either tensor are the same writes: share the in-place version counter.
    this._version = data._version;
    this.requiresGrad_(requiresGrad);
    keep(this); // a parameter outlives any tidy scope it is made in
  }

  /** torch's repr: `Parameter containing:\ntensor([...], requires_grad=True)`. */
  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}
