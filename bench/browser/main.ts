/**
 * Two rows of the bench in the page: the 784-256-10 MLP step (batch 64, RMSprop; ms per
 * step over 8 consecutive steps) and the 512x512 float32 matmul (GFLOP/s), minigrad against
 * TF.js's wasm backend, built and fed as in the Node bench (src/models.ts, src/data.ts).
 * Implementations take turns, one timed sample each, after a warm-up; medians are reported.
 */
import { memoryStats, tensor } from "@minigrad/tensor";
import { disposeTfBatches, initWeights, makeBatch, mgBatch, mgTrainer, tfBatch, tfTrainer, type MlpShape, type TfBatch } from "../src/models";
import { randnF32 } from "../src/data";
import { initTfjs, tf, type TfjsBrowserInfo } from "./tfjs";

export interface BrowserBenchRow {
  id: string;
  unit: string;
  minigrad: number;
  tfjsWasm: number;
  samples: number;
  /** a check that both computed the same thing */
  agreement: string;
}

export interface BrowserBench {
  userAgent: string;
  crossOriginIsolated: boolean;
  arena: boolean;
  hardwareConcurrency: number;
  tfjs: TfjsBrowserInfo;
  rows: BrowserBenchRow[];
}

declare global {
  interface Window {
    __bench?: BrowserBench | { error: string };
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Alternate the contenders (each order in turn), `warmup` untimed rounds, then `samples` timed ones. */
function race(contenders: (() => number)[], warmup: number, samples: number): number[][] {
  for (let i = 0; i < warmup; i++) for (const c of contenders) c();
  const times = contenders.map(() => [] as number[]);
  for (let s = 0; s < samples; s++) {
    const order = s % 2 === 0 ? contenders.map((_, i) => i) : contenders.map((_, i) => contenders.length - 1 - i);
    for (const i of order) times[i].push(contenders[i]());
  }
  return times;
}

const MNIST: MlpShape = { input: 784, hidden: 256, output: 10 };
const STEPS = 8;

async function mlpRow(): Promise<BrowserBenchRow> {
  const weights = initWeights(MNIST, 100);
  const batches = Array.from({ length: STEPS }, (_, i) => makeBatch(MNIST, 64, 101 + 2 * i));
  const mg = mgTrainer(MNIST, weights);
  const mgData = batches.map((b) => mgBatch(MNIST, b));
  const tfT = await tfTrainer("wasm", MNIST, weights);
  const tfData: TfBatch[] = [];
  for (const b of batches) tfData.push(await tfBatch("wasm", MNIST, b));
  const first: number[] = [];
  const epoch = (step: (i: number) => number, slot: number) => () => {
    const t0 = performance.now();
    for (let i = 0; i < STEPS; i++) {
      const loss = step(i);
      first[slot] ??= loss;
    }
    return (performance.now() - t0) / STEPS;
  };
  const [a, b] = race([epoch((i) => mg.step(mgData[i]), 0), epoch((i) => tfT.step(tfData[i]), 1)], 15, 15);
  tfT.dispose();
  disposeTfBatches(tfData);
  return {
    id: "mlp784", unit: "ms per step", minigrad: median(a), tfjsWasm: median(b), samples: a.length,
    agreement: `first loss: minigrad ${first[0].toFixed(6)}, TF.js ${first[1].toFixed(6)}`,
  };
}

function matmulRow(): BrowserBenchRow {
  const N = 512;
  const aData = randnF32(N * N, 2000);
  const bData = randnF32(N * N, 2001);
  const ma = tensor(aData, { shape: [N, N] });
  const mb = tensor(bData, { shape: [N, N] });
  const ta = tf.tensor2d(aData, [N, N]);
  const tb = tf.tensor2d(bData, [N, N]);
  let mgOut: Float32Array | null = null;
  let tfOut: Float32Array | null = null;
  const mgRun = () => {
    const t0 = performance.now();
    const r = ma.matmul(mb);
    const ms = performance.now() - t0;
    mgOut ??= Float32Array.from(r.toTypedArray());
    r.dispose();
    return ms;
  };
  const tfRun = () => {
    const t0 = performance.now();
    const r = tf.matMul(ta, tb);
    const ms = performance.now() - t0; // as the Node bench: the readback (dataSync) is not timed
    tfOut ??= r.dataSync() as Float32Array;
    r.dispose();
    return ms;
  };
  const [a, b] = race([mgRun, tfRun], 10, 30);
  tf.dispose([ta, tb]);
  let err = 0;
  const x = mgOut as Float32Array | null, y = tfOut as Float32Array | null;
  if (x !== null && y !== null) for (let i = 0; i < x.length; i++) err = Math.max(err, Math.abs(x[i] - y[i]));
  const gflops = (ms: number) => (2 * N ** 3) / (ms * 1e6);
  return {
    id: "matmul512", unit: "GFLOP/s", minigrad: gflops(median(a)), tfjsWasm: gflops(median(b)), samples: a.length,
    agreement: `max |minigrad - TF.js| = ${err.toExponential(2)}`,
  };
}

setTimeout(async () => {
  const out = document.getElementById("out") as HTMLElement;
  try {
    const tfjs = await initTfjs();
    const rows = [await mlpRow(), matmulRow()];
    const result: BrowserBench = {
      userAgent: navigator.userAgent, crossOriginIsolated, arena: memoryStats().arena,
      hardwareConcurrency: navigator.hardwareConcurrency, tfjs, rows,
    };
    window.__bench = result;
    out.textContent = JSON.stringify(result, null, 2);
  } catch (e) {
    window.__bench = { error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) };
    out.textContent = String(e);
  }
}, 0);
