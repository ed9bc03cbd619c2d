import * as k from "../kernels/elementwise";
import { Tensor, checkAlive } from "../tensor";
import { broadcastPair } from "./elementwise";

export type Comparison = "gt" | "lt" | "ge" | "le" | "eq" | "ne";

/** Elementwise comparison into a bool tensor; carries no gradient (as torch). */
export function compare(op: Comparison, a: Tensor, b: Tensor | number): Tensor {
  checkAlive(op, a);
  if (b instanceof Tensor) checkAlive(op, b);
  const [x, y, shape] = broadcastPair(op, a.detach(), typeof b === "number" ? b : b.detach());
  const out = Tensor.empty(shape, "bool");
  k.mapBinary(k[op], out, x, y);
  return out;
}
