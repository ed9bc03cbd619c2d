import { ASGD, LBFGS, Rprop } from "@minigrad/optim";
import {
  BITS, TRACE_KINDS, describeTraces, type AnyOptimizer, type LBFGSCase, type Make, type Tolerance,
  type TraceCase,
} from "./helpers/optim-traces";

// fixtures/optim-more.json: traces recorded from torch.optim's Rprop, ASGD and LBFGS
// (PyTorch 1.13, CPU) by fixtures/gen_optim_more.py.
// Rprop and ASGD: float32 bit for bit; float64 (the same operations in double, without
// torch's FMAs) to 1e-12 relative. LBFGS: see LBFGS_ROSENBROCK.

const MAKE: Record<string, Make> = {
  Rprop: (p, o) => new Rprop(p as never, o) as unknown as AnyOptimizer,
  ASGD: (p, o) => new ASGD(p as never, o) as unknown as AnyOptimizer,
  LBFGS: (p, o) => new LBFGS(p as never, o) as unknown as AnyOptimizer,
};

// LBFGS on Rosenbrock in float32: bit for bit, state and closure calls included (every
// operation of torch's LBFGS, its line search and the loss is emulated). Elsewhere the loss
// and the parameters of every step to 1e-4 relative in float32, 1e-6 in float64, and the
// state's keys: torch's float64 FMAs are not emulated, and minigrad's float32 least-squares
// loss differs from torch's in the last bit (its sums accumulate differently); LBFGS's 40-80
// iterations per run amplify those differences, most in its history near the optimum.
const LBFGS_ROSENBROCK_F32: Tolerance = { f32: "bits", f64: 0 };
const LBFGS_APPROXIMATE: Tolerance = { f32: 1e-4, f64: 1e-6, stateValues: false };
const lbfgsTolerance = (c: LBFGSCase) =>
  c.problem === "rosenbrock" && c.dtype === "float32" ? LBFGS_ROSENBROCK_F32 : LBFGS_APPROXIMATE;

const tolerance = (c: TraceCase) => (c.kind === "lbfgs" ? lbfgsTolerance(c) : BITS);
// LBFGS is driven by its closure alone: its cases are all of the lbfgs kind.
const kinds = (optimizer: string) => (optimizer === "LBFGS" ? ["lbfgs"] : TRACE_KINDS);

describeTraces("optim-more.json", MAKE, tolerance, kinds);
