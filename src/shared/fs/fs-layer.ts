/**
 * The file-system calls the writers make, behind one seam so that tests can inject the
 * failures real disks produce (ENOSPC, EIO, a worker that dies mid-batch) without mocking
 * node:fs for the whole process.
 *
 * Faults come from the LARDER_FAULTS environment variable (JSON), read when the worker
 * starts; production never sets it. Shape:
 *   { "code": "ENOSPC", "ops": ["writeSync"], "times": 3 }   fail the first 3 matching calls
 *   { "exitIfExists": "/tmp/marker" }                         exit the worker on its next task
 *                                                              if the file exists (deleted first)
 */
import * as fs from 'node:fs';

interface FaultPlan {
  code?: string;
  ops?: string[];
  times?: number;
  exitIfExists?: string;
}

const plan: FaultPlan = parsePlan(process.env.LARDER_FAULTS);
let failuresLeft = plan.times ?? (plan.code !== undefined ? Number.POSITIVE_INFINITY : 0);

function parsePlan(text: string | undefined): FaultPlan {
  if (text === undefined || text === '') return {};
  return JSON.parse(text) as FaultPlan;
}

function maybeFail(op: string, path?: string): void {
  if (failuresLeft <= 0 || plan.code === undefined) return;
  if (plan.ops !== undefined && !plan.ops.includes(op)) return;
  failuresLeft--;
  const error = new Error(`${plan.code}: injected fault, ${op}`) as NodeJS.ErrnoException;
  error.code = plan.code;
  error.syscall = op.replace(/Sync$/, '');
  if (path !== undefined) error.path = path;
  throw error;
}

/** Called at the start of every task: simulates a worker dying in the middle of its work. */
export function maybeExit(): void {
  const marker = plan.exitIfExists;
  if (marker === undefined || !fs.existsSync(marker)) return;
  fs.unlinkSync(marker);
  process.exit(70);
}

export const fsLayer = {
  openSync(path: string, flags: string, mode?: number): number {
    maybeFail('openSync', path);
    return fs.openSync(path, flags, mode);
  },
  writeSync(fd: number, data: Uint8Array, offset = 0, length = data.length - offset, position: number | null = null): number {
    maybeFail('writeSync');
    return fs.writeSync(fd, data, offset, length, position);
  },
  fsyncSync(fd: number): void {
    maybeFail('fsyncSync');
    fs.fsyncSync(fd);
  },
  /** fsync on libuv's thread pool, so this thread can frame the next batch meanwhile; faults as fsyncSync. */
  fsync(fd: number): Promise<void> {
    try {
      maybeFail('fsyncSync');
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => fs.fsync(fd, (error) => (error === null ? resolve() : reject(error))));
  },
  closeSync(fd: number): void {
    fs.closeSync(fd);
  },
  renameSync(from: string, to: string): void {
    maybeFail('renameSync', to);
    fs.renameSync(from, to);
  },
  unlinkSync(path: string): void {
    maybeFail('unlinkSync', path);
    fs.unlinkSync(path);
  },
  mkdirSync(path: string, mode: number): void {
    maybeFail('mkdirSync', path);
    fs.mkdirSync(path, { recursive: true, mode });
  },
  ftruncateSync(fd: number, length: number): void {
    maybeFail('ftruncateSync');
    fs.ftruncateSync(fd, length);
  },
};

/**
 * Writes all of `data` at `position` (a write may take fewer bytes than asked). When a write
 * fails part-way (ENOSPC after a short write), `progress.written` says how many bytes landed.
 */
export function writeAllAt(fd: number, data: Uint8Array, position: number, progress?: { written: number }): void {
  let done = 0;
  while (done < data.length) {
    done += fsLayer.writeSync(fd, data, done, data.length - done, position + done);
    if (progress !== undefined) progress.written = done;
  }
}

/**
 * Reads `length` bytes at `position` into `into` from its start; fewer only at the end of the
 * file. Returns the bytes read. Reads are not fault-injected: the faults that matter happen when
 * writing.
 */
export function readAllAt(fd: number, into: Uint8Array, length: number, position: number): number {
  let read = 0;
  while (read < length) {
    const n = fs.readSync(fd, into, read, length - read, position + read);
    if (n === 0) break;
    read += n;
  }
  return read;
}

/** fsync a directory so that renames and unlinks inside it survive a power cut. */
export function fsyncDir(dir: string): void {
  const fd = fsLayer.openSync(dir, 'r');
  try {
    fsLayer.fsyncSync(fd);
  } finally {
    fsLayer.closeSync(fd);
  }
}
