/**
 * Loading the embedded WebAssembly kernels: the .wasm bytes ship as base64 inside the
 * package (no fetch, so the same code runs in Node and browsers) and are compiled
 * synchronously, so the ops that use them stay synchronous. Node allows a synchronous
 * compile at any size; browsers may refuse one on the main thread above a size limit
 * (Chromium: 4 KB until 2023, 8 MB since). The modules here are a few KB each.
 */

export function decodeBase64(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * The module's exports, or null where it cannot run: no WebAssembly, no SIMD128 (the
 * module then fails validation), or a Content-Security-Policy without 'wasm-unsafe-eval'.
 * Callers fall back to their JavaScript kernels on null.
 */
export function instantiateSync(bytes: Uint8Array<ArrayBuffer>, imports: WebAssembly.Imports = {}): WebAssembly.Exports | null {
  if (typeof WebAssembly !== "object" || !WebAssembly.validate(bytes)) return null;
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(bytes), imports).exports;
  } catch {
    return null;
  }
}

/**
 * Grow `memory` to at least `bytes` (whole 64 KB pages); false if the engine refuses. A
 * non-shared memory's old ArrayBuffer is detached by the growth: views over it must be remade.
 */
export function growTo(memory: WebAssembly.Memory, bytes: number): boolean {
  const missing = bytes - memory.buffer.byteLength;
  if (missing <= 0) return true;
  try {
    memory.grow(Math.ceil(missing / 65536));
    return true;
  } catch {
    return false; // RangeError: over the maximum, or the engine would not give that much
  }
}
