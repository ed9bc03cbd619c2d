import { open, type FileHandle } from "node:fs/promises";
import type { Tensor } from "@minigrad/tensor";
import {
  SafetensorsError,
  decodeTensor,
  parseSafetensorsHeader,
  safetensorsHeaderLength,
  safetensorsKeys,
  serialize,
  type DeserializeOptions,
  type NamedTensors,
  type SafetensorsHeader,
  type SerializeOptions,
} from "@minigrad/nn";
import { writeFileAtomic } from "./atomic";

/** Fill `out` from the file at `position`; a file that ends first was changed under us. */
async function readExactly(handle: FileHandle, out: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < out.length) {
    const { bytesRead } = await handle.read(out, done, out.length - done, position + done);
    if (bytesRead === 0) {
      throw new SafetensorsError("TRUNCATED", `safetensors file ${path} ended at byte ${position + done} while reading (was it changed?)`);
    }
    done += bytesRead;
  }
}

async function readHeader(handle: FileHandle, path: string): Promise<SafetensorsHeader> {
  const { size } = await handle.stat();
  const first = new Uint8Array(Math.min(8, size));
  await readExactly(handle, first, 0, path);
  const n = safetensorsHeaderLength(first, size); // checked against the file size before the header is allocated
  const headerBytes = new Uint8Array(n);
  await readExactly(handle, headerBytes, 8, path);
  return parseSafetensorsHeader(headerBytes, size - 8 - n);
}

/** The checked header of a safetensors file (tensor names, dtypes, shapes, metadata); reads only the header. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const handle = await open(path, "r");
  try {
    return await readHeader(handle, path);
  } finally {
    await handle.close();
  }
}

/**
 * Tensors from a safetensors file (written by minigrad, PyTorch or Hugging Face tools), as a
 * state dict for `loadStateDict`. Lazy: reads the header, then only the byte ranges of the
 * tensors in `keys` (all by default), never the whole file. The file is untrusted, as in
 * `deserialize`: every fault is a `SafetensorsError`.
 */
export async function loadSafetensors(path: string, options: DeserializeOptions = {}): Promise<Record<string, Tensor>> {
  const handle = await open(path, "r");
  try {
    const header = await readHeader(handle, path);
    const out: Record<string, Tensor> = Object.create(null);
    for (const key of safetensorsKeys(header, options.keys)) {
      const info = header.tensors.get(key);
      if (info === undefined) continue;
      const [begin, end] = info.dataOffsets;
      const bytes = new Uint8Array(end - begin); // within the file: checked by parseSafetensorsHeader
      await readExactly(handle, bytes, header.dataStart + begin, path);
      out[key] = decodeTensor(key, info, bytes);
    }
    return out;
  } finally {
    await handle.close();
  }
}

/**
 * Write tensors to a safetensors file that PyTorch (`safetensors.torch.load_file`) and
 * Hugging Face tools read, atomically (a crash leaves the old file or the new one). Options
 * as `serialize`'s: `metadata` string pairs, `dtypes` per tensor (F16, BF16, I64, ...).
 */
export async function saveSafetensors(path: string, tensors: NamedTensors, options: SerializeOptions = {}): Promise<void> {
  await writeFileAtomic(path, serialize(tensors, options));
}
