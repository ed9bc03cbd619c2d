/**
 * A PNG copy of an SVG plot, when the optional `@resvg/resvg-js` renderer is installed
 * (it ships prebuilt for common platforms and needs no system package; text uses the
 * system's fonts). Returns the PNG's path, or null when no renderer is available.
 */
export async function writePng(svgPath: string, svg: string): Promise<string | null> {
  let Resvg: typeof import("@resvg/resvg-js").Resvg;
  try {
    ({ Resvg } = await import("@resvg/resvg-js"));
  } catch {
    return null;
  }
  const { writeFileSync } = await import("node:fs");
  const png = new Resvg(svg, { background: "white", fitTo: { mode: "zoom", value: 1.5 } }).render().asPng();
  const pngPath = svgPath.replace(/\.svg$/, ".png");
  writeFileSync(pngPath, png);
  return pngPath;
}
