/**
 * Contour lines of f(x, y) by marching squares: f is sampled on a grid, and in each cell
 * where a level lies between corner values, the crossing points on the cell's edges are
 * found by linear interpolation and joined by a segment.
 */

/** One piece of a contour line, in the function's coordinates. */
export type Segment = readonly [x0: number, y0: number, x1: number, y1: number];

/** The segments of every level over [x0, x1] x [y0, y1], on a `cells` x `cells` grid. */
export function contourSegments(
  f: (x: number, y: number) => number,
  [x0, x1]: readonly [number, number],
  [y0, y1]: readonly [number, number],
  levels: readonly number[],
  cells = 120,
): { level: number; segments: Segment[] }[] {
  const n = cells + 1;
  const xs = Array.from({ length: n }, (_, i) => x0 + (i / cells) * (x1 - x0));
  const ys = Array.from({ length: n }, (_, j) => y0 + (j / cells) * (y1 - y0));
  const v = new Float64Array(n * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) v[j * n + i] = f(xs[i], ys[j]);
  return levels.map((level) => {
    const segments: Segment[] = [];
    for (let j = 0; j < cells; j++) {
      for (let i = 0; i < cells; i++) {
        // Corners counter-clockwise from bottom left, and the four edges between them.
        const corners = [
          [xs[i], ys[j], v[j * n + i]],
          [xs[i + 1], ys[j], v[j * n + i + 1]],
          [xs[i + 1], ys[j + 1], v[(j + 1) * n + i + 1]],
          [xs[i], ys[j + 1], v[(j + 1) * n + i]],
        ] as const;
        const crossings: [number, number][] = [];
        for (let e = 0; e < 4; e++) {
          const [ax, ay, av] = corners[e];
          const [bx, by, bv] = corners[(e + 1) % 4];
          if (av < level === bv < level) continue;
          const t = (level - av) / (bv - av);
          crossings.push([ax + t * (bx - ax), ay + t * (by - ay)]);
        }
        // Two crossings: one segment. Four (a saddle cell): pair them in edge order, which
        // can join the wrong pair at a saddle, invisible at this grid size.
        for (let k = 0; k + 1 < crossings.length; k += 2) {
          const [a, b] = [crossings[k], crossings[k + 1]];
          segments.push([a[0], a[1], b[0], b[1]]);
        }
      }
    }
    return { level, segments };
  });
}
