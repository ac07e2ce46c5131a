import { describe, expect, it } from 'vitest';
import { MemoryBackend, NO_VALUE, ProxyBackend, Region, RegionBroadcastError, type RegionInvalidation } from '../../src/main/index.js';

/** A store that broadcasts: what the region publishes is recorded, and the test delivers "remote" messages. */
class BroadcastBackend extends MemoryBackend {
  readonly published: RegionInvalidation[] = [];
  readonly listeners = new Set<(message: RegionInvalidation) => void>();
  failPublish: Error | undefined;

  async publishRegionInvalidation(message: RegionInvalidation): Promise<void> {
    if (this.failPublish !== undefined) throw this.failPublish;
    this.published.push(message);
  }

  onRegionInvalidation(listener: (message: RegionInvalidation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A message from another process. */
  deliver(message: RegionInvalidation): void {
    for (const listener of this.listeners) listener(message);
  }
}

function clock(start = 1_700_000_000_000) {
  let now = start;
  return {
    timers: { now: () => now, setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) },
    advance(ms: number) {
      now += ms;
    },
    get now() {
      return now;
    },
  };
}

/** A region named 'users' over a broadcasting store, on a clock the test moves. */
function usersRegion() {
  const c = clock();
  const store = new BroadcastBackend();
  return { c, store, region: new Region({ store, name: 'users', timers: c.timers }) };
}

describe('region: invalidations broadcast through the store', () => {
  it('subscribes when built and unsubscribes on close', async () => {
    const store = new BroadcastBackend();
    const region = new Region({ store, name: 'users' });
    expect(store.listeners.size).toBe(1);
    await region.close();
    expect(store.listeners.size).toBe(0);
  });

  it('a remote hard invalidation of its own name makes older values missing; other names are ignored', async () => {
    const { c, store, region: users } = usersRegion();
    await users.set('ann', 1);
    c.advance(10);

    store.deliver({ region: 'orders', hard: true, at: c.now });
    expect(await users.get('ann')).toBe(1);

    store.deliver({ region: 'users', hard: true, at: c.now });
    expect(await users.get('ann')).toBe(NO_VALUE);
    expect(await users.get('ann', { ignoreExpiry: true })).toBe(NO_VALUE);
    // A value made after the message is fresh, and receiving did not publish it again.
    await users.set('ann', 2);
    expect(await users.get('ann')).toBe(2);
    expect(store.published).toEqual([]);
  });

  it('a remote soft invalidation makes older values expired: served stale while one caller regenerates', async () => {
    const { c, store, region } = usersRegion();
    await region.set('ann', 'old');
    c.advance(10);
    store.deliver({ region: 'users', hard: false, at: c.now });

    expect(await region.get('ann')).toBe(NO_VALUE);
    expect(await region.get('ann', { ignoreExpiry: true })).toBe('old');
    let release!: (value: string) => void;
    const regenerated = new Promise<string>((resolve) => (release = resolve));
    expect(await region.getOrCreate('ann', () => regenerated, { refresh: 'background' })).toBe('old');
    expect(region.isRegenerating('ann')).toBe(true);
    release('new');
    await expect.poll(() => region.get('ann')).toBe('new');
  });

  it('a remote invalidation older than a local one does not move it back', async () => {
    const { c, store, region } = usersRegion();
    await region.set('ann', 1);
    c.advance(10);
    await region.invalidate({ hard: true });
    store.deliver({ region: 'users', hard: true, at: c.now - 100 });
    expect(await region.get('ann')).toBe(NO_VALUE);
  });

  it('invalidate applies locally and publishes region, kind and time, also through middleware', async () => {
    const c = clock();
    const store = new BroadcastBackend();
    const region = new Region({ store, name: 'users', timers: c.timers, wrap: [(next) => new ProxyBackend(next)] });
    expect(store.listeners.size).toBe(1);
    await region.set('ann', 1);
    c.advance(5);
    await region.invalidate({ hard: false });
    expect(await region.get('ann')).toBe(NO_VALUE);
    c.advance(5);
    await region.invalidate();
    expect(store.published).toEqual([
      { region: 'users', hard: false, at: c.now - 5 },
      { region: 'users', hard: true, at: c.now },
    ]);
    await region.close();
    expect(store.listeners.size).toBe(0);
  });

  it('a failed publish is an error event, not a throw: the local invalidation stands', async () => {
    const { c, store, region } = usersRegion();
    const errors: unknown[] = [];
    region.on('error', (error) => errors.push(error));
    await region.set('ann', 1);
    c.advance(5);
    store.failPublish = new Error('connection lost');
    await region.invalidate({ hard: true });
    expect(await region.get('ann')).toBe(NO_VALUE);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RegionBroadcastError);
    expect(errors[0]).toMatchObject({ code: 'ERR_REGION_BROADCAST', cause: store.failPublish });
  });

  it('a store without the hooks keeps invalidate process-local', async () => {
    const store = new MemoryBackend();
    const region = new Region({ store, name: 'users' });
    await region.set('ann', 1);
    await region.invalidate();
    expect(await region.get('ann')).toBe(NO_VALUE);
    await region.close();
  });
});
