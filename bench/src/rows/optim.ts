/**
 * One RMSprop step over 1e6 float32 parameters with a given gradient: minigrad's RMSprop
 * on a tensor whose `.grad` is set, against tf.train.rmsprop's applyGradients on a
 * tf.variable. Same options (lr, alpha = decay 0.99, eps 1e-8, no momentum); TF.js puts
 * eps inside the square root (sqrt(v + eps)), minigrad and PyTorch after it
 * (sqrt(v) + eps), so the updates differ slightly while the work is the same.
 * The lr is tiny so the parameters stay put however many steps run.
 */
import { tensor } from "@minigrad/tensor";
import { RMSprop } from "@minigrad/optim";
import type { Config } from "../cli";
import { randnF32 } from "../data";
import { ALPHA, EPS } from "../models";
import { finishRow, measureRow, plannedImpls, tfBackendOf, type RowResult, type RowSpec } from "../row";
import { tf, useBackend } from "../tfjs";
import type { Contender } from "../timing";

const N = 1_000_000;
const STEP_LR = 1e-6;

const spec: RowSpec = {
  id: "rmsprop1e6",
  label: "RMSprop step, 1e6 float32 params",
  unit: "ms",
  better: "lower",
  target: { kind: "atMost", value: 1 },
  targetText: "<= 1 ms",
  heavy: true,
  quickSkipsCpu: true,
  reference: { pytorch: 0.71, tfjsWasm: 5.5, tfjsCpu: 304, jsPytorch: 1700, plainJs: 3.45 },
};

export async function rmspropRow(cfg: Config): Promise<RowResult> {
  const pData = randnF32(N, 3000);
  const gData = randnF32(N, 3001, 1e-2);
  const { run, skipped } = plannedImpls(cfg, spec);
  const contenders: Contender[] = [];
  const cleanup: (() => void)[] = [];
  for (const impl of run) {
    if (impl === "minigrad") {
      const p = tensor(pData, { shape: [N], requiresGrad: true });
      p.grad = tensor(gData, { shape: [N] });
      const opt = new RMSprop([p], { lr: STEP_LR, alpha: ALPHA, eps: EPS });
      contenders.push({
        impl,
        run: () => {
          const t0 = performance.now();
          opt.step();
          return { ms: performance.now() - t0 };
        },
      });
    } else {
      const backend = tfBackendOf(impl);
      await useBackend(backend);
      const init = tf.tensor1d(pData);
      const v = tf.variable(init);
      init.dispose();
      const g = tf.tensor1d(gData);
      const opt = tf.train.rmsprop(STEP_LR, ALPHA, 0, EPS, false);
      const grads: tf.NamedTensorMap = { [v.name]: g };
      cleanup.push(() => {
        opt.dispose();
        tf.dispose([v, g]);
      });
      contenders.push({
        impl,
        before: () => useBackend(backend),
        run: () => {
          const t0 = performance.now();
          opt.applyGradients(grads);
          const t1 = performance.now();
          v.dataSync();
          return { ms: t1 - t0, readbackMs: performance.now() - t1 };
        },
      });
    }
  }
  try {
    const { cells } = await measureRow(cfg, spec, contenders, (ms) => ms, skipped);
    const notes = ["RMSprop: TF.js puts eps inside the sqrt (sqrt(v + eps)); minigrad/PyTorch: sqrt(v) + eps"];
    return finishRow(spec, cells, notes, { params: N, lr: STEP_LR, alpha: ALPHA, eps: EPS });
  } finally {
    for (const c of cleanup) c();
  }
}
