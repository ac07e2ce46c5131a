import { describe, expect, it } from 'vitest';
import { openBucket } from '../helpers/bucket.js';
import { manualClock } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { deferredWrite } from '../../src/main/index.js';

describe('bucket.deferred()', () => {
  it('writes nothing until sync(): the bucket neither serves nor stores the view’s changes', async () => {
    const dir = tempDir();
    const bucket = await openBucket(dir);
    bucket.set('kept', 'old');
    bucket.set('gone', 'here');
    const view = bucket.deferred();
    view.set('kept', 'new');
    view.set('fresh', 1);
    expect(view.delete('gone')).toBe(true);
    expect([view.get('kept'), view.get('fresh'), view.has('gone')]).toEqual(['new', 1, false]);
    expect([bucket.get('kept'), bucket.has('fresh'), bucket.get('gone')]).toEqual(['old', false, 'here']);
    expect(view.pendingCount).toBe(3);
    await bucket.sync();
    expect(bucket.cacher.stats.sets).toBe(2);

    await view.sync();
    expect(view.pendingCount).toBe(0);
    expect([bucket.get('kept'), bucket.get('fresh'), bucket.has('gone')]).toEqual(['new', 1, false]);
    await bucket.close();
    const reopened = await openBucket(dir);
    expect([reopened.get('kept'), reopened.get('fresh'), reopened.has('gone')]).toEqual(['new', 1, false]);
  });

  it('discard() drops pending changes', async () => {
    const bucket = await openBucket(tempDir());
    const view = bucket.deferred();
    view.set('a', 1);
    expect(view.discard()).toBe(1);
    await view.sync();
    expect(bucket.has('a')).toBe(false);
  });

  it('keeps the expiry from set time; a value that expired while deferred is not written', async () => {
    const clock = manualClock();
    const bucket = await openBucket(tempDir(), { seconds: 10 }, { engine: { timers: clock.timers } });
    bucket.set('stale', 'old value');
    const view = bucket.deferred();
    view.set('stale', 'short-lived', { seconds: 1 });
    view.set('lasting', 'v');
    clock.advance(2_000);
    expect(view.has('stale')).toBe(false);
    await view.sync();
    expect(bucket.has('stale')).toBe(false); // not the old value either
    expect(bucket.get('lasting')).toBe('v');
    clock.advance(7_500);
    expect(bucket.get('lasting')).toBe('v');
    clock.advance(1_000); // 10.5 s after the deferred set
    expect(bucket.has('lasting')).toBe(false);
  });
});

describe('deferredWrite(bucket, block)', () => {
  it('writes everything from the block at its end, durably, and returns its result', async () => {
    const dir = tempDir();
    const bucket = await openBucket(dir);
    const result = await deferredWrite(bucket, async (d) => {
      d.set('a', 1);
      await new Promise((r) => setTimeout(r, 5));
      expect(bucket.has('a')).toBe(false); // not yet visible outside the block
      d.set('b', 2);
      return 'done';
    });
    expect(result).toBe('done');
    expect([bucket.get('a'), bucket.get('b')]).toEqual([1, 2]);
    expect(bucket.cacher.pendingCount).toBe(0); // already durable
  });

  it('on an exception writes nothing from the block, serves nothing from it, and rethrows', async () => {
    const dir = tempDir();
    const bucket = await openBucket(dir);
    bucket.set('existing', 'before');
    let view: Parameters<Parameters<typeof deferredWrite>[1]>[0] | undefined;
    const failure = new Error('block failed');
    await expect(
      deferredWrite(bucket, (d) => {
        view = d;
        d.set('existing', 'during');
        d.set('new', 'during');
        d.delete('existing');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(bucket.get('existing')).toBe('before');
    expect(bucket.has('new')).toBe(false);
    expect(() => view?.get('new')).toThrow(expect.objectContaining({ code: 'ERR_DEFERRED_CLOSED' }));
    await bucket.close();
    const reopened = await openBucket(dir);
    expect(reopened.get('existing')).toBe('before');
    expect(reopened.has('new')).toBe(false);
  });
});
