/** The printed report: one aligned table with ratios and PASS/MISS, then its notes. */
import type { RowResult } from "./row";
import type { MemoryRun } from "./rows/memory";
import type { Impl } from "./timing";

/** About three significant digits, never scientific notation for ordinary figures. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a >= 0.01) return v.toFixed(3);
  return v.toPrecision(2);
}

export function formatRatio(r: number | null): string {
  if (r === null) return "-";
  if (r >= 10) return `${r.toFixed(0)}x`;
  if (r >= 1) return `${r.toFixed(1)}x`;
  return `${r.toFixed(2)}x`;
}

interface Column {
  title: string;
  align: "left" | "right";
}

/** Render rows of cells under titles, columns padded to their widest cell. */
export function renderGrid(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? "").length)));
  const pad = (s: string, i: number) => (columns[i].align === "left" ? s.padEnd(widths[i]) : s.padStart(widths[i]));
  const line = (cells: readonly string[]) => cells.map((s, i) => pad(s, i)).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(columns.map((c) => c.title)), rule, ...rows.map(line)].join("\n");
}

const IMPL_TITLES: Record<Impl, string> = { minigrad: "minigrad", "tfjs-wasm": "TF.js wasm", "tfjs-cpu": "TF.js cpu" };

/** The main table, plus numbered notes for skipped cells, errors and row notes. */
export function renderReport(rows: readonly RowResult[]): string {
  const notes: string[] = [];
  const mark = (text: string): string => {
    let i = notes.indexOf(text);
    if (i < 0) {
      notes.push(text);
      i = notes.length - 1;
    }
    return `[${i + 1}]`;
  };
  const cell = (r: RowResult, impl: Impl): string => {
    const c = r.cells[impl];
    if (c.kind === "value") return formatNumber(c.value);
    if (c.kind === "skipped") return `skip${mark(c.reason)}`;
    return `error${mark(`${r.id}, ${IMPL_TITLES[impl]}: ${c.message}`)}`;
  };
  const body = rows.map((r) => {
    const marks = r.notes.map((n) => mark(n)).join("");
    return [
      `${r.label}${marks === "" ? "" : ` ${marks}`}`,
      r.unit,
      cell(r, "minigrad"),
      cell(r, "tfjs-wasm"),
      cell(r, "tfjs-cpu"),
      formatRatio(r.ratio.vsWasm),
      formatRatio(r.ratio.vsCpu),
      r.targetText,
      r.status === "n/a" ? "-" : r.status,
    ];
  });
  const columns: Column[] = [
    { title: "work", align: "left" },
    { title: "unit", align: "left" },
    { title: "minigrad", align: "right" },
    { title: "TF.js wasm", align: "right" },
    { title: "TF.js cpu", align: "right" },
    { title: "vs wasm", align: "right" },
    { title: "vs cpu", align: "right" },
    { title: "target (minigrad)", align: "left" },
    { title: "result", align: "left" },
  ];
  const counts = { PASS: 0, MISS: 0 };
  for (const r of rows) if (r.status !== "n/a") counts[r.status]++;
  const lines = [
    renderGrid(columns, body),
    "",
    `vs wasm / vs cpu: minigrad's speed relative to that backend (> 1x: minigrad faster). Medians after warm-up.`,
    `targets met: ${counts.PASS} PASS, ${counts.MISS} MISS`,
  ];
  if (notes.length > 0) lines.push("", ...notes.map((n, i) => `[${i + 1}] ${n}`));
  return lines.join("\n");
}

/** Heap before / after warm-up / at the end of the memory loop, per implementation. */
export function renderHeap(row: RowResult): string {
  const runs = (row.extra.runs ?? {}) as Partial<Record<Impl, MemoryRun>>;
  const body: string[][] = [];
  for (const impl of ["minigrad", "tfjs-wasm", "tfjs-cpu"] as const) {
    const r = runs[impl];
    if (r === undefined) continue;
    body.push([
      IMPL_TITLES[impl],
      String(r.steps),
      r.before.totalMB.toFixed(1),
      r.afterWarmup.totalMB.toFixed(1),
      r.end.totalMB.toFixed(1),
      formatNumber(r.growthMB),
      impl === "minigrad" ? "-" : `${r.afterWarmup.tfTensors} -> ${r.end.tfTensors}`,
      formatNumber(r.msPerStep),
    ]);
  }
  if (body.length === 0) return "";
  const columns: Column[] = [
    { title: "memory (MB, heapUsed + external)", align: "left" },
    { title: "steps", align: "right" },
    { title: "before", align: "right" },
    { title: "after warm-up", align: "right" },
    { title: "end", align: "right" },
    { title: "growth", align: "right" },
    { title: "TF.js tensors", align: "right" },
    { title: "ms/step", align: "right" },
  ];
  return renderGrid(columns, body);
}
