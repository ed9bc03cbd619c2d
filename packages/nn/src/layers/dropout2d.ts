import type { Tensor } from "@minigrad/tensor";
import { dropout2d } from "../functional/dropout2d";
import { Dropout } from "./dropout";

/**
 * Zeroes whole channels with probability p in training mode, scaling the rest by
 * 1 / (1 - p), as torch.nn.Dropout2d (`F.dropout2d`): for (N, C, H, W) inputs, and, as torch
 * 1.13, (N, C, L) for 3-D ones. The identity after `eval()`.
 */
export class Dropout2d extends Dropout {
  /** In training, each channel of each sample kept (scaled) or zeroed; after `eval()`, the input. */
  override forward(input: Tensor): Tensor {
    return dropout2d(input, { p: this.p, training: this.training, generator: this.generator });
  }
}
