/**
 * `@minigrad/nn/node`: file helpers for Node (node:fs), kept out of `@minigrad/nn` so that
 * the main entry bundles for browsers. Everything else they use comes from `@minigrad/nn`.
 */
export { loadSafetensors, saveSafetensors, readSafetensorsHeader } from "./node/safetensors-file";
export { saveCheckpoint, loadCheckpoint, saveCheckpointSync, loadCheckpointSync } from "./node/checkpoint-file";
export { writeFileAtomic, writeFileAtomicSync, removeStaleTemps } from "./node/atomic";
