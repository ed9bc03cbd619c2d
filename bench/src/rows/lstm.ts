/**
 * One LSTM training step (issue 15): batch 32, sequence 32, 64 -> 128 features, the output at
 * every step against a target by mean squared error, backward, and an Adam update, ending
 * with the loss read back. minigrad's `LSTM` (batchFirst) against TF.js's `tf.layers.lstm`
 * (returnSequences, sigmoid gates as torch: TF.js's default recurrent activation is the hard
 * sigmoid), from the same weights: TF.js's kernel is W_ih^T, its recurrent kernel W_hh^T and
 * its one bias b_ih (b_hh is zero), in the same gate order (i, f, g/c, o), so the first losses
 * agree.
 */
import { tensor, noGrad } from "@minigrad/tensor";
import { LSTM, functional as F } from "@minigrad/nn";
import { Adam } from "@minigrad/optim";
import type { Config } from "../cli";
import { randnF32 } from "../data";
import { finishRow, measureRow, plannedImpls, tfBackendOf, type RowResult, type RowSpec } from "../row";
import { tf, useBackend } from "../tfjs";
import type { Contender } from "../timing";

const B = 32, T = 32, IN = 64, H = 128;
const LR = 1e-3;

const spec: RowSpec = {
  id: "lstmStep",
  label: "LSTM 64->128 b32 seq32 step (fwd+bwd+Adam)",
  unit: "ms",
  better: "lower",
  target: { kind: "speedVs", impl: "tfjs-wasm", factor: 3 },
  targetText: ">= 3x TF.js wasm",
  heavy: true,
  quickSkipsCpu: true,
};

/** (rows, cols) row-major -> (cols, rows) row-major. */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

export async function lstmStepRow(cfg: Config): Promise<RowResult> {
  const wIh = randnF32(4 * H * IN, 1501, 0.08), wHh = randnF32(4 * H * H, 1502, 0.08);
  const bIh = randnF32(4 * H, 1503, 0.08);
  const x = randnF32(B * T * IN, 1504), target = randnF32(B * T * H, 1505, 0.5);
  const { run, skipped } = plannedImpls(cfg, spec);
  const contenders: Contender[] = [];
  const cleanup: (() => void)[] = [];
  const firstLoss: Record<string, number> = {};

  for (const impl of run) {
    if (impl === "minigrad") {
      const lstm = new LSTM(IN, H, { batchFirst: true });
      noGrad(() => {
        lstm.loadStateDict({
          weight_ih_l0: tensor(wIh, { shape: [4 * H, IN] }), weight_hh_l0: tensor(wHh, { shape: [4 * H, H] }),
          bias_ih_l0: tensor(bIh, { shape: [4 * H] }), bias_hh_l0: tensor(new Float32Array(4 * H), { shape: [4 * H] }),
        });
      });
      const xs = tensor(x, { shape: [B, T, IN] }), ys = tensor(target, { shape: [B, T, H] });
      const optimizer = new Adam(lstm.parameters(), { lr: LR });
      contenders.push({
        impl,
        run: () => {
          const t0 = performance.now();
          optimizer.zeroGrad();
          const [out] = lstm.forward(xs);
          const loss = F.mseLoss(out, ys);
          loss.backward();
          optimizer.step();
          const value = loss.item();
          firstLoss[impl] ??= value;
          return { ms: performance.now() - t0 };
        },
      });
    } else {
      const backend = tfBackendOf(impl);
      await useBackend(backend);
      const layer = tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: "sigmoid", inputShape: [T, IN] });
      const xs = tf.tensor3d(x, [B, T, IN]), ys = tf.tensor3d(target, [B, T, H]);
      tf.tidy(() => { layer.apply(xs); }); // builds the weights
      const weights = [tf.tensor2d(transpose(wIh, 4 * H, IN), [IN, 4 * H]), tf.tensor2d(transpose(wHh, 4 * H, H), [H, 4 * H]), tf.tensor1d(bIh)];
      layer.setWeights(weights);
      tf.dispose(weights);
      const vars = layer.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read());
      const optimizer = tf.train.adam(LR);
      cleanup.push(() => {
        optimizer.dispose();
        layer.dispose();
        tf.dispose([xs, ys]);
      });
      contenders.push({
        impl,
        before: () => useBackend(backend),
        run: () => {
          const t0 = performance.now();
          const cost = optimizer.minimize(() => tf.losses.meanSquaredError(ys, layer.apply(xs) as tf.Tensor) as tf.Scalar, true, vars);
          if (cost === null) throw new Error("tfjs: minimize returned no cost");
          const value = cost.dataSync()[0];
          cost.dispose();
          firstLoss[impl] ??= value;
          return { ms: performance.now() - t0 };
        },
      });
    }
  }
  try {
    const { cells } = await measureRow(cfg, spec, contenders, (ms) => ms, skipped);
    const notes: string[] = [];
    const mg = firstLoss.minigrad;
    for (const impl of ["tfjs-wasm", "tfjs-cpu"]) {
      const other = firstLoss[impl];
      if (mg !== undefined && other !== undefined && Math.abs(mg - other) > 1e-4 * Math.max(1, Math.abs(mg))) {
        notes.push(`${spec.id}: first loss differs: minigrad ${mg}, ${impl} ${other}`);
      }
    }
    return finishRow(spec, cells, notes, { firstLoss, batch: B, steps: T, input: IN, hidden: H, lr: LR });
  } finally {
    for (const c of cleanup) c();
  }
}
