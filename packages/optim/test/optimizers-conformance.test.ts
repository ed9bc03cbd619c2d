import { Adagrad, Adam, AdamW, SGD } from "@minigrad/optim";
import { describeTraces, type AnyOptimizer } from "./helpers/optim-traces";

// fixtures/optim-core.json: traces recorded from torch.optim's SGD, Adam, AdamW and Adagrad
// (PyTorch 1.13's CPU for-loop path) by fixtures/gen_optim_core.py. float32 must match bit
// for bit; float64 (the same operations in double, without torch's FMAs) to 1e-12 relative.

describeTraces("optim-core.json", {
  SGD: (p, o) => new SGD(p as never, o) as unknown as AnyOptimizer,
  Adam: (p, o) => new Adam(p as never, o) as unknown as AnyOptimizer,
  AdamW: (p, o) => new AdamW(p as never, o) as unknown as AnyOptimizer,
  Adagrad: (p, o) => new Adagrad(p as never, o) as unknown as AnyOptimizer,
});
