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
import { unpackValues } from './unpack-values.js';
import { LocatedValues } from '../shared/format/located-values.js';

export default function runTask(task: WorkerTask): WriteResult | LogJobResult | Promise<WriteResult> {
  if (task.op === 'ping') return { failures: [], bytes: 0 };
  maybeExit();
  if (task.op === 'log') return runLogTask(task);
  // Each value found once, where it arrived: the log writer frames it from there into its record
  // (fsync on libuv's pool, so the worker frames the next batch meanwhile: its pool runs two
  // tasks); the others take the values laid out in one buffer. Their sizes go back either way.
  const values = new LocatedValues(task);
  const result = task.target.kind === 'log' ? writeLogBatchAsync(task, values, task.target) : write(unpackValues(task, values));
  return result instanceof Promise ? result.then((r) => ({ ...r, sizes: values.sizes })) : { ...result, sizes: values.sizes };
}

function write(task: WriteBatch): WriteResult | Promise<WriteResult> {
  switch (task.target.kind) {
    case 'files':
      return writeFilesBatch({ ...task, target: task.target });
    case 'redis':
      // Network I/O: awaits the replies.
      return runRedisTask({ ...task, target: task.target });
    default:
      throw new Error(`unknown store kind ${(task.target as { kind: string }).kind}`);
  }
}
