import { Node } from "../autograd/node";
import { allocate, type DType } from "../dtype";
import * as k from "../kernels/elementwise";
import { Tensor } from "../tensor";
import { clone, copyInto } from "./movement";

/**
 * An in-place op on a view of a tensor in the graph (torch's CopySlices). The op has already
 * been computed out of place from a copy of the view (`result`, whose graph reaches the view's
 * old history) and written into the shared storage. The base's history is then rebased:
 *
 *   base_new = base_old with the view's elements replaced by result
 *   d base_new / d base_old = identity outside the view, 0 inside;  d base_new / d result = the view's elements
 *
 * and the view becomes a view of base_new (AsStridedBackward: its gradient lands in the view's
 * elements of a zero gradient of the base). Views of the base taken before the op keep their
 * old history, as tensors made from the old values do.
 */
export function rebaseHistory(view: Tensor, base: Tensor, result: Tensor): void {
  const region = geometry(view), whole = geometry(base), length = base._data.length, dtype = base.dtype;
  const copySlices = new Node("CopySlices", [base, result], (g) => {
    const { over, inside } = laidOut(g.dtype, length, whole, region);
    copyInto(over, g);
    const gradResult = clone(inside);
    k.fillView(inside, 0);
    return [clone(over), gradResult];
  });
  base.gradFn = copySlices;
  view.gradFn = new Node("AsStridedBackward", [base], (g) => {
    const { over, inside } = laidOut(dtype, length, whole, region);
    copyInto(inside, g);
    return [clone(over)];
  });
}

interface Geometry {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

const geometry = (t: Tensor): Geometry => ({ shape: t.shape, strides: t.strides, offset: t.offset });

/** A zero buffer as long as the base's storage, seen with the base's layout and the view's. */
function laidOut(dtype: DType, length: number, whole: Geometry, region: Geometry): { over: Tensor; inside: Tensor } {
  const buffer = allocate(dtype, length);
  return {
    over: new Tensor(buffer, whole.shape, whole.strides, whole.offset, dtype),
    inside: new Tensor(buffer, region.shape, region.strides, region.offset, dtype),
  };
}
