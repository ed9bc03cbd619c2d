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
export function growTo(memory: { readonly buffer: ArrayBufferLike; grow(deltaPages: number): number }, bytes: number): boolean {
  const missing = bytes - memory.buffer.byteLength;
  if (missing <= 0) return true;
  try {
    memory.grow(Math.ceil(missing / 65536));
    return true;
  } catch {
    return false; // RangeError: over the maximum, or the engine would not give that much
  }
}

/**
 * The same module with its imported memory made non-shared: for engines without
 * SharedArrayBuffer (a browser page without cross-origin isolation), where a shared memory
 * cannot be made. Kernels are built once, importing a shared memory (the arena's); only the
 * limits flag of that import changes (0x03, "min, max, shared", becomes 0x01, "min, max"), so
 * every byte offset stays the same. Returns a copy; `bytes` is not modified.
 */
export function unshareMemoryImport(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const out = bytes.slice();
  let at = 8; // past the magic number and the version
  const leb = (): number => {
    let value = 0, shift = 0, byte: number;
    do {
      byte = out[at++];
      value |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return value >>> 0;
  };
  while (at < out.length) {
    const id = out[at++];
    const size = leb();
    const end = at + size;
    if (id === 2) { // the import section: module name, field name, kind, description
      for (let count = leb(); count > 0; count--) {
        const moduleName = leb(); // (read first: `at += leb()` would add to the old `at`)
        at += moduleName;
        const fieldName = leb();
        at += fieldName;
        const kind = out[at++];
        if (kind === 0) leb(); // a function: its type index
        else if (kind === 1) { at++; const flags = out[at++]; leb(); if (flags & 1) leb(); } // a table: type, limits
        else if (kind === 3) at += 2; // a global: value type, mutability
        else if (kind === 2) {
          if (out[at] === 0x03) out[at] = 0x01;
          return out;
        }
      }
    }
    at = end;
  }
  return out;
}
