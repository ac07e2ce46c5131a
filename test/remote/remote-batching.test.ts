import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { Cacher, type CacherExposure, type CacherOptions, connectCacher, exposeCacher, type LarderError, MemoryBackend, Region, type RemoteCacher } from '../../src/main/index.js';

// Both ends in this thread, over a real MessageChannel: the wire behaviour is the same, and
// the owner's side can be inspected directly.
const open: Array<{ cache: Cacher; exposure: CacherExposure; client: RemoteCacher }> = [];

afterEach(async () => {
  for (const { cache, exposure, client } of open.splice(0)) {
    await client.release();
    exposure.close();
    await cache.stop();
  }
});

async function pair(options: Parameters<typeof connectCacher>[1] = {}, owner: CacherOptions = {}) {
  const cache = await Cacher.open({ store: 'memory', ...owner });
  const { port1, port2 } = new MessageChannel();
  let setMessages = 0;
  // comlink's wire format: one APPLY message per call, `path` naming the method.
  port1.on('message', (m: { type?: string; path?: string[] }) => {
    if (m.type === 'APPLY' && m.path?.[0] === 'setMany') setMessages++;
  });
  const exposure = exposeCacher(cache, port1);
  const client = connectCacher(port2, options);
  open.push({ cache, exposure, client });
  return { cache, exposure, client, setMessages: () => setMessages };
}

describe('batched remote sets', () => {
  it('the sets of one tick cross in one message, and a read right after sees them', async () => {
    const { cache, client, setMessages } = await pair();
    for (let i = 0; i < 1_000; i++) client.set(`k${i}`, i);
    expect(await client.get('k999')).toBe(999);
    expect(setMessages()).toBe(1);
    expect(client.localStats).toMatchObject({ batches: 1, batchedSets: 1_000 });
    for (let i = 0; i < 10; i++) {
      client.set(`later${i}`, i);
      await client.has(`later${i}`);
    }
    expect(setMessages()).toBe(11);
    expect(cache.stats.sets).toBe(1_010);
  });

  it('keeps per-set ttl', async () => {
    let now = 1_000_000;
    const timers = { now: () => now, setTimeout, clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
    const { cache, client } = await pair({}, { timers });
    client.set('short', 1, { ttl: 1_000 });
    client.set('forever', 2);
    await client.sync();
    expect([cache.get('short'), cache.get('forever')]).toEqual([1, 2]);
    now += 2_000;
    expect([cache.get('short'), cache.get('forever')]).toEqual([undefined, 2]);
  });

  it('a value that cannot be cloned fails alone, as ERR_NOT_SERIALIZABLE; the rest of its batch lands', async () => {
    const { cache, client } = await pair();
    const errors: LarderError[] = [];
    client.on('error', (e: LarderError) => errors.push(e));
    client.set('a', 1);
    client.set('fn', () => 1);
    client.set('b', 2);
    await expect(client.sync()).rejects.toMatchObject({ code: 'ERR_NOT_SERIALIZABLE', keys: ['fn'] });
    expect(errors.map((e) => e.code)).toEqual(['ERR_NOT_SERIALIZABLE']);
    expect([cache.get('a'), cache.has('fn'), cache.get('b')]).toEqual([1, false, 2]);
    await expect(client.save('fn', () => 2)).rejects.toMatchObject({ code: 'ERR_NOT_SERIALIZABLE' });
  });

  it('release() sends queued sets, closes the port, and later calls fail with ERR_REMOTE_CLOSED', async () => {
    const { cache, exposure, client } = await pair();
    client.set('last', 'word');
    await client.release();
    expect(cache.get('last')).toBe('word');
    expect(client.closed).toBe(true);
    await expect(client.get('last')).rejects.toMatchObject({ code: 'ERR_REMOTE_CLOSED' });
    expect(() => client.set('x', 1)).toThrow(expect.objectContaining({ code: 'ERR_REMOTE_CLOSED' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(exposure.closed).toBe(true);
  });

  it('rejects bad arguments at once', async () => {
    const { client } = await pair();
    expect(() => client.set(1 as unknown as string, 1)).toThrow(TypeError);
    expect(() => client.set('k', 1, { ttl: -1 })).toThrow(RangeError);
    expect(() => connectCacher(new MessageChannel().port1, { timeout: Number.NaN })).toThrow(TypeError);
    expect(() => connectCacher(new MessageChannel().port1, { localCache: { max: 0 } })).toThrow(/localCache.max/);
  });
});

describe('getOrCreate locks held by a thread that goes away', () => {
  it("a waiter fails with ERR_REMOTE_CLOSED when the creator's connection closes", async () => {
    const { cache } = await pair();
    const { port1, port2 } = new MessageChannel();
    exposeCacher(cache, port1);
    const creatorThread = connectCacher(port2);
    let started!: () => void;
    const creating = new Promise<void>((resolve) => (started = resolve));
    const never = creatorThread.getOrCreate('k', () => {
      started();
      return new Promise<number>(() => {});
    });
    never.catch(() => {});
    await creating;
    const waiter = open[0]!.client.getOrCreate('k', () => 2);
    await creatorThread.release();
    await expect(waiter).rejects.toMatchObject({ code: 'ERR_REMOTE_CLOSED', keys: ['k'] });
    expect(await open[0]!.client.getOrCreate('k', () => 3)).toBe(3);
  });

  it("a waiter fails with ERR_REMOTE_LOCK_TIMEOUT after its waitTimeout; the creator's value still lands", async () => {
    const { cache, client } = await pair();
    let finish!: (v: number) => void;
    let started!: () => void;
    const creating = new Promise<void>((resolve) => (started = resolve));
    const first = client.getOrCreate('slow', () => {
      started();
      return new Promise<number>((resolve) => (finish = resolve));
    });
    await creating;
    await expect(client.getOrCreate('slow', () => 0, { waitTimeout: 20 })).rejects.toMatchObject({ code: 'ERR_REMOTE_LOCK_TIMEOUT' });
    finish(7);
    expect(await first).toBe(7);
    expect(cache.get('slow')).toBe(7);
  });
});

describe('getOrCreate routed through a Region', () => {
  it("the Region's single-flight decides who creates; the value is stored in the Region", async () => {
    const cache = await Cacher.open({ store: 'memory' });
    const region = new Region({ store: new MemoryBackend() });
    const clients = [0, 1, 2].map(() => {
      const { port1, port2 } = new MessageChannel();
      const exposure = exposeCacher(cache, port1, { region });
      const client = connectCacher(port2);
      open.push({ cache, exposure, client });
      return client;
    });
    let calls = 0;
    const creator = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { made: calls };
    };
    const values = await Promise.all(clients.map((c) => c.getOrCreate('r', creator)));
    expect(calls).toBe(1);
    expect(values).toEqual([{ made: 1 }, { made: 1 }, { made: 1 }]);
    expect(await region.get('r')).toEqual({ made: 1 });
    expect(await clients[0]!.getOrCreate('r', creator)).toEqual({ made: 1 });
    await expect(clients[1]!.getOrCreate('bad', () => Promise.reject(Object.assign(new Error('no'), { code: 'E_NO' })))).rejects.toMatchObject({ code: 'E_NO' });
  });
});
