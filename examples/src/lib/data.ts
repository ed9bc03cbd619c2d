import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { Tensor, tensor } from "@minigrad/tensor";

/** A labelled data set: features [n, d] float32 and class indices [n] int32. */
export interface Dataset {
  x: Tensor;
  y: Tensor;
  classes: readonly string[];
}

const dataFile = (name: string) => fileURLToPath(new URL(`../../data/${name}`, import.meta.url));

/** Parse "v,v,...,label" lines; `scale` divides every feature. */
function parseRows(lines: readonly string[], scale: number): { features: number[]; labels: number[]; width: number } {
  const features: number[] = [];
  const labels: number[] = [];
  let width = -1;
  lines.forEach((line, i) => {
    const cells = line.split(",").map(Number);
    if (cells.some((v) => Number.isNaN(v))) throw new Error(`line ${i + 1}: not a number in "${line}"`);
    if (width < 0) width = cells.length - 1;
    if (cells.length - 1 !== width) throw new Error(`line ${i + 1}: expected ${width + 1} values, got ${cells.length}`);
    for (let j = 0; j < width; j++) features.push(cells[j] / scale);
    labels.push(cells[width]);
  });
  return { features, labels, width };
}

function toDataset(rows: ReturnType<typeof parseRows>, classes: readonly string[]): Dataset {
  const n = rows.labels.length;
  return {
    x: tensor(rows.features, { shape: [n, rows.width] }),
    y: tensor(rows.labels, { shape: [n], dtype: "int32" }),
    classes,
  };
}

/** UCI optical digits (1797 images of 8x8 pixels in 0..16), pixels scaled to [0, 1]. */
export function loadDigits(): Dataset {
  const text = gunzipSync(readFileSync(dataFile("digits.csv.gz"))).toString("utf8");
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return toDataset(parseRows(lines, 16), ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
}

/** Fisher's iris: 150 flowers, 4 measurements (cm), 3 species. */
export function loadIris(): Dataset {
  const lines = readFileSync(dataFile("iris.csv"), "utf8").split("\n").filter((l) => l.trim() !== "");
  const header = lines[0].split(",");
  return toDataset(parseRows(lines.slice(1), 1), header.slice(2));
}

/** The SCOWL English word list: 63849 lowercase words of 2+ letters a-z, sorted. */
export function loadWords(): string[] {
  const text = gunzipSync(readFileSync(dataFile("words.txt.gz"))).toString("utf8");
  return text.split("\n").filter((w) => w !== "");
}

/** Rows whose index i satisfies `i % k === 0` go to test, the rest to train (the reference protocol). */
export function splitByIndex(data: Dataset, k: number): { train: Dataset; test: Dataset } {
  const n = data.y.shape[0];
  const testRows: number[] = [];
  const trainRows: number[] = [];
  for (let i = 0; i < n; i++) (i % k === 0 ? testRows : trainRows).push(i);
  return { train: take(data, trainRows), test: take(data, testRows) };
}

/** The rows `indices` of a data set, copied into new tensors. */
export function take(data: Dataset, indices: ArrayLike<number>): Dataset {
  const [n, d] = data.x.shape;
  const x = data.x.contiguous().storage;
  const y = data.y.contiguous().storage;
  const xs = new Float32Array(indices.length * d);
  const ys = new Int32Array(indices.length);
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r];
    if (i < 0 || i >= n) throw new Error(`take: row ${i} out of range for ${n} rows`);
    xs.set(x.subarray(i * d, (i + 1) * d), r * d);
    ys[r] = y[i];
  }
  return { x: new Tensor(xs, [indices.length, d]), y: new Tensor(ys, [indices.length]), classes: data.classes };
}
