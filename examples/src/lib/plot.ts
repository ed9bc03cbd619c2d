/**
 * A small SVG writer for the examples' plots: line charts with up to two y axes, and
 * a heat map with contour lines and paths on top (for Rosenbrock). Hand-written
 * so the examples need no drawing dependency; the output opens in any browser.
 */

import { contourSegments, type Segment } from "./contours";

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  color: string;
  /** Which y axis the series is measured on. */
  axis?: "left" | "right";
  /** An SVG stroke-dasharray, e.g. "6 4", so that curves lying on one another stay apart. */
  dash?: string;
}

export interface LineChart {
  title: string;
  xLabel: string;
  leftLabel: string;
  rightLabel?: string;
  series: readonly Series[];
  /** Fixed range for the right axis (e.g. [0, 1] for accuracy). */
  rightRange?: readonly [number, number];
  /** Start the left axis at zero (losses). */
  leftFromZero?: boolean;
  /** A logarithmic left axis (losses that differ by orders of magnitude); ignores `leftFromZero`. */
  leftLog?: boolean;
  /**
   * Where the legend goes: in the plot at mid height (default, clear of training curves), or
   * in a column right of the plot, which widens the chart (many series).
   */
  legend?: "middle-right" | "outside";
}

/** Distinct line colours (matplotlib's tab10, then two more), for one series per run. */
export const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8",
] as const;

const W = 720;
const H = 440;
const M = { left: 70, right: 70, top: 50, bottom: 60 };

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Round numbers for axis ticks: about `count` steps of 1, 2 or 5 times a power of ten. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Ticks of a log axis: 1, 2 and 5 times each power of ten in [lo, hi] (only powers past 4 decades). */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0 && hi > lo)) return [lo];
  const first = Math.floor(Math.log10(lo));
  const last = Math.ceil(Math.log10(hi));
  const mantissas = last - first > 4 ? [1] : [1, 2, 5];
  const out: number[] = [];
  for (let e = first; e <= last; e++) {
    for (const m of mantissas) {
      const v = Number((m * Math.pow(10, e)).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

/** The nearest 1, 2 or 5 times a power of ten below (or above) v > 0. */
function snapLog(v: number, direction: "down" | "up"): number {
  const power = Math.pow(10, Math.floor(Math.log10(v)));
  const steps = [1, 2, 5, 10].map((m) => Number((m * power).toPrecision(12)));
  return direction === "down" ? [...steps].reverse().find((s) => s <= v) ?? power : steps.find((s) => s >= v) ?? 10 * power;
}

function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(v));

/** Axes, ticks, grid, labels, legend and one polyline per series. */
export function lineChartSvg(chart: LineChart): string {
  const plotW = W - M.left - M.right;
  const outside = chart.legend === "outside";
  const width = outside ? W + 230 : W;
  const plotH = H - M.top - M.bottom;
  const all = chart.series.flatMap((s) => s.points);
  const [x0, x1] = extent(all.map((p) => p[0]));
  const yRange = (axis: "left" | "right") =>
    axis === "right" && chart.rightRange
      ? chart.rightRange
      : extent(chart.series.filter((s) => (s.axis ?? "left") === axis).flatMap((s) => s.points.map((p) => p[1])));
  const log = chart.leftLog === true;
  const shown = (y: number, axis: "left" | "right") => Number.isFinite(y) && !(log && axis === "left" && y <= 0);
  const [lLo, lHi] = log
    ? extent(chart.series.filter((s) => (s.axis ?? "left") === "left").flatMap((s) => s.points.map((p) => p[1]).filter((y) => y > 0)))
    : yRange("left");
  // A log axis ends on 1-2-5 ticks around the data.
  const l0 = log ? snapLog(lLo, "down") : chart.leftFromZero ? Math.min(0, lLo) : lLo;
  const l1 = log ? Math.max(snapLog(lHi, "up"), l0 * 2) : lHi;
  const [r0, r1] = yRange("right");
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y: number, axis: "left" | "right") => {
    if (log && axis === "left") return M.top + plotH - (Math.log10(y / l0) / Math.log10(l1 / l0)) * plotH;
    const [a, b] = axis === "left" ? [l0, l1] : [r0, r1];
    return M.top + plotH - ((y - a) / (b - a)) * plotH;
  };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${H}" fill="white"/>`,
    `<text x="${width / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold">${esc(chart.title)}</text>`,
  ];
  for (const t of ticks(x0, x1, 8)) {
    const x = sx(t);
    parts.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + plotH}" stroke="#eee"/>`);
    parts.push(`<text x="${x}" y="${M.top + plotH + 18}" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of log ? logTicks(l0, l1) : ticks(l0, l1, 8)) {
    const y = sy(t, "left");
    parts.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + plotW}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${M.left - 8}" y="${y + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  if (chart.rightLabel) {
    for (const t of ticks(r0, r1, 6)) {
      parts.push(`<text x="${M.left + plotW + 8}" y="${sy(t, "right") + 4}">${fmt(t)}</text>`);
    }
    parts.push(
      `<text transform="translate(${W - 18},${M.top + plotH / 2}) rotate(90)" text-anchor="middle">${esc(chart.rightLabel)}</text>`,
    );
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${M.left + plotW / 2}" y="${H - 18}" text-anchor="middle">${esc(chart.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(20,${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(chart.leftLabel)}</text>`,
  );
  chart.series.forEach((s) => {
    const axis = s.axis ?? "left";
    const pts = s.points.filter((p) => shown(p[1], axis)).map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1], axis).toFixed(1)}`);
    const dash = s.dash === undefined ? "" : ` stroke-dasharray="${s.dash}"`;
    parts.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
  });
  // Legend in a framed box at mid height on the right, where training curves rarely pass, or
  // beside the plot.
  const lx = outside ? W - M.right + (chart.rightLabel ? 50 : 10) : M.left + plotW - 215;
  const top = outside ? M.top + 12 : M.top + plotH * 0.4;
  if (!outside) {
    parts.push(
      `<rect x="${lx - 8}" y="${top - 16}" width="215" height="${chart.series.length * 18 + 10}" fill="white" stroke="#999"/>`,
    );
  }
  chart.series.forEach((s, i) => {
    const ly = top + i * 18;
    const dash = s.dash === undefined ? "" : ` stroke-dasharray="${s.dash}"`;
    parts.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 24}" y2="${ly - 4}" stroke="${s.color}" stroke-width="3"${dash}/>`);
    parts.push(`<text x="${lx + 30}" y="${ly}">${esc(s.name)}${chart.rightLabel ? ` (${s.axis ?? "left"} axis)` : ""}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

export interface ContourChart {
  title: string;
  f: (x: number, y: number) => number;
  xRange: readonly [number, number];
  yRange: readonly [number, number];
  paths: readonly Series[];
  /** Marked points, e.g. the minimum. */
  marks?: readonly { x: number; y: number; label: string }[];
  /** Values of f to draw contour lines at, each labelled (e.g. log-spaced for a steep valley). */
  levels?: readonly number[];
}

const PATH_STYLES = [
  { width: 7, dash: "none", opacity: 0.55 },
  { width: 3.5, dash: "9 5", opacity: 0.9 },
  { width: 1.5, dash: "none", opacity: 1 },
];

/**
 * The function as a heat map of log(1 + f) in bands, contour lines at `levels` (labelled),
 * and optimizer trajectories drawn over it with a legend.
 */
export function contourSvg(chart: ContourChart): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const [x0, x1] = chart.xRange;
  const [y0, y1] = chart.yRange;
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y: number) => M.top + plotH - ((y - y0) / (y1 - y0)) * plotH;
  const cells = 90;
  const values: number[] = [];
  for (let j = 0; j < cells; j++) {
    for (let i = 0; i < cells; i++) {
      const x = x0 + ((i + 0.5) / cells) * (x1 - x0);
      const y = y0 + ((j + 0.5) / cells) * (y1 - y0);
      values.push(Math.log1p(Math.max(chart.f(x, y), 0)));
    }
  }
  const [v0, v1] = extent(values);
  const bands = 12;
  const cw = plotW / cells;
  const ch = plotH / cells;
  // The legend has a column of its own right of the plot, so no path is hidden under it.
  const legendW = 250;
  const width = W + legendW;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${H}" fill="white"/>`,
    `<text x="${width / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold">${esc(chart.title)}</text>`,
  ];
  values.forEach((v, k) => {
    const band = Math.min(bands - 1, Math.floor(((v - v0) / (v1 - v0)) * bands));
    const shade = Math.round(245 - (band / (bands - 1)) * 150);
    const i = k % cells;
    const j = Math.floor(k / cells);
    parts.push(
      `<rect x="${(M.left + i * cw).toFixed(2)}" y="${(M.top + plotH - (j + 1) * ch).toFixed(2)}" width="${(cw + 0.3).toFixed(2)}" height="${(ch + 0.3).toFixed(2)}" fill="rgb(${shade},${shade},255)"/>`,
    );
  });
  const midX = (x0 + x1) / 2;
  for (const { level, segments } of contourSegments(chart.f, chart.xRange, chart.yRange, chart.levels ?? [], 200)) {
    const d = segments
      .map(([ax, ay, bx, by]) => `M${sx(ax).toFixed(1)} ${sy(ay).toFixed(1)}L${sx(bx).toFixed(1)} ${sy(by).toFixed(1)}`)
      .join("");
    parts.push(`<path d="${d}" fill="none" stroke="#335" stroke-width="0.8" opacity="0.6"/>`);
    // Label each line once, where it crosses the middle of the x range highest (labels of
    // nested lines then stack apart instead of crowding one edge).
    const crossing = segments
      .filter(([ax, , bx]) => (ax - midX) * (bx - midX) <= 0)
      .reduce<Segment | null>((best, s) => (best === null || s[1] > best[1] ? s : best), null);
    if (crossing !== null) {
      const y = sy((crossing[1] + crossing[3]) / 2);
      parts.push(
        `<text x="${(sx(midX) + 3).toFixed(1)}" y="${(y - 3).toFixed(1)}" font-size="10" fill="#224">${fmt(level)}</text>`,
      );
    }
  }
  for (const t of ticks(x0, x1, 6)) parts.push(`<text x="${sx(t)}" y="${M.top + plotH + 18}" text-anchor="middle">${fmt(t)}</text>`);
  for (const t of ticks(y0, y1, 6)) parts.push(`<text x="${M.left - 8}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${M.left + plotW / 2}" y="${H - 18}" text-anchor="middle">x</text>`);
  parts.push(`<text x="22" y="${M.top + plotH / 2}" text-anchor="middle">y</text>`);
  chart.paths.forEach((s, i) => {
    const pts = s.points
      .filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]))
      .map((p) => `${sx(Math.min(Math.max(p[0], x0), x1)).toFixed(1)},${sy(Math.min(Math.max(p[1], y0), y1)).toFixed(1)}`);
    // Paths often run along the same valley: draw each wider, thinner or dashed so all stay visible.
    const style = PATH_STYLES[i % PATH_STYLES.length];
    parts.push(
      `<polyline points="${pts.join(" ")}" fill="none" stroke="${s.color}" stroke-width="${style.width}" stroke-dasharray="${style.dash}" opacity="${style.opacity}"/>`,
    );
    // Paths along one valley overlap: a dot marks where each ended.
    const end = pts[pts.length - 1];
    if (end !== undefined) {
      const [ex, ey] = end.split(",");
      parts.push(`<circle cx="${ex}" cy="${ey}" r="4.5" fill="${s.color}" stroke="white" stroke-width="1.2"/>`);
    }
    const lx = M.left + plotW + 16;
    const ly = M.top + 12 + i * 20;
    parts.push(
      `<line x1="${lx + 4}" y1="${ly - 4}" x2="${lx + 28}" y2="${ly - 4}" stroke="${s.color}" stroke-width="${Math.min(style.width, 4)}" stroke-dasharray="${style.dash}"/>`,
    );
    parts.push(`<text x="${lx + 34}" y="${ly}">${esc(s.name)}</text>`);
  });
  for (const m of chart.marks ?? []) {
    parts.push(`<circle cx="${sx(m.x)}" cy="${sy(m.y)}" r="5" fill="red"/>`);
    parts.push(`<text x="${sx(m.x) + 8}" y="${sy(m.y) - 8}" fill="darkred">${esc(m.label)}</text>`);
  }
  parts.push("</svg>");
  return parts.join("\n");
}
