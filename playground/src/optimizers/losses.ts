/**
 * 2-D losses for the optimizer race: each written twice, with minigrad ops (what the
 * optimizers differentiate) and in plain float64 (to draw the contours).
 */
import type { Tensor } from "@minigrad/tensor";

export interface Loss2D {
  name: string;
  formula: string;
  /** the loss of a 2-element parameter, with minigrad ops */
  tensor(p: Tensor): Tensor;
  /** the same in float64, for the contour plot */
  f(x: number, y: number): number;
  /** the plotted region: [xmin, xmax, ymin, ymax] */
  region: [number, number, number, number];
  start: [number, number];
  minima: [number, number][];
}

const xy = (p: Tensor): [Tensor, Tensor] => [p.select(0, 0), p.select(0, 1)];

export const LOSSES: Loss2D[] = [
  {
    name: "Rosenbrock",
    formula: "(1 − x)² + 100 (y − x²)²",
    tensor(p) {
      const [x, y] = xy(p);
      return x.neg().add(1).square().add(y.sub(x.square()).square().mul(100));
    },
    f: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    region: [-2, 2, -1, 3],
    start: [-1.5, 2],
    minima: [[1, 1]],
  },
  {
    name: "Beale",
    formula: "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
    tensor(p) {
      const [x, y] = xy(p);
      const term = (c: number, k: number) => x.neg().add(c).add(x.mul(y.pow(k))).square();
      return term(1.5, 1).add(term(2.25, 2)).add(term(2.625, 3));
    },
    f: (x, y) => (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y ** 3) ** 2,
    region: [-4.5, 4.5, -4.5, 4.5],
    start: [1, 1.5],
    minima: [[3, 0.5]],
  },
  {
    name: "saddle",
    formula: "x² − y² + y⁴/4 (a saddle at the origin, minima at (0, ±√2))",
    tensor(p) {
      const [x, y] = xy(p);
      return x.square().sub(y.square()).add(y.pow(4).mul(0.25));
    },
    f: (x, y) => x * x - y * y + y ** 4 / 4,
    region: [-2, 2, -2.5, 2.5],
    start: [1.8, 0.001],
    minima: [[0, Math.SQRT2], [0, -Math.SQRT2]],
  },
];
