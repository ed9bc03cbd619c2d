import { expect } from "vitest";
import { Tensor, type DType } from "@minigrad/tensor";
import { fromFixture, loadConformance, type FixtureTensor } from "../../../tensor/test/helpers/conformance";

// Loading the traces is shared with the other packages' conformance tests.
export { fromFixture, loadConformance, type FixtureTensor };

/** The conformance README's float64 tolerance: |got - want| <= 1e-10 + 1e-8 |want|. */
export const F64_TOLERANCE = { atol: 1e-10, rtol: 1e-8 };

/** The float32 bits of a number, as 8 hex digits (for readable failure messages). */
export function f32Hex(x: number): string {
  return new Uint32Array(new Float32Array([x]).buffer)[0].toString(16).padStart(8, "0");
}

/**
 * Compare values with PyTorch's. float32 must match bit for bit: the fixture's doubles are
 * exact float32 values, so `fround(want)` is the float32 PyTorch computed, and `Object.is`
 * tells -0 from 0 and matches NaN with NaN. float64 uses the README's tolerance.
 */
export function expectValues(got: ArrayLike<number>, want: readonly number[], dtype: DType, what: string): void {
  expect(got.length, `${what}: number of values`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (dtype === "float32") {
      if (!Object.is(Math.fround(w), g)) {
        expect.fail(`${what}: element ${i} is ${g} (0x${f32Hex(g)}), PyTorch has ${w} (0x${f32Hex(w)})`);
      }
    } else {
      const { atol, rtol } = F64_TOLERANCE;
      const ok = Number.isNaN(w) ? Number.isNaN(g) : Math.abs(g - w) <= atol + rtol * Math.abs(w);
      if (!ok) expect.fail(`${what}: element ${i} is ${g}, PyTorch has ${w} (atol ${atol}, rtol ${rtol})`);
    }
  }
}

/** `expectValues` on a tensor's row-major values, after checking its shape. */
export function expectTensor(
  got: Tensor, shape: readonly number[], want: readonly number[], dtype: DType, what: string,
): void {
  expect(got.shape, `${what}: shape`).toEqual(shape);
  expect(got.dtype, `${what}: dtype`).toBe(dtype);
  expectValues(got.toTypedArray(), want, dtype, what);
}
