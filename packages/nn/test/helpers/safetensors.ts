import { expect } from "vitest";
import type { Tensor } from "@minigrad/tensor";

/**
 * A safetensors file from a header (JSON text or raw bytes) and a data buffer, with the
 * length field written as given (`length` defaults to the header's true length).
 */
export function rawFile(header: string | Uint8Array, data: Uint8Array, length?: number): Uint8Array {
  const json = typeof header === "string" ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + json.length + data.length);
  const n = length ?? json.length;
  const view = new DataView(out.buffer);
  view.setUint32(0, n % 2 ** 32, true);
  view.setUint32(4, Math.floor(n / 2 ** 32), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** The bits of every element, so that NaN, -0 and payloads compare exactly. */
export function elementBits(t: Tensor): number[] {
  const values = t.toTypedArray();
  if (values instanceof Float32Array) return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
  if (values instanceof Float64Array) {
    const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
    return Array.from(words);
  }
  return Array.from(values);
}

/** Same shape, dtype and every element's bits. */
export function sameTensor(got: Tensor | undefined, want: Tensor, what: string): void {
  expect(got, what).toBeDefined();
  const g = got as Tensor;
  expect([g.shape, g.dtype], what).toEqual([[...want.shape], want.dtype]);
  expect(elementBits(g), what).toEqual(elementBits(want));
}
