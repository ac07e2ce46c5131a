/**
 * The piscina task entry: one function, one plain-data message in, one out. It imports
 * nothing from src/main, so the worker stays small and starts fast.
 */
import type { WorkerTask, WriteResult } from '../shared/protocol.js';
import { writeFilesBatch } from './files-writer.js';
import { maybeExit } from './fs-layer.js';

export default function runTask(task: WorkerTask): WriteResult {
  maybeExit();
  switch (task.target.kind) {
    case 'files':
      return writeFilesBatch(task);
    default:
      throw new Error(`unknown store kind ${(task.target as { kind: string }).kind}`);
  }
}

/** Same as the task, on the calling thread: the exit hook's last synchronous flush. */
export { runTask as runTaskSync };
