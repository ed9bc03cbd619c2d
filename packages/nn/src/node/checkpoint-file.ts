import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import {
  deserializeCheckpoint,
  serializeCheckpoint,
  type CheckpointState,
  type CheckpointTargets,
  type LoadedCheckpoint,
} from "@minigrad/nn";
import { writeFileAtomic, writeFileAtomicSync } from "./atomic";

/**
 * Save a whole training state (model, optimizer, scheduler, counters, generator) to one
 * safetensors file (see `serializeCheckpoint`), atomically: a crash or a kill at any moment
 * leaves the previous checkpoint intact, and temp files of killed writers are removed by the
 * next save.
 */
export async function saveCheckpoint(path: string, state: CheckpointState): Promise<void> {
  await writeFileAtomic(path, serializeCheckpoint(state));
}

/**
 * Load a checkpoint from `saveCheckpoint` into a model, optimizer (and scheduler) built as
 * the saved ones were, and continue the saved generator's stream (the default generator's
 * unless `generator` says otherwise), so that the run resumes exactly. Returns the counters
 * and metadata. A checkpoint that does not fit throws and changes nothing.
 */
export async function loadCheckpoint(path: string, targets: CheckpointTargets): Promise<LoadedCheckpoint> {
  return deserializeCheckpoint(await readFile(path), targets);
}

/** `saveCheckpoint` for synchronous training loops: the same file, written atomically with fs's sync calls. */
export function saveCheckpointSync(path: string, state: CheckpointState): void {
  writeFileAtomicSync(path, serializeCheckpoint(state));
}

/** `loadCheckpoint` for synchronous code. */
export function loadCheckpointSync(path: string, targets: CheckpointTargets): LoadedCheckpoint {
  return deserializeCheckpoint(readFileSync(path), targets);
}
