/**
 * The worker pool the disk stores write through: one per thread count for the whole process,
 * shared by every cacher that asks for one. A writer thread costs 70–100 ms to start (an isolate
 * loading the task module) and its code runs unoptimised until it has written for a while; with a
 * pool per cacher every open paid both (a reopen took ~100 ms where lmdb-js takes 2), and N
 * cachers kept N threads competing for the same cores.
 *
 * The pool outlives its last lease by `LINGER_MS`, so a cacher reopened soon after finds its
 * threads started and their code optimised. Idle threads never keep the process alive (piscina
 * unrefs them), so the linger delays no exit.
 *
 * Worker state is kept so that sharing cannot mix stores up: segment logs by the store's
 * opening (see log-writer.ts), descriptors by path, checked for deletion at every batch and
 * closed when their store closes, shard directories re-created when missing. A fault plan
 * (LARDER_FAULTS, tests only) is read by a thread when it starts, so a cacher opened under one
 * gets a pool of its own.
 */
import { WorkerPool, type TaskPool } from './worker-pool.js';

const LINGER_MS = 5_000;

interface Shared {
  readonly threads: number;
  readonly pool: WorkerPool;
  leases: number;
  linger: NodeJS.Timeout | undefined;
}

const pools = new Map<number, Shared>();

/** A lease on the shared pool of `threads` threads; its `close` gives the lease back. */
export function leasePool(threads: number): TaskPool {
  if (process.env.LARDER_FAULTS !== undefined && process.env.LARDER_FAULTS !== '') return new WorkerPool(threads);
  let shared = pools.get(threads);
  if (shared === undefined) {
    shared = { threads, pool: new WorkerPool(threads), leases: 0, linger: undefined };
    pools.set(threads, shared);
  }
  if (shared.linger !== undefined) {
    clearTimeout(shared.linger);
    shared.linger = undefined;
  }
  shared.leases++;
  return new Lease(shared);
}

class Lease implements TaskPool {
  #shared: Shared | undefined;

  constructor(shared: Shared) {
    this.#shared = shared;
  }

  get threads(): number {
    return this.#live().pool.threads;
  }

  run(...args: Parameters<TaskPool['run']>): ReturnType<TaskPool['run']> {
    return this.#live().pool.run(...args);
  }

  warm(): Promise<void> {
    return this.#live().pool.warm();
  }

  /** Gives the lease back (once); the last one out starts the linger. Tasks still running finish. */
  async close(): Promise<void> {
    const shared = this.#shared;
    this.#shared = undefined;
    if (shared === undefined || --shared.leases > 0) return;
    shared.linger = setTimeout(() => {
      if (pools.get(shared.threads) !== shared || shared.leases > 0) return;
      pools.delete(shared.threads);
      shared.pool.close().catch(() => {});
    }, LINGER_MS).unref();
  }

  #live(): Shared {
    if (this.#shared === undefined) throw new Error('worker pool lease used after close()');
    return this.#shared;
  }
}
