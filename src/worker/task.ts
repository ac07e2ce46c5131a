/**
 * The piscina task entry: one function, one plain-data message in, one out. It imports
 * nothing from src/main, so the worker stays small and starts fast.
 */
import type { LogJobResult, WorkerTask, WriteBatch, WriteResult } from '../shared/protocol.js';
import { writeFilesBatch } from '../shared/writers/files-writer.js';
import { maybeExit } from '../shared/fs/fs-layer.js';
import { runLogTask } from './log/log-jobs.js';
import { writeLogBatchAsync } from '../shared/writers/log-writer.js';
import { runRedisTask } from './redis/redis-writer.js';
import { unpackValues, valueSizes } from './unpack-values.js';
import { reusableBuffer } from '../shared/reusable-buffer.js';

export default function runTask(task: WorkerTask): WriteResult | LogJobResult | Promise<WriteResult> {
  if (task.op === 'ping') return { failures: [], bytes: 0 };
  maybeExit();
  if (task.op === 'log') return runLogTask(task);
  // The log writer frames the values into records before it returns: their buffer can be reused.
  const batch = unpackValues(task, task.target.kind === 'log' ? scratchValues : undefined);
  const result = write(batch);
  const sizes = valueSizes(batch);
  return result instanceof Promise ? result.then((r) => ({ ...r, sizes })) : { ...result, sizes };
}

/** The log target's unpacked values, kept between batches (see unpackValues). */
const scratchValues = reusableBuffer();

function write(task: WriteBatch): WriteResult | Promise<WriteResult> {
  switch (task.target.kind) {
    case 'files':
      return writeFilesBatch({ ...task, target: task.target });
    case 'log':
      // fsync on libuv's pool: the worker frames the next batch meanwhile (its pool runs two tasks).
      return writeLogBatchAsync(task, task.target);
    case 'redis':
      // Network I/O: awaits the replies.
      return runRedisTask({ ...task, target: task.target });
    default:
      throw new Error(`unknown store kind ${(task.target as { kind: string }).kind}`);
  }
}
