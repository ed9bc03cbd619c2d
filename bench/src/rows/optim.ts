/**
 * One RMSprop step over 1e6 float32 parameters with a given gradient: minigrad's RMSprop
 * on a tensor whose `.grad` is set, against tf.train.rmsprop's applyGradients on a
 * tf.variable, run by optim-steps.ts's optimizerStepRow like the other optimizers' rows.
 * Same options (lr, alpha = decay 0.99, eps 1e-8, no momentum); TF.js puts eps inside the
 * square root (sqrt(v + eps)), minigrad and PyTorch after it (sqrt(v) + eps), so the updates
 * differ slightly while the work is the same. The lr is tiny so the parameters stay put
 * however many steps run.
 */
import { RMSprop } from "@minigrad/optim";
import type { Config } from "../cli";
import { ALPHA, EPS } from "../models";
import type { RowResult } from "../row";
import { tf } from "../tfjs";
import { optimizerStepRow, type StepCase } from "./optim-steps";

const STEP_LR = 1e-6;

export const RMSPROP_CASE: StepCase = {
  spec: {
    id: "rmsprop1e6",
    label: "RMSprop step, 1e6 float32 params",
    unit: "ms",
    better: "lower",
    target: { kind: "atMost", value: 1 },
    targetText: "<= 1 ms",
    heavy: true,
    quickSkipsCpu: true,
    reference: { pytorch: 0.71, tfjsWasm: 5.5, tfjsCpu: 304, jsPytorch: 1700, plainJs: 3.45 },
  },
  minigrad: (p) => new RMSprop([p], { lr: STEP_LR, alpha: ALPHA, eps: EPS }),
  tfjs: () => tf.train.rmsprop(STEP_LR, ALPHA, 0, EPS, false),
  notes: ["RMSprop: TF.js puts eps inside the sqrt (sqrt(v + eps)); minigrad/PyTorch: sqrt(v) + eps"],
  extra: { params: 1_000_000, lr: STEP_LR, alpha: ALPHA, eps: EPS },
  seed: 3000, // the data this row has always used
};

export function rmspropRow(cfg: Config): Promise<RowResult> {
  return optimizerStepRow(cfg, RMSPROP_CASE);
}
