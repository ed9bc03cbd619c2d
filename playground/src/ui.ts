/** Small DOM helpers: the page needs no framework. */

type Attrs = Record<string, string | number | boolean | undefined>;
type Child = Node | string | null | undefined | false;

/** An HTML element with attributes (`on*` handlers are set as listeners elsewhere) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  setAttrs(el, attrs);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? "" : String(v));
  }
}

/** A number for people: 4 significant digits, plain or in exponent form. */
export function fmt(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e5) return Number(x.toPrecision(digits)).toString();
  return x.toExponential(digits - 1);
}

/** A labelled number input. */
export function numberInput(label: string, value: number, attrs: Attrs = {}): { wrap: HTMLLabelElement; input: HTMLInputElement } {
  const input = h("input", { type: "number", value, step: "any", ...attrs });
  return { wrap: h("label", { class: "field" }, `${label} `, input), input };
}

/** A select with the given options. */
export function select(label: string, options: readonly string[], value: string, attrs: Attrs = {}): { wrap: HTMLLabelElement; input: HTMLSelectElement } {
  const input = h("select", attrs, ...options.map((o) => h("option", { value: o, selected: o === value }, o)));
  return { wrap: h("label", { class: "field" }, `${label} `, input), input };
}

export function button(text: string, attrs: Attrs = {}): HTMLButtonElement {
  return h("button", { type: "button", ...attrs }, text);
}

/** A canvas sized for the screen's pixel ratio; draw in CSS pixels. */
export function canvas(width: number, height: number, attrs: Attrs = {}): { el: HTMLCanvasElement; ctx: CanvasRenderingContext2D } {
  const el = h("canvas", { width: width * devicePixelRatio, height: height * devicePixelRatio, style: `width:${width}px;height:${height}px`, ...attrs });
  const ctx = el.getContext("2d");
  if (ctx === null) throw new Error("no 2d canvas");
  ctx.scale(devicePixelRatio, devicePixelRatio);
  return { el, ctx };
}

/** Colours for series (optimizers, classes). */
export const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324", "#469990", "#808000", "#000075", "#a9a9a9", "#bfef45"];
