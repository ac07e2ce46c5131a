/**
 * What KeyvLarder adds to the Keyv interface, beyond what Keyv's suite checks: owned and
 * borrowed cachers, what a resolved `set` promises and the ways to wait for durability, raw
 * values kept by larder's codec across a restart, namespace-scoped `clear`, back-pressure,
 * forwarded errors, and option validation.
 */
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Keyv } from 'keyv';
import { Cacher, type LarderError } from '../../src/main/index.js';
import { KeyvLarder } from '../../src/main/adapters/index.js';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { closeAfter } from './adapter-helpers.js';

/** A Keyv that hands the adapter its `{ value, expires }` objects unserialized. */
function rawKeyv(store: KeyvLarder, namespace?: string): Keyv {
  const keyv = namespace === undefined ? new Keyv({ store }) : new Keyv({ store, namespace });
  keyv.serialize = undefined;
  keyv.deserialize = undefined;
  return keyv;
}

describe('KeyvLarder', () => {
  it('starts an owned cacher on first use and stops it on disconnect, after writing everything', async () => {
    const dir = tempDir();
    const adapter = new KeyvLarder({ dir, flushDelay: 60_000 });
    expect(adapter.cacher.isStarted).toBe(false);
    const keyv = new Keyv({ store: adapter });
    await keyv.set('a', 1);
    expect(adapter.cacher.isStarted).toBe(true);
    expect(adapter.cacher.pendingCount).toBe(1);
    await keyv.disconnect();
    expect(adapter.cacher.isStarted).toBe(false);
    await expect(adapter.get('keyv:a')).rejects.toMatchObject({ code: 'ERR_STOPPED' });
    await adapter.disconnect(); // idempotent

    const again = closeAfter(new KeyvLarder({ dir }), (a) => a.disconnect());
    expect(await new Keyv({ store: again }).get('a')).toBe(1);
  });

  it('leaves a borrowed cacher running on disconnect', async () => {
    const { cache: cacher } = await openCacher({ store: 'memory' });
    const listeners = cacher.listenerCount('error');
    const adapter = new KeyvLarder(cacher);
    expect(cacher.listenerCount('error')).toBe(listeners + 1);
    await new Keyv({ store: adapter }).set('a', 1);
    await adapter.disconnect();
    expect(cacher.isStarted).toBe(true);
    expect(cacher.has('keyv:a')).toBe(true);
    expect(cacher.listenerCount('error')).toBe(listeners);
    await expect(adapter.set('keyv:b', '2')).rejects.toMatchObject({ code: 'ERR_STOPPED' });
  });

  it('resolves set once accepted (read back at once, not yet written); sync() waits for the write', async () => {
    // Writes held back for a minute: only sync() can have written this one.
    const { cache: cacher } = await openCacher({ dir: tempDir(), flushDelay: 60_000 });
    const adapter = new KeyvLarder(cacher);
    const keyv = new Keyv({ store: adapter });
    expect(await keyv.set('k', 'v')).toBe(true);
    expect(await keyv.get('k')).toBe('v');
    expect(cacher.pendingCount).toBe(1);
    await adapter.sync();
    expect(cacher.pendingCount).toBe(0);
    expect(cacher.stats.flushed).toBe(1);
  });

  it('with durable: true, resolves every write only once it is written', async () => {
    const { cache: cacher } = await openCacher({ dir: tempDir(), flushDelay: 60_000 });
    const keyv = new Keyv({ store: new KeyvLarder(cacher, { durable: true }) });
    await keyv.set('a', 1);
    expect(cacher.pendingCount).toBe(0);
    await keyv.setMany([
      { key: 'b', value: 2 },
      { key: 'c', value: 3, ttl: 60_000 },
    ]);
    expect(cacher.pendingCount).toBe(0);
    expect(await keyv.delete('a')).toBe(true);
    expect(cacher.pendingCount).toBe(0);
    expect(cacher.stats.flushed).toBe(4);
  });

  it("stores raw values with larder's codec, keeping types JSON would lose, across a restart", async () => {
    const dir = tempDir();
    const value = { when: new Date(0), tags: new Set(['a']), counts: new Map([['x', 1]]), big: 10n, bytes: Buffer.from('hi') };
    const first = new KeyvLarder({ dir });
    const writer = rawKeyv(first);
    await writer.set('v', value);
    // Not a string: the object itself went to larder.
    expect(first.cacher.get('keyv:v')).toMatchObject({ value: { big: 10n } });
    await first.disconnect();

    const second = closeAfter(new KeyvLarder({ dir }), (a) => a.disconnect());
    expect(await rawKeyv(second).get('v')).toEqual(value);
  });

  it('clears only its namespace, or the whole cacher without one', async () => {
    const { cache: cacher } = await openCacher({ store: 'memory' });
    cacher.set('not-keyv', 0);
    const users = new Keyv({ store: new KeyvLarder(cacher), namespace: 'users' });
    const posts = new Keyv({ store: new KeyvLarder(cacher), namespace: 'posts' });
    await users.set('1', 'Ada');
    await posts.set('1', 'Hello');
    await users.clear();
    expect(await users.get('1')).toBeUndefined();
    expect(await posts.get('1')).toBe('Hello');
    expect(cacher.get('not-keyv')).toBe(0);

    // namespace '' (falsy): Keyv neither prefixes keys nor gives the adapter a namespace.
    const whole = new Keyv({ store: new KeyvLarder(cacher), namespace: '' });
    await whole.set('plain', 1);
    expect(cacher.get('plain')).toBe(JSON.stringify({ value: 1 }));
    await whole.clear();
    const left: string[] = [];
    for await (const key of cacher.keys()) left.push(key);
    expect(left).toEqual([]);
  });

  it('holds set back above highWaterMark until the queue drains', async () => {
    const { cache: cacher } = await openCacher({ dir: tempDir(), highWaterMark: 3, maxPending: 10 });
    const adapter = new KeyvLarder(cacher);
    cacher.pause();
    await adapter.set('a', '1');
    await adapter.set('b', '2');
    let resolved = false;
    const third = adapter.set('c', '3').then(() => (resolved = true));
    for (let i = 0; i < 5; i++) await tick();
    // Accepted (read back at once) but the promise waits: the cacher is paused, nothing drains.
    expect(await adapter.get('c')).toBe('3');
    expect(resolved).toBe(false);
    cacher.resume();
    await third;
    expect(resolved).toBe(true);
  });

  it("forwards the cacher's errors to Keyv's 'error' event", async () => {
    const { cache: cacher } = await openCacher({ dir: tempDir() });
    const keyv = rawKeyv(new KeyvLarder(cacher));
    const errors: LarderError[] = [];
    keyv.on('error', (e: LarderError) => errors.push(e));
    // A function cannot be serialized by larder's codec; raw values reach it as they are.
    await keyv.set('f', { run() {} });
    await cacher.sync().catch(() => {});
    await expect.poll(() => errors.map((e) => e.code)).toContain('ERR_NOT_SERIALIZABLE');
    expect(errors[0]?.keys).toEqual(['keyv:f']);
  });

  it('rejects bad arguments at construction, naming the option and the value', () => {
    expect(() => new KeyvLarder({ dir: tempDir() }, { durable: 1 as never })).toThrow(/durable must be a boolean, received 1/);
    expect(() => new KeyvLarder({ dir: tempDir() }, { durabel: true } as never)).toThrow(/unknown KeyvLarder option durabel \(received true\)/);
    expect(() => new KeyvLarder({ dir: 5 } as never)).toThrow(/dir must be a non-empty string, received 5/);
    expect(() => new KeyvLarder(null as never)).toThrow(/KeyvLarder takes a Cacher or the options of one \(CacherOptions\), received null/);
    expect(() => new KeyvLarder({ store: 'log' })).toThrow(TypeError);
    expect(new KeyvLarder(new Cacher({ store: 'memory' })).opts).toEqual({ dialect: 'larder', url: 'larder:', durable: false });
  });
});
