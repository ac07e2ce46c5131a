/**
 * The only file that imports piscina. Resolves the worker entry (the `.ts` source under tsx
 * when larder runs from source, the compiled `.js` otherwise), fixes the thread count, and
 * turns a worker that died mid-task into a coded error the engine retries.
 */
import { Piscina } from 'piscina';
import { WorkerDiedError } from './errors.js';
import type { WorkerTask, WriteResult } from '../shared/protocol.js';

const fromSource = import.meta.url.endsWith('.ts');
const workerFile = new URL(`../worker/task.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;

export class WorkerPool {
  #pool: Piscina;

  /**
   * `asyncTasks`: the tasks await network I/O (the redis store). An idle worker then must keep
   * its event loop running (its connection has to notice a close and reconnect), so piscina's
   * Atomics.wait between tasks is off, and a second task may start while one awaits its reply.
   */
  constructor(threads: number, options: { asyncTasks?: boolean } = {}) {
    const asyncTasks = options.asyncTasks === true;
    this.#pool = new Piscina({
      filename: workerFile,
      minThreads: threads,
      maxThreads: threads,
      // Tasks are synchronous file I/O: more than two queued per thread only adds latency.
      concurrentTasksPerWorker: asyncTasks ? 2 : 1,
      ...(asyncTasks ? { atomics: 'disabled' as const } : {}),
      idleTimeout: Number.POSITIVE_INFINITY,
      execArgv: fromSource ? ['--import', 'tsx'] : [],
    });
    // A worker that exits surfaces as the task's rejection; this keeps the pool's own
    // 'error' event (same cause) from becoming an uncaught exception.
    this.#pool.on('error', () => {});
  }

  get threads(): number {
    return this.#pool.threads.length;
  }

  async run(task: WorkerTask, transferList: ArrayBuffer[]): Promise<WriteResult> {
    try {
      return (await this.#pool.run(task, { transferList })) as WriteResult;
    } catch (error) {
      throw new WorkerDiedError(error);
    }
  }

  async close(): Promise<void> {
    await this.#pool.close({ force: false });
  }
}
