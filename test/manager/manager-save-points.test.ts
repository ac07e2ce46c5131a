import { afterEach, describe, expect, it, vi } from 'vitest';
import { openManager } from '../helpers/manager.js';
import { tempDir } from '../helpers/temp-dir.js';
import { DEFAULT_SAVE_POINTS, type SaveEvent, type Timers } from '../../src/main/index.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Timers the test drives: `advance(ms)` runs every timer due by then, in order, at its due time. */
function fakeTimers(start = 1_700_000_000_000) {
  let now = start;
  let next = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      due.set(++next, { at: now + ms, fn });
      return next;
    },
    clearTimeout: (handle) => void due.delete(handle as number),
  };
  return {
    timers,
    get armed() {
      return due.size;
    },
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        let first: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of due) if (entry[1].at <= end && (first === undefined || entry[1].at < first[1].at)) first = entry;
        if (first === undefined) break;
        due.delete(first[0]);
        now = first[1].at;
        first[1].fn();
      }
      now = end;
    },
  };
}

/** A cache whose saves go to a spy (no engine), on a manager driven by `clock`. */
async function spied(clock: ReturnType<typeof fakeTimers> | undefined, savePoints?: ReadonlyArray<readonly [number, number]>) {
  const m = openManager('points', clock === undefined ? {} : { timers: clock.timers });
  const saver = vi.fn();
  const cache = await m.register('c', { saver, loader: () => ({}), ...(savePoints === undefined ? {} : { savePoints }) });
  return { m, cache, saver };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('save points', () => {
  it('defaults to cacheman’s rules', () => {
    expect(DEFAULT_SAVE_POINTS).toEqual([[60, 10_000], [300, 10], [900, 1]]);
  });

  it('saves a lone edit by the timer at the end of the last window, with no further edits', async () => {
    const clock = fakeTimers();
    const { cache, saver } = await spied(clock);
    cache.set('only', 1);
    expect(cache.pendingChanges).toBe(1);
    clock.advance(899_999);
    await settle();
    expect(saver).not.toHaveBeenCalled();
    clock.advance(1);
    await settle();
    expect(saver).toHaveBeenCalledTimes(1);
    expect(saver).toHaveBeenCalledWith('c', new Map([['only', 1]]));
    expect(cache.pendingChanges).toBe(0);
    expect(clock.armed).toBe(0); // nothing left to save, nothing left armed
  });

  it('saves 10 edits at 300 s and 10 000 edits at 60 s (the default counts, by the timer)', async () => {
    const clock = fakeTimers();
    const { cache, saver } = await spied(clock);
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, i);
    clock.advance(299_000);
    await settle();
    expect(saver).not.toHaveBeenCalled();
    clock.advance(1_000);
    await settle();
    expect(saver).toHaveBeenCalledTimes(1);

    for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, i);
    clock.advance(59_999);
    await settle();
    expect(saver).toHaveBeenCalledTimes(1);
    clock.advance(1);
    await settle();
    expect(saver).toHaveBeenCalledTimes(2);
    expect(cache.pendingChanges).toBe(0);
  });

  it('fires on the edit that meets a count once the window has passed', async () => {
    const clock = fakeTimers();
    const { cache, saver } = await spied(clock, [[60, 3], [900, 1]]);
    cache.set('a', 1);
    clock.advance(61_000);
    cache.set('b', 2);
    await settle();
    expect(saver).not.toHaveBeenCalled(); // 2 edits: the [60, 3] rule is not met
    cache.set('c', 3); // the third edit meets it: saved now, not at 900 s
    await settle();
    expect(saver).toHaveBeenCalledTimes(1);
    expect(cache.pendingChanges).toBe(0);
  });

  it('a rule of 0 seconds saves on the edit that reaches its count', async () => {
    const clock = fakeTimers();
    const { cache, saver } = await spied(clock, [[0, 2]]);
    cache.set('a', 1);
    await settle();
    expect(saver).not.toHaveBeenCalled();
    cache.set('b', 1);
    await settle();
    expect(saver).toHaveBeenCalledTimes(1);
  });

  it('edits made while a save runs count toward the next one', async () => {
    const clock = fakeTimers();
    const m = openManager('points', { timers: clock.timers });
    let release!: () => void;
    const saver = vi.fn(() => new Promise<void>((resolve) => (release = resolve)));
    const cache = await m.register('c', { saver, loader: () => ({}), savePoints: [[10, 1]] });
    cache.set('a', 1);
    clock.advance(10_000);
    await settle();
    expect(saver).toHaveBeenCalledTimes(1);
    cache.set('b', 2);
    expect(cache.pendingChanges).toBe(1);
    release();
    await settle();
    clock.advance(10_000);
    await settle();
    expect(saver).toHaveBeenCalledTimes(2);
    expect(saver).toHaveBeenLastCalledWith('c', new Map([['a', 1], ['b', 2]]));
    release();
  }, 10_000);

  it('autosync: false never saves by itself, but pendingChanges still counts', async () => {
    const clock = fakeTimers();
    const m = openManager('points', { timers: clock.timers });
    const saver = vi.fn();
    const cache = await m.register('c', { saver, loader: () => ({}), autosync: false });
    cache.set('a', 1);
    cache.delete('a');
    cache.delete('a'); // deleting what is not there is not an edit
    clock.advance(3_600_000);
    await settle();
    expect(saver).not.toHaveBeenCalled();
    expect(cache.pendingChanges).toBe(2);
    expect(m.pendingChanges).toBe(2);
    expect(clock.armed).toBe(0);
  });

  it('a failed automatic save is reported, keeps the edits pending, and is retried after a backoff', async () => {
    const clock = fakeTimers();
    const m = openManager('points', { timers: clock.timers });
    const errors: unknown[] = [];
    m.on('error', (e) => errors.push(e));
    const saver = vi.fn().mockRejectedValueOnce(new Error('disk full')).mockResolvedValue(undefined);
    const cache = await m.register('c', { saver, loader: () => ({}), savePoints: [[1, 1]] });
    cache.set('a', 1);
    clock.advance(1_000);
    await settle();
    expect(errors).toEqual([new Error('disk full')]);
    expect(cache.pendingChanges).toBe(1);
    clock.advance(999);
    await settle();
    expect(saver).toHaveBeenCalledTimes(1); // backing off, not hammering
    clock.advance(1);
    await settle();
    expect(saver).toHaveBeenCalledTimes(2);
    expect(cache.pendingChanges).toBe(0);
  });

  it('works with vitest fake timers and the default system timers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { cache, saver } = await spied(undefined, [[5, 1]]);
    cache.set('a', 1);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(saver).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(saver).toHaveBeenCalledTimes(1);
  });

  it('an engine-persisted lone edit reaches disk by the timer, before close()', async () => {
    const clock = fakeTimers();
    const dir = tempDir();
    const m = openManager('points', { dir, timers: clock.timers });
    const saves: SaveEvent[] = [];
    const saved = new Promise<void>((resolve) => m.on('save', (e: SaveEvent) => (saves.push(e), resolve())));
    const cache = await m.register('c');
    cache.set('lone', 'edit');
    clock.advance(900_000);
    await saved;
    expect(cache.pendingChanges).toBe(0);
    await m.close();
    expect(saves).toEqual([{ cache: 'c', changes: 1 }]); // close() had nothing left to save

    const again = openManager('points', { dir });
    expect((await again.register('c')).get('lone')).toBe('edit');
  }, 15_000);
});
