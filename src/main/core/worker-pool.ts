/**
 * The only file that imports piscina. Resolves the worker entry (the `.ts` source under tsx
 * when larder runs from source, the compiled `.js` otherwise), fixes the thread count, and
 * turns a worker that died mid-task into a coded error the engine retries.
 */
import { Piscina } from 'piscina';
import { WorkerDiedError } from './errors.js';
import type { WorkerTask, WriteResult } from '../../shared/protocol.js';

const fromSource = import.meta.url.endsWith('.ts');
const workerFile = new URL(`../../worker/task.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;

/** What stores hand their tasks to: a pool of their own, or a lease on the shared one (shared-pool.ts). */
export interface TaskPool {
  readonly threads: number;
  run(task: WorkerTask, transferList: ArrayBuffer[]): Promise<WriteResult>;
  /** Resolves once every thread has loaded the task module. */
  warm(): Promise<void>;
  close(): Promise<void>;
}

export class WorkerPool implements TaskPool {
  #pool: Piscina;

  /**
   * Tasks await I/O: a log batch its fsync (on libuv's pool), a Redis batch its replies. So an
   * idle worker keeps its event loop running (piscina's Atomics.wait between tasks is off: it
   * would hold back the callback of a task still awaiting, and a Redis connection has to notice
   * a close), and a worker holds two tasks: one awaiting while the other works.
   */
  constructor(threads: number) {
    this.#pool = new Piscina({
      filename: workerFile,
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: 2,
      atomics: 'disabled',
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

  /**
   * Resolves once every thread has loaded the task module. Stores call it at open: a thread
   * loads for 100–300 ms here, which the first batch would otherwise wait out.
   */
  async warm(): Promise<void> {
    const threads = this.#pool.options.maxThreads;
    await Promise.all(Array.from({ length: threads }, () => this.run({ op: 'ping' }, [])));
  }

  async close(): Promise<void> {
    await this.#pool.close({ force: false });
  }
}
