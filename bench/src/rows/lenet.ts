/**
 * One LeNet-style training step (issue 15): batch 64 of 1x28x28, conv 5x5 (16) -> relu ->
 * max pool 2 -> conv 5x5 (32) -> relu -> max pool 2 -> linear (512 -> 10), cross entropy,
 * backward and an RMSprop update, ending with the loss read back. minigrad's Conv2d /
 * MaxPool2d / Linear (NCHW) inside `tidy` against TF.js (NHWC, its layout) through
 * optimizer.minimize, from the same weights (TF.js's kernels are minigrad's transposed to
 * [kh, kw, in, out], the dense one permuted to NHWC's flatten order), so the first losses agree.
 * TF.js's wasm backend has no Conv2DBackpropFilter kernel, so tf.conv2d cannot be trained
 * there; each convolution is the same one as tf.conv3d over a depth of 1 (whose filter and
 * input gradients wasm has), on both TF.js backends, followed by tf.maxPool and tf.matMul.
 */
import { noGrad, tensor, tidy, type Tensor } from "@minigrad/tensor";
import { Conv2d, Linear, MaxPool2d, Module, functional as F } from "@minigrad/nn";
import { RMSprop } from "@minigrad/optim";
import type { Config } from "../cli";
import { randnF32, uniformF32 } from "../data";
import { ALPHA, EPS, LR } from "../models";
import { finishRow, measureRow, plannedImpls, tfBackendOf, type RowResult, type RowSpec } from "../row";
import { tf, useBackend } from "../tfjs";
import type { Contender } from "../timing";

const B = 64, C1 = 16, C2 = 32, K = 5, CLASSES = 10;
const FLAT = C2 * 4 * 4;

const spec: RowSpec = {
  id: "lenetStep",
  label: "LeNet conv5x5(16)-pool-conv5x5(32)-pool-fc b64 step (fwd+bwd+RMSprop)",
  unit: "ms",
  better: "lower",
  target: { kind: "speedVs", impl: "tfjs-wasm", factor: 1.5 },
  targetText: ">= 1.5x TF.js wasm",
  heavy: true,
  quickSkipsCpu: true,
};

class LeNet extends Module {
  conv1 = new Conv2d(1, C1, K);
  conv2 = new Conv2d(C1, C2, K);
  pool = new MaxPool2d(2);
  fc = new Linear(FLAT, CLASSES);

  forward(x: Tensor): Tensor {
    const a = this.pool.forward(F.relu(this.conv1.forward(x)));
    const b = this.pool.forward(F.relu(this.conv2.forward(a)));
    return this.fc.forward(b.flatten(1));
  }
}

/** (out, in, kh, kw) -> (kh, kw, in, out): TF.js's conv2d filter layout. */
function toHwio(w: Float32Array, o: number, i: number, k: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) {
    out[((y * k + x) * i + b) * o + a] = w[((a * i + b) * k + y) * k + x];
  }
  return out;
}

/** Linear's (10, 512) over NCHW's flatten order (c, h, w) -> TF.js's (512, 10) over NHWC's (h, w, c). */
function toDenseNhwc(w: Float32Array): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < CLASSES; o++) for (let c = 0; c < C2; c++) for (let p = 0; p < 16; p++) {
    out[(p * C2 + c) * CLASSES + o] = w[o * FLAT + c * 16 + p];
  }
  return out;
}

export async function lenetStepRow(cfg: Config): Promise<RowResult> {
  const w1 = randnF32(C1 * K * K, 1601, 0.2), b1 = randnF32(C1, 1602, 0.1);
  const w2 = randnF32(C2 * C1 * K * K, 1603, 0.05), b2 = randnF32(C2, 1604, 0.1);
  const w3 = randnF32(CLASSES * FLAT, 1605, 0.04), b3 = randnF32(CLASSES, 1606, 0.1);
  const x = uniformF32(B * 28 * 28, 1607, 0, 1);
  const labels = Int32Array.from(uniformF32(B, 1608, 0, CLASSES), (v) => Math.floor(v));
  const { run, skipped } = plannedImpls(cfg, spec);
  const contenders: Contender[] = [];
  const cleanup: (() => void)[] = [];
  const firstLoss: Record<string, number> = {};

  for (const impl of run) {
    if (impl === "minigrad") {
      const model = new LeNet();
      noGrad(() => {
        model.loadStateDict({
          "conv1.weight": tensor(w1, { shape: [C1, 1, K, K] }), "conv1.bias": tensor(b1, { shape: [C1] }),
          "conv2.weight": tensor(w2, { shape: [C2, C1, K, K] }), "conv2.bias": tensor(b2, { shape: [C2] }),
          "fc.weight": tensor(w3, { shape: [CLASSES, FLAT] }), "fc.bias": tensor(b3, { shape: [CLASSES] }),
        });
      });
      const xs = tensor(x, { shape: [B, 1, 28, 28] }), ys = tensor(labels, { shape: [B], dtype: "int32" });
      const optimizer = new RMSprop(model.parameters(), { lr: LR, alpha: ALPHA, eps: EPS });
      contenders.push({
        impl,
        run: () => {
          const t0 = performance.now();
          const value = tidy(() => {
            optimizer.zeroGrad();
            const loss = F.crossEntropy(model.forward(xs), ys);
            loss.backward();
            optimizer.step();
            return loss.item();
          });
          firstLoss[impl] ??= value;
          return { ms: performance.now() - t0 };
        },
      });
    } else {
      const backend = tfBackendOf(impl);
      await useBackend(backend);
      const variable = (data: Float32Array, dims: number[]): tf.Variable => {
        const init = tf.tensor(data, dims, "float32");
        const v = tf.variable(init);
        init.dispose();
        return v;
      };
      const vars = [
        variable(toHwio(w1, C1, 1, K), [K, K, 1, C1]), variable(b1, [C1]),
        variable(toHwio(w2, C2, C1, K), [K, K, C1, C2]), variable(b2, [C2]),
        variable(toDenseNhwc(w3), [FLAT, CLASSES]), variable(b3, [CLASSES]),
      ];
      const [k1, c1, k2, c2, k3, c3] = vars;
      /** A valid 5x5 convolution of NHWC x as tf.conv3d over depth 1 (trainable on wasm). */
      const conv = (input: tf.Tensor, filter: tf.Tensor, size: number, out: number): tf.Tensor4D => {
        const [n, h, w, c] = input.shape;
        const x5 = tf.reshape(input, [n, 1, h, w, c]) as tf.Tensor5D;
        const f5 = tf.reshape(filter, [1, K, K, c, out]) as tf.Tensor5D;
        return tf.reshape(tf.conv3d(x5, f5, 1, "valid"), [n, size, size, out]);
      };
      const xs = tf.tensor4d(x, [B, 28, 28, 1]); // one channel: NCHW and NHWC hold the same numbers
      const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, "int32"), CLASSES).toFloat());
      const optimizer = tf.train.rmsprop(LR, ALPHA, 0, EPS, false);
      cleanup.push(() => {
        optimizer.dispose();
        tf.dispose([...vars, xs, ys]);
      });
      contenders.push({
        impl,
        before: () => useBackend(backend),
        run: () => {
          const t0 = performance.now();
          const cost = optimizer.minimize(() => {
            const a = tf.maxPool(tf.relu(tf.add(conv(xs, k1, 24, C1), c1)) as tf.Tensor4D, 2, 2, "valid");
            const b = tf.maxPool(tf.relu(tf.add(conv(a, k2, 8, C2), c2)) as tf.Tensor4D, 2, 2, "valid");
            const logits = tf.add(tf.matMul(tf.reshape(b, [B, FLAT]), k3), c3);
            return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
          }, true, vars);
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
    return finishRow(spec, cells, notes, { firstLoss, batch: B, lr: LR });
  } finally {
    for (const c of cleanup) c();
  }
}
