/**
 * One writer process per store directory: a `LOCK` file holding the owner's pid. It is created
 * atomically with its content (written to a private temporary name, then hard-linked into
 * place, which fails if a lock exists), so nobody ever reads a half-written lock.
 *
 * A lock whose pid is not a live process is stale (its owner was killed) and is taken over.
 * Known limit: two processes taking over the same stale lock in the same instant can both
 * succeed, and a dead owner's pid reused by an unrelated live process reads as locked.
 */
import { linkSync, readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { LOCK_FILE } from '../../../shared/format/log-format.js';
import { unlessMissing } from '../../../shared/fs/unless-missing.js';
import { StoreLockedError } from '../../core/errors.js';

/** Directories this process holds (by real path): our own pid in a lock file is then not stale. */
const heldHere = new Set<string>();
let counter = 0;

export class StoreLock {
  readonly path: string;
  #key: string;
  #released = false;

  private constructor(path: string, key: string) {
    this.path = path;
    this.#key = key;
  }

  /** Takes the lock of `dir` or throws `StoreLockedError` naming the live owner. */
  static acquire(dir: string, fileMode: number): StoreLock {
    const key = realpathSync(dir);
    const path = join(dir, LOCK_FILE);
    // A few rounds: a stale lock removed here may be re-taken by a racing process in between.
    for (let attempt = 0; attempt < 5; attempt++) {
      if (heldHere.has(key)) throw new StoreLockedError(dir, process.pid);
      // A stale lock goes before a new one is written: on a full disk (its owner was killed
      // while it was failing with ENOSPC) the space it holds is what the new one needs.
      const owner = readOwner(path);
      if (owner !== undefined) {
        if (isAlive(owner)) throw new StoreLockedError(dir, owner);
        removeIfStill(path, owner);
      }
      if (tryCreate(path, fileMode)) {
        heldHere.add(key);
        return new StoreLock(path, key);
      }
      // Another process took it in between: look at its owner again.
    }
    throw new StoreLockedError(dir, readOwner(path) ?? 0);
  }

  /** Removes the lock if it is still ours. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    heldHere.delete(this.#key);
    removeIfStill(this.path, process.pid);
  }
}

function tryCreate(path: string, fileMode: number): boolean {
  const tmp = `${path}.${process.pid}.${threadId}.${(counter++).toString(36)}.tmp`;
  try {
    writeFileSync(tmp, `${process.pid}\n`, { mode: fileMode });
    linkSync(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    // Also when writing it failed (ENOSPC) after creating it.
    unlessMissing(() => unlinkSync(tmp), undefined);
  }
}

/** The pid in the lock, or undefined when there is no lock or it holds no pid. */
function readOwner(path: string): number | undefined {
  const text = unlessMissing(() => readFileSync(path, 'utf8'), undefined);
  if (text === undefined) return undefined;
  const pid = Number.parseInt(text.trim(), 10);
  // A lock with no valid pid cannot name a live owner: treat it as stale (pid 0 is never alive here).
  return Number.isInteger(pid) && pid > 0 ? pid : 0;
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  // Our own pid in a lock we do not hold: a previous process with our pid left it behind.
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeIfStill(path: string, owner: number): void {
  if (readOwner(path) !== owner) return;
  unlessMissing(() => unlinkSync(path), undefined);
}
