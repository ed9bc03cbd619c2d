import type { Tensor } from "@minigrad/tensor";
import { Module } from "../module";

/** Merge dims startDim..endDim into one (by default all but the batch dim). */
export class Flatten extends Module {
  /**
   * @param startDim - the first dim merged (1: keep the batch dim).
   * @param endDim - the last dim merged, inclusive (-1: the last).
   */
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  /** `input.flatten(startDim, endDim)`: a view when the layout allows it. */
  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
