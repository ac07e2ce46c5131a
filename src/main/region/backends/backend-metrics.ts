/**
 * The metrics middleware: counts what reaches the store, per key (a `getMany` of ten keys is
 * ten gets). Use one `BackendMetrics` per Region: `wrap: [metrics.middleware]`.
 */
import { NO_VALUE, type Backend, type CachedEntry, type NoValue } from '../backend.js';
import { ProxyBackend, type BackendMiddleware } from './proxy-backend.js';

export interface BackendCounts {
  gets: number;
  hits: number;
  misses: number;
  sets: number;
  deletes: number;
}

export class BackendMetrics {
  readonly #counts: BackendCounts = { gets: 0, hits: 0, misses: 0, sets: 0, deletes: 0 };
  readonly middleware: BackendMiddleware = (next) => new CountingBackend(next, this.#counts);

  /** A copy of the counters now. A store hit may still be a Region miss (expired, invalidated). */
  snapshot(): Readonly<BackendCounts> {
    return Object.freeze({ ...this.#counts });
  }

  reset(): void {
    for (const name of Object.keys(this.#counts) as Array<keyof BackendCounts>) this.#counts[name] = 0;
  }
}

class CountingBackend extends ProxyBackend {
  readonly #counts: BackendCounts;

  constructor(next: Backend, counts: BackendCounts) {
    super(next);
    this.#counts = counts;
  }

  override async get(key: string): Promise<CachedEntry | NoValue> {
    const entry = await this.next.get(key);
    this.#count(entry);
    return entry;
  }

  override async getMany(keys: readonly string[]): Promise<Array<CachedEntry | NoValue>> {
    const entries = await this.next.getMany(keys);
    for (const entry of entries) this.#count(entry);
    return entries;
  }

  override set(key: string, entry: CachedEntry): Promise<void> {
    this.#counts.sets++;
    return this.next.set(key, entry);
  }

  override setMany(entries: ReadonlyMap<string, CachedEntry>): Promise<void> {
    this.#counts.sets += entries.size;
    return this.next.setMany(entries);
  }

  override delete(key: string): Promise<void> {
    this.#counts.deletes++;
    return this.next.delete(key);
  }

  override deleteMany(keys: readonly string[]): Promise<void> {
    this.#counts.deletes += keys.length;
    return this.next.deleteMany(keys);
  }

  #count(entry: CachedEntry | NoValue): void {
    this.#counts.gets++;
    if (entry === NO_VALUE) this.#counts.misses++;
    else this.#counts.hits++;
  }
}
