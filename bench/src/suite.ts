/** The rows of the report, in the order, run one after the other. */
import type { Config } from "./cli";
import { liveTfTensors, type RowResult } from "./row";
import { lenetStepRow } from "./rows/lenet";
import { lstmStepRow } from "./rows/lstm";
import { memoryRow } from "./rows/memory";
import { digitsEpochRow, digitsStepRow, mnistMlpRow } from "./rows/mlp";
import { OP_CASES, matmulRow, opRows } from "./rows/ops";
import { rmspropRow } from "./rows/optim";
import { ADAM_CASE, SGD_CASE, SGD_MOMENTUM_CASE, optimizerStepRow } from "./rows/optim-steps";
import { scalarGraphRow, tinyOpRow } from "./rows/overhead";
import { settle } from "./timing";

export const ROW_IDS: readonly string[] = [
  "mlp784", "matmul512", "rmsprop1e6", "adam1e6", "sgdMomentum1e6", "sgd1e6", ...OP_CASES.map((c) => c.spec.id), "tinyOp", "graph10k", "digitsStep", "digitsEpoch", "lstmStep", "lenetStep", "heap",
];

interface Step {
  ids: readonly string[];
  run: (cfg: Config, want: (id: string) => boolean, onRow: (r: RowResult) => void) => Promise<void>;
}

const one = (id: string, f: (cfg: Config) => Promise<RowResult>): Step => ({
  ids: [id],
  run: async (cfg, _want, onRow) => onRow(await f(cfg)),
});

const STEPS: readonly Step[] = [
  one("mlp784", mnistMlpRow),
  one("matmul512", matmulRow),
  one("rmsprop1e6", rmspropRow),
  one("adam1e6", (cfg) => optimizerStepRow(cfg, ADAM_CASE)),
  one("sgdMomentum1e6", (cfg) => optimizerStepRow(cfg, SGD_MOMENTUM_CASE)),
  one("sgd1e6", (cfg) => optimizerStepRow(cfg, SGD_CASE)),
  { ids: OP_CASES.map((c) => c.spec.id), run: opRows },
  one("tinyOp", tinyOpRow),
  one("graph10k", scalarGraphRow),
  one("digitsStep", digitsStepRow),
  one("digitsEpoch", digitsEpochRow),
  one("lstmStep", lstmStepRow),
  one("lenetStep", lenetStepRow),
  one("heap", (cfg) => memoryRow(cfg)),
];

/** Run the wanted rows; `log` gets one progress line per row (to stderr in main). */
export async function runSuite(cfg: Config, log: (line: string) => void): Promise<RowResult[]> {
  const want = (id: string) => cfg.only === null || cfg.only.has(id);
  const total = ROW_IDS.filter(want).length;
  const rows: RowResult[] = [];
  let started = performance.now();
  for (const step of STEPS) {
    if (!step.ids.some(want)) continue;
    await settle();
    const tensorsBefore = liveTfTensors();
    started = performance.now();
    await step.run(cfg, want, (r) => {
      rows.push(r);
      const s = ((performance.now() - started) / 1000).toFixed(1);
      log(`[${String(rows.length).padStart(2)}/${total}] ${r.id.padEnd(12)} ${s.padStart(5)} s`);
      started = performance.now();
    });
    const leaked = liveTfTensors() - tensorsBefore;
    if (leaked !== 0) rows[rows.length - 1].notes.push(`the bench left ${leaked} TF.js tensors alive after this row`);
  }
  return rows;
}
