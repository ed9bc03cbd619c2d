/** 2-D classification sets, generated in the page from a seed (minigrad's Generator). */
import { Generator, rand, randn } from "@minigrad/tensor";

export interface Dataset {
  /** n x 2 points, row-major */
  x: Float32Array;
  /** class of each point */
  y: Int32Array;
  classes: number;
}

export const DATASETS = ["spirals", "moons"] as const;
export type DatasetName = (typeof DATASETS)[number];

/** `n` points per class: interleaved spirals (3 arms), or two half moons. */
export function makeDataset(name: DatasetName, n: number, noise: number, seed: number): Dataset {
  const g = new Generator(seed);
  const classes = name === "spirals" ? 3 : 2;
  const u = rand([classes * n], { generator: g }).toTypedArray();
  const e = randn([classes * n * 2], { generator: g }).toTypedArray();
  const x = new Float32Array(classes * n * 2);
  const y = new Int32Array(classes * n);
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < n; i++) {
      const k = c * n + i;
      let px: number, py: number;
      if (name === "spirals") {
        const r = i / n; // radius 0..1 along the arm
        const t = (c * 2 * Math.PI) / classes + r * 4.2 + u[k] * 0.25;
        px = r * Math.sin(t);
        py = r * Math.cos(t);
      } else {
        const t = Math.PI * (i / n + u[k] / n);
        px = c === 0 ? Math.cos(t) - 0.5 : 0.5 - Math.cos(t);
        py = c === 0 ? Math.sin(t) - 0.25 : 0.25 - Math.sin(t);
        px *= 0.9;
        py *= 0.9;
      }
      x[2 * k] = px + noise * e[2 * k];
      x[2 * k + 1] = py + noise * e[2 * k + 1];
      y[k] = c;
    }
  }
  return { x, y, classes };
}
