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
import { LocatedValues } from '../shared/format/located-values.js';

export default function runTask(task: WorkerTask): WriteResult | LogJobResult | Promise<WriteResult> {
  if (task.op === 'ping') return { failures: [], bytes: 0 };
  maybeExit();
  if (task.op === 'log') return runLogTask(task);
  if (task.target.kind === 'log') {
    // The log writer frames each value straight from where it arrived: no buffer of values first.
    // fsync on libuv's pool: the worker frames the next batch meanwhile (its pool runs two tasks).
    const values = new LocatedValues(task);
    return writeLogBatchAsync(task, values, task.target).then((result) => ({ ...result, sizes: values.sizes }));
  }
  const batch = unpackValues(task);
  const result = write(batch);
  const sizes = valueSizes(batch);
  return result instanceof Promise ? result.then((r) => ({ ...r, sizes })) : { ...result, sizes };
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
