/**
 * A process-level lock on a directory, so that two servers never append to
 * the same WAL. Node has no flock(2), so the lock is a file created with
 * O_EXCL ("wx") holding `{pid, start, host}`: the owner's pid, its start time
 * from /proc/<pid>/stat (so a pid reused after a crash, common in containers
 * where every start is pid 1, is not mistaken for the owner) and the hostname.
 *
 * A lock whose owner is gone (no such process, or a process with another
 * start time) is stale and is taken over: a file of our own is renamed over
 * it and read back. A lock written on another host (a shared volume) cannot
 * be checked and is always respected; remove it by hand if it is stale.
 * Limits: the takeover of a stale lock by two processes at the same instant
 * is not fully atomic, and two hosts with the same hostname sharing a volume
 * are not told apart. The normal case — a live owner — is exact: exclusive
 * creation is atomic in the file system.
 * @module
 */
import fs from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { WalError } from "./errors.js";

export const LOCK_FILE_NAME = "wal.lock";

interface LockOwner {
  pid: number;
  /** Process start time in clock ticks since boot; undefined where /proc is absent. */
  start: number | undefined;
  host: string;
}

export class DirLock {
  readonly path: string;
  readonly #owner: LockOwner;
  #released = false;

  private constructor(path: string, owner: LockOwner) {
    this.path = path;
    this.#owner = owner;
  }

  /** Takes the lock on `dir` or fails with a `Locked` {@link WalError} naming the owner. */
  static async acquire(dir: string, fileName = LOCK_FILE_NAME): Promise<DirLock> {
    const path = join(dir, fileName);
    const me: LockOwner = { pid: process.pid, start: await processStart(process.pid), host: hostname() };
    const text = `${JSON.stringify(me)}\n`;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await fs.writeFile(path, text, { flag: "wx", mode: 0o600 });
        return new DirLock(path, me);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const holder = await readOwner(path);
      if (holder === "missing") continue;
      if (holder !== "unreadable" && (await isAlive(holder, me))) {
        throw new WalError("Locked", `directory is locked by process ${holder.pid} on ${holder.host}`, { file: path });
      }
      // Stale: replace it with ours in one rename, then make sure ours is what stayed.
      const tmp = `${path}.${process.pid}.tmp`;
      await fs.writeFile(tmp, text, { mode: 0o600 });
      await fs.rename(tmp, path);
      const now = await readOwner(path);
      if (now !== "missing" && now !== "unreadable" && sameOwner(now, me)) return new DirLock(path, me);
    }
    throw new WalError("Locked", "could not take the directory lock", { file: path });
  }

  /** Removes the lock file if it is still ours. Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const holder = await readOwner(this.path);
    if (holder !== "missing" && holder !== "unreadable" && sameOwner(holder, this.#owner)) {
      await fs.rm(this.path, { force: true });
    }
  }
}

function sameOwner(a: LockOwner, b: LockOwner): boolean {
  return a.pid === b.pid && a.start === b.start && a.host === b.host;
}

async function readOwner(path: string): Promise<LockOwner | "missing" | "unreadable"> {
  let text: string;
  try {
    text = await fs.readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid !== "number" || typeof v.host !== "string") return "unreadable";
    return { pid: v.pid, start: typeof v.start === "number" ? v.start : undefined, host: v.host };
  } catch {
    // A crash between creating the file and writing it leaves it empty or partial.
    return "unreadable";
  }
}

async function isAlive(holder: LockOwner, me: LockOwner): Promise<boolean> {
  if (holder.host !== me.host) return true;
  if (holder.pid === me.pid) return holder.start === me.start;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    // EPERM: the process exists but belongs to someone else.
  }
  if (holder.start === undefined) return true;
  const start = await processStart(holder.pid);
  return start === undefined || start === holder.start;
}

/** Field 22 of /proc/<pid>/stat (start time in ticks since boot), when available. */
async function processStart(pid: number): Promise<number | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const v = Number(fields[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
