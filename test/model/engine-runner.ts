/**
 * Runs an operation sequence (engine-ops.ts) against a real `Cacher` and the plain model
 * (cache-model.ts) side by side, checking every read against the model as it happens and every
 * key after every reopen. A mismatch throws with the step, the operation and what was read, so
 * fast-check can shrink the sequence and print the smallest one that still fails.
 */
import fc from 'fast-check';
import { Cacher, type CacherOptions, type EngineStore, type LarderError } from '../../src/main/index.js';
import { CacheModel, MISS, describe } from './cache-model.js';
import { lcg, makeValue, type Op } from './engine-ops.js';

export interface EngineConfig {
  batchSize: number;
  flushDelay: number;
  maxEntries: number;
  maxBytes: number;
  threads: number;
  sliceMs: number;
  durability: 'fsync' | 'os';
  keys: number;
}

export interface StoreUnderTest {
  name: string;
  persistent: boolean;
  /** Reads go through `load` (the store cannot read synchronously), and a stored undefined reads as a miss. */
  asyncReads: boolean;
  /** A new store object over the same data (a reopen keeps what was written). */
  make(): EngineStore | 'memory';
  dir?: string;
}

/** A clock the sequence moves (`advance`); timers are real so flushes happen on their own. */
function clock(start: number) {
  const state = { now: start };
  return {
    state,
    timers: {
      now: () => state.now,
      setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
      clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
    },
  };
}

const key = (n: number): string => `k${n}`;
const WAIT = { timeout: 30_000 };

export class EngineRun {
  readonly #store: StoreUnderTest;
  readonly #config: EngineConfig;
  readonly #clock = clock(1_700_000_000_000);
  readonly #model: CacheModel;
  readonly #errors: LarderError[] = [];
  #cache: Cacher | undefined;
  #paused = false;
  #ver = 0;
  #step = 0;
  #op: Op | undefined;
  /** Reads checked, for reports. */
  reads = 0;

  constructor(store: StoreUnderTest, config: EngineConfig, firstVer = 0) {
    this.#store = store;
    this.#config = config;
    this.#ver = firstVer;
    const bounded = Number.isFinite(config.maxEntries) || Number.isFinite(config.maxBytes);
    this.#model = new CacheModel({ persistent: store.persistent, forgetsEvicted: bounded && !store.persistent }, this.#clock.state.now);
  }

  get cache(): Cacher {
    if (this.#cache === undefined) throw new Error('not open');
    return this.#cache;
  }

  async open(): Promise<void> {
    const { batchSize, flushDelay, maxEntries, maxBytes, threads, sliceMs, durability } = this.#config;
    const store = this.#store.make();
    const options: CacherOptions = { store, batchSize, flushDelay, maxEntries, maxBytes, threads, sliceMs, durability, timers: this.#clock.timers };
    if (this.#store.dir !== undefined) options.dir = this.#store.dir;
    const cache = new Cacher(options);
    cache.on('error', (e: LarderError) => this.#errors.push(e));
    await cache.start();
    this.#cache = cache;
    this.#paused = false;
  }

  async close(): Promise<void> {
    const cache = this.#cache;
    this.#cache = undefined;
    if (cache === undefined) return;
    cache.resume();
    await cache.stop({ timeout: 30_000 }).catch(async () => {
      cache.discard();
      await cache.stop({ timeout: 30_000 });
    });
  }

  /** Runs the whole sequence, then a final barrier, check, reopen and check. */
  async run(ops: readonly Op[]): Promise<void> {
    for (const op of ops) await this.apply(op);
    this.#op = { op: 'sync' };
    this.#unpause();
    await this.cache.sync(WAIT);
    this.#model.barrier();
    await this.checkAll(true);
    this.#op = { op: 'reopen' };
    await this.#reopen();
    await this.checkAll(true);
  }

  async apply(op: Op): Promise<void> {
    this.#step++;
    this.#op = op;
    const cache = this.cache;
    const model = this.#model;
    switch (op.op) {
      case 'set':
        this.#set(op.key, op.kind, op.ttl);
        break;
      case 'burst':
        for (let i = 0; i < op.count; i++) this.#set((op.from + i * op.every) % this.#config.keys, op.kind, 0);
        break;
      case 'workload': {
        const random = lcg(op.seed);
        for (let i = 1; i <= op.count; i++) {
          const n = Math.floor(random() * this.#config.keys);
          if (random() * op.deleteOneIn < 1) this.#delete(n);
          else this.#set(n, op.kind, 0);
          if (i % op.yieldEvery === 0) await new Promise(setImmediate);
        }
        break;
      }
      case 'delete':
        this.#delete(op.key);
        break;
      case 'deleteMany':
        for (let i = 0; i < op.count; i++) this.#delete((op.from + i * op.every) % this.#config.keys);
        break;
      case 'get':
      case 'load':
        await this.check(op.key, op.op === 'load');
        break;
      case 'has': {
        if (this.#store.asyncReads) break;
        const allowed = model.allowed(key(op.key));
        const has = cache.has(key(op.key));
        this.#expect(has ? allowed.some((a) => a !== MISS) : allowed.includes(MISS), `has returned ${has}, the model allows ${allowed.map(describe).join(' | ')}`);
        break;
      }
      case 'save': {
        this.#unpause();
        const ver = ++this.#ver;
        const value = makeValue(op.kind, op.key, ver);
        await cache.save(key(op.key), value, WAIT);
        model.write(key(op.key), { value, expiresAt: 0 });
        model.saved(key(op.key));
        break;
      }
      case 'sync':
        this.#unpause();
        await cache.sync(WAIT);
        model.barrier();
        break;
      case 'discard':
        cache.discard();
        model.discarded();
        break;
      case 'pause':
        cache.pause();
        this.#paused = true;
        break;
      case 'resume':
        this.#unpause();
        break;
      case 'unload':
        cache.unload(key(op.key));
        break;
      case 'clear':
        this.#unpause();
        await cache.clear(WAIT);
        model.cleared();
        break;
      case 'advance':
        this.#clock.state.now += op.ms;
        model.now = this.#clock.state.now;
        break;
      case 'compact':
        await cache.compact();
        break;
      case 'reopen':
        await this.#reopen();
        await this.checkAll(true);
        break;
      case 'tick':
        await new Promise((resolve) => (op.ms === 0 ? setImmediate(resolve) : setTimeout(resolve, op.ms)));
        break;
      case 'checkAll':
        await this.checkAll(false);
        break;
    }
    this.#expect(this.#errors.length === 0, `error event ${this.#errors[0]?.code}: ${this.#errors[0]?.message}`);
  }

  /** Reads one key and checks it against the model. */
  async check(n: number, viaLoad = false, settledNow = false): Promise<void> {
    const k = key(n);
    const cache = this.cache;
    let seen: unknown;
    if (this.#store.asyncReads) {
      const value = await cache.load(k);
      seen = value === undefined && this.#model.allowed(k).includes(MISS) ? MISS : value;
    } else {
      const value = viaLoad ? await cache.load(k) : cache.get(k);
      seen = value === undefined && !cache.has(k) ? MISS : value;
    }
    this.reads++;
    const problem = this.#model.check(k, seen, settledNow);
    this.#expect(problem === undefined, problem ?? '');
  }

  async checkAll(settledNow: boolean): Promise<void> {
    for (let n = 0; n < this.#config.keys; n++) await this.check(n, false, settledNow);
  }

  #set(n: number, kind: Parameters<typeof makeValue>[0], ttl: number): void {
    const ver = ++this.#ver;
    const value = makeValue(kind, n, ver);
    this.cache.set(key(n), value, { ttl });
    this.#model.write(key(n), { value, expiresAt: ttl === 0 ? 0 : this.#clock.state.now + ttl });
  }

  #delete(n: number): void {
    const allowed = this.#model.allowed(key(n));
    const existed = this.cache.delete(key(n));
    // A delete reports whether the key existed; only certain when the model is (and reads are synchronous).
    if (!this.#store.asyncReads && allowed.length === 1) this.#expect(existed === (allowed[0] !== MISS), `delete of ${key(n)} returned ${existed}`);
    this.#model.write(key(n), MISS);
  }

  async #reopen(): Promise<void> {
    await this.close();
    this.#model.reopened();
    await this.open();
  }

  /** sync, save, clear and stop wait for writes, which a paused cacher holds back: resume first. */
  #unpause(): void {
    if (!this.#paused) return;
    this.cache.resume();
    this.#paused = false;
  }

  #expect(ok: boolean, what: string): void {
    if (!ok) throw new Error(`step ${this.#step} (${JSON.stringify(this.#op)}) on the ${this.#store.name} store: ${what}`);
  }
}

/** Random engine configurations for the model tests (the keys are drawn with the operations). */
export const engineConfigs: fc.Arbitrary<EngineConfig> = fc.record({
  batchSize: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 60, max: 300 })),
  flushDelay: fc.integer({ min: 0, max: 5 }),
  maxEntries: fc.oneof({ weight: 2, arbitrary: fc.constant(Number.POSITIVE_INFINITY) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 30 }) }),
  maxBytes: fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 200, max: 200_000 })),
  threads: fc.integer({ min: 1, max: 2 }),
  // 0: every batch over 64 entries fills over several turns, with the sequence running in between.
  sliceMs: fc.constantFrom(0, 0, 0, 2),
  durability: fc.constantFrom('os' as const, 'fsync' as const),
  keys: fc.constant(0), // drawn with the operations
});
