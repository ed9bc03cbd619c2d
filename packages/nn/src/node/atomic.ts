import { randomBytes } from "node:crypto";
import { open, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

/** `.name.<pid>.<random>.tmp`: hidden, next to the target, and naming the process that writes it. */
function tempName(base: string): string {
  return `.${base}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}

/**
 * Remove the temp files a killed writer left next to `path` (those of processes that no
 * longer run; a live writer's are kept). Readers never look at them, so this is tidiness.
 */
export async function removeStaleTemps(path: string): Promise<string[]> {
  const dir = dirname(resolve(path));
  const pattern = new RegExp(`^\\.${escapeRegExp(basename(path))}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);
  const removed: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = pattern.exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    await rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** fsync a folder, so that a rename in it survives a power loss (a no-op where folders cannot be opened: Windows). */
async function syncFolder(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EBADF" && code !== "EACCES") throw e;
  } finally {
    await handle?.close();
  }
}

/**
 * Replace `path` by `data` so that a crash at any moment leaves either the old file or the
 * new one, never a mix: write a temp file in the same folder, fsync it, rename it over
 * `path` (atomic within a file system), then fsync the folder. A failed write removes its
 * temp file; one left by a killed process is removed by the next write (`removeStaleTemps`).
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const target = resolve(path);
  const dir = dirname(target);
  await removeStaleTemps(target);
  const temp = join(dir, tempName(basename(target)));
  let handle;
  try {
    handle = await open(temp, "wx", 0o644);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw e;
  }
  await syncFolder(dir);
}
