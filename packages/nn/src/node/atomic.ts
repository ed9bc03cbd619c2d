import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
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
  const stale = staleTemps(basename(path), await readdir(dir).catch(() => [] as string[]));
  for (const name of stale) await rm(join(dir, name), { force: true });
  return stale;
}

/** The temp files among `names` that writers of `base` left and whose process is gone. */
function staleTemps(base: string, names: readonly string[]): string[] {
  const pattern = new RegExp(`^\\.${escapeRegExp(base)}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);
  return names.filter((name) => {
    const m = pattern.exec(name);
    return m !== null && Number(m[1]) !== process.pid && !isAlive(Number(m[1]));
  });
}

const FOLDER_SYNC_UNSUPPORTED = new Set(["EISDIR", "EPERM", "EINVAL", "EBADF", "EACCES"]);

/** fsync a folder, so that a rename in it survives a power loss (a no-op where folders cannot be opened: Windows). */
async function syncFolder(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (e) {
    if (!FOLDER_SYNC_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? "")) throw e;
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

/** `writeFileAtomic` for synchronous code (a training loop that does not await): the same steps, with fs's sync calls. */
export function writeFileAtomicSync(path: string, data: Uint8Array): void {
  const target = resolve(path);
  const dir = dirname(target);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // a missing folder fails at open below, with the usual message
  }
  for (const name of staleTemps(basename(target), names)) rmSync(join(dir, name), { force: true });
  const temp = join(dir, tempName(basename(target)));
  let fd: number | undefined;
  try {
    fd = openSync(temp, "wx", 0o644);
    for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, target);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
  let dirFd: number | undefined;
  try {
    dirFd = openSync(dir, "r");
    fsyncSync(dirFd);
  } catch (e) {
    if (!FOLDER_SYNC_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? "")) throw e;
  } finally {
    if (dirFd !== undefined) closeSync(dirFd);
  }
}
