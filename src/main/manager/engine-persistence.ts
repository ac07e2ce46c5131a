/**
 * How managed caches map onto the engine: ONE `Cacher` per manager directory, shared by all of
 * the manager's persistent caches, so a manager with twenty caches still runs one writer pool.
 * Each entry is its own engine key, `<cache>/<key>`, so a save writes only the entries that
 * changed (write-behind, atomic and durable per entry, as the engine's store makes them), and a
 * marker key `<cache>` (no slash; cache names cannot contain one) records that the cache has
 * been saved, so an empty saved cache is told apart from one never saved (which gets built).
 * The store is whatever the engine defaults to (or `engine.store`): nothing here depends on
 * how a store lays out its data.
 */
import { Cacher } from '../engine/cacher.js';
import type { LarderError } from '../core/errors.js';
import type { CacherOptions } from '../engine/options.js';

export interface SavedMarker {
  savedAt: number;
}

export class EnginePersistence {
  #options: CacherOptions;
  #report: (error: LarderError) => void;
  #cacher: Promise<Cacher> | undefined;

  /** Nothing is opened (and no directory created) until a persistent cache first needs it. */
  constructor(options: CacherOptions, report: (error: LarderError) => void) {
    this.#options = options;
    this.#report = report;
  }

  get opened(): boolean {
    return this.#cacher !== undefined;
  }

  /** The saved contents of a cache, or undefined if it was never saved (or was deleted). */
  async read(cache: string): Promise<Map<string, unknown> | undefined> {
    const cacher = await this.#open();
    if (!cacher.has(cache)) return undefined;
    const prefix = `${cache}/`;
    const contents = new Map<string, unknown>();
    for (const key of await keysUnder(cacher, prefix)) {
      contents.set(key.slice(prefix.length), await cacher.load(key));
    }
    return contents;
  }

  /** Writes these entries and deletes those keys of one cache, durably. */
  async update(cache: string, sets: Iterable<readonly [string, unknown]>, deletes: Iterable<string>): Promise<void> {
    const cacher = await this.#open();
    for (const [key, value] of sets) await put(cacher, `${cache}/${key}`, value);
    for (const key of deletes) cacher.delete(`${cache}/${key}`);
    await this.#commit(cacher, cache);
  }

  /** Makes the saved contents of a cache exactly `contents`: writes them all, deletes any other key. */
  async replace(cache: string, contents: ReadonlyMap<string, unknown>): Promise<void> {
    const cacher = await this.#open();
    const prefix = `${cache}/`;
    for (const key of await keysUnder(cacher, prefix)) {
      if (!contents.has(key.slice(prefix.length))) cacher.delete(key);
    }
    for (const [key, value] of contents) await put(cacher, prefix + key, value);
    await this.#commit(cacher, cache);
  }

  /** Deletes everything saved for a cache, marker included, durably. */
  async remove(cache: string): Promise<void> {
    const cacher = await this.#open();
    for (const key of await keysUnder(cacher, `${cache}/`)) cacher.delete(key);
    if (cacher.has(cache)) cacher.delete(cache);
    await cacher.sync({ timeout: Number.POSITIVE_INFINITY });
  }

  /** Flushes and stops the engine (if it was ever opened). */
  async close(): Promise<void> {
    const opening = this.#cacher;
    this.#cacher = undefined;
    if (opening === undefined) return;
    const cacher = await opening.catch(() => undefined);
    await cacher?.stop();
  }

  #open(): Promise<Cacher> {
    this.#cacher ??= (async () => {
      const cacher = new Cacher(this.#options);
      cacher.on('error', this.#report);
      await cacher.start();
      return cacher;
    })();
    const opening = this.#cacher;
    // A failed open is not cached: the next call tries again (the directory may be fixed by then).
    opening.catch(() => {
      if (this.#cacher === opening) this.#cacher = undefined;
    });
    return opening;
  }

  async #commit(cacher: Cacher, cache: string): Promise<void> {
    await put(cacher, cache, { savedAt: cacher.options.timers.now() } satisfies SavedMarker);
    // A save has no deadline of its own: a slow disk delays it, it does not lose it.
    await cacher.sync({ timeout: Number.POSITIVE_INFINITY });
  }
}

/** `set`, waiting for the queue to drain first when it is above its high-water mark. */
async function put(cacher: Cacher, key: string, value: unknown): Promise<void> {
  if (!cacher.set(key, value)) await cacher.drained();
}

async function keysUnder(cacher: Cacher, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of cacher.keys()) if (key.startsWith(prefix)) keys.push(key);
  return keys;
}
