/**
 * The piscina task entry: one function, one plain-data message in, one out. It imports
 * nothing from src/main, so the worker stays small and starts fast.
 */
import type { LogJobResult, WorkerTask, WriteBatch, WriteResult } from '../shared/protocol.js';
import { writeFilesBatch } from './files-writer.js';
import { maybeExit } from './fs-layer.js';
import { runLogTask } from './log-jobs.js';
import { writeLogBatch } from './log-writer.js';
import { runRedisTask } from './redis-writer.js';
import { unpackValues, valueSizes } from './unpack-values.js';

export default function runTask(task: WorkerTask): WriteResult | LogJobResult | Promise<WriteResult> {
  maybeExit();
  if (task.op === 'log') return runLogTask(task);
  const batch = unpackValues(task);
  const result = write(batch);
  const sizes = valueSizes(batch);
  return result instanceof Promise ? result.then((r) => ({ ...r, sizes })) : { ...result, sizes };
}

function write(task: WriteBatch): WriteResult | Promise<WriteResult> {
  switch (task.target.kind) {
    case 'files':
      return writeFilesBatch({ ...task, target: task.target });
    case 'log':
      return writeLogBatch(task, task.target);
    case 'redis':
      // Network I/O: the one task that awaits (its pool runs with atomics disabled).
      return runRedisTask({ ...task, target: task.target });
    default:
      throw new Error(`unknown store kind ${(task.target as { kind: string }).kind}`);
  }
}
