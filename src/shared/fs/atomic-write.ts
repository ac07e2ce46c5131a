/**
 * The one atomic-write recipe in larder: write a temporary file next to the target, fsync it,
 * rename it over the target. A reader sees the old file or the new one, never a mix. The
 * temporary name is unique per process, thread and call, so concurrent writers never share
 * one; on any error the temporary file is removed.
 *
 * The directory fsync that makes the rename itself durable is left to the caller, so a batch
 * pays it once per directory instead of once per file.
 */
import { threadId } from 'node:worker_threads';
import { fsLayer } from './fs-layer.js';

let counter = 0;

export interface AtomicWriteOptions {
  mode: number;
  /** false: skip the file fsync (durability 'os'). */
  fsync: boolean;
}

export function writeFileAtomicSync(path: string, chunks: readonly Uint8Array[], options: AtomicWriteOptions): number {
  const tmp = `${path}.${process.pid}.${threadId}.${(counter++).toString(36)}.tmp`;
  let fd: number | undefined;
  let bytes = 0;
  try {
    fd = fsLayer.openSync(tmp, 'wx', options.mode);
    for (const chunk of chunks) {
      let done = 0;
      while (done < chunk.length) done += fsLayer.writeSync(fd, chunk, done, chunk.length - done, null);
      bytes += chunk.length;
    }
    if (options.fsync) fsLayer.fsyncSync(fd);
    fsLayer.closeSync(fd);
    fd = undefined;
    fsLayer.renameSync(tmp, path);
    return bytes;
  } catch (error) {
    if (fd !== undefined) {
      try {
        fsLayer.closeSync(fd);
      } catch {
        // already failing; the original error is the one worth reporting
      }
    }
    try {
      fsLayer.unlinkSync(tmp);
    } catch {
      // the temp file may never have been created
    }
    throw error;
  }
}
