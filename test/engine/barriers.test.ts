/**
 * Barriers (src/main/engine/barriers.ts) on their own, with timers the test drives. A barrier
 * taken at sequence `at` counts the entries pending then; `landed(since, rest)` counts one down
 * when the landed range holds a write it waits for (`since <= at`) and the entry has no write at
 * or before `at` left unflushed (`rest === 0 || rest > at`).
 */
import { describe, expect, it, vi } from 'vitest';
import { Barriers } from '../../src/main/engine/barriers.js';
import { fakeTimers } from '../helpers/fake-timers.js';

type Outcome = { state: 'pending' } | { state: 'resolved' } | { state: 'rejected'; error: unknown };

/** Follows a promise's outcome without awaiting it; read it after `settle()`. */
function track(promise: Promise<void>): { readonly outcome: Outcome } {
  const t: { outcome: Outcome } = { outcome: { state: 'pending' } };
  promise.then(
    () => (t.outcome = { state: 'resolved' }),
    (error: unknown) => (t.outcome = { state: 'rejected', error }),
  );
  return t;
}

/** Lets settled promises run their reactions (no time passes). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const never = (): Error => new Error('timeout not expected');

describe('Barriers', () => {
  it('resolves at once for a count of 0 and arms no timer', async () => {
    const clock = fakeTimers();
    const barriers = new Barriers(clock.timers);
    const onTimeout = vi.fn(never);
    await expect(barriers.add(5, 0, 1_000, onTimeout)).resolves.toBeUndefined();
    expect(clock.armed).toBe(0);
    expect(onTimeout).not.toHaveBeenCalled();
  });

  it('resolves when its count reaches zero, not before', async () => {
    const clock = fakeTimers();
    const barriers = new Barriers(clock.timers);
    const b = track(barriers.add(10, 3, 1_000, never));
    barriers.landed(1, 0);
    barriers.landed(4, 0);
    await settle();
    expect(b.outcome.state).toBe('pending');
    barriers.landed(10, 0);
    await settle();
    expect(b.outcome.state).toBe('resolved');
  });

  it('counts a range that starts at the barrier itself (since === at)', async () => {
    const barriers = new Barriers(fakeTimers().timers);
    const b = track(barriers.add(7, 1, Infinity, never));
    barriers.landed(7, 0);
    await settle();
    expect(b.outcome.state).toBe('resolved');
  });

  it('does not count a landed range newer than the barrier (since > at)', async () => {
    const barriers = new Barriers(fakeTimers().timers);
    const b = track(barriers.add(7, 1, Infinity, never));
    barriers.landed(8, 0);
    barriers.landed(100, 0);
    await settle();
    expect(b.outcome.state).toBe('pending');
    barriers.landed(6, 0);
    await settle();
    expect(b.outcome.state).toBe('resolved');
  });

  it('counts an entry whose remaining unflushed writes are all newer than the barrier (rest > at)', async () => {
    const barriers = new Barriers(fakeTimers().timers);
    const b = track(barriers.add(7, 1, Infinity, never));
    barriers.landed(3, 8);
    await settle();
    expect(b.outcome.state).toBe('resolved');
  });

  it('does not count an entry that still has a write at or before the barrier unflushed (0 < rest <= at)', async () => {
    const barriers = new Barriers(fakeTimers().timers);
    const b = track(barriers.add(7, 1, Infinity, never));
    barriers.landed(3, 5); // an older write is still queued
    barriers.landed(3, 7); // the barrier's own write is still queued
    await settle();
    expect(b.outcome.state).toBe('pending');
    barriers.landed(5, 0); // that write lands later: now the entry counts
    await settle();
    expect(b.outcome.state).toBe('resolved');
  });

  it('keeps several barriers, each counting only the ranges it waits for', async () => {
    const barriers = new Barriers(fakeTimers().timers);
    const early = track(barriers.add(5, 2, Infinity, never));
    const late = track(barriers.add(10, 3, Infinity, never));

    barriers.landed(2, 0); // both: early 1 left, late 2 left
    barriers.landed(7, 0); // late only (newer than early): late 1 left
    barriers.landed(3, 6); // early only: rest 6 is after 5 but not after 10
    await settle();
    expect(early.outcome.state).toBe('resolved');
    expect(late.outcome.state).toBe('pending');

    barriers.landed(6, 0);
    await settle();
    expect(late.outcome.state).toBe('resolved');
  });

  it('resolves several barriers on the same landed entry', async () => {
    const barriers = new Barriers(fakeTimers().timers);
    const a = track(barriers.add(4, 1, Infinity, never));
    const b = track(barriers.add(9, 1, Infinity, never));
    barriers.landed(1, 0);
    await settle();
    expect([a.outcome.state, b.outcome.state]).toEqual(['resolved', 'resolved']);
  });

  it('ignores landed entries once resolved, and a new barrier starts its own count', async () => {
    const barriers = new Barriers(fakeTimers().timers);
    const first = track(barriers.add(5, 1, Infinity, never));
    barriers.landed(1, 0);
    const second = track(barriers.add(5, 2, Infinity, never));
    barriers.landed(2, 0);
    await settle();
    expect(first.outcome.state).toBe('resolved');
    expect(second.outcome.state).toBe('pending');
    barriers.landed(3, 0);
    await settle();
    expect(second.outcome.state).toBe('resolved');
  });

  it('rejects every barrier waiting for a failed range (since <= at) with that error, and no other', async () => {
    const barriers = new Barriers(fakeTimers().timers);
    const older = track(barriers.add(4, 1, Infinity, never));
    const atIt = track(barriers.add(6, 1, Infinity, never));
    const newer = track(barriers.add(9, 1, Infinity, never));
    const error = new Error('disk full');
    barriers.failed(6, error);
    await settle();
    expect(older.outcome.state).toBe('pending');
    expect(atIt.outcome).toEqual({ state: 'rejected', error });
    expect(newer.outcome).toEqual({ state: 'rejected', error });
    if (atIt.outcome.state === 'rejected') expect(atIt.outcome.error).toBe(error);

    barriers.landed(1, 0);
    await settle();
    expect(older.outcome.state).toBe('resolved');
  });

  it('ignores a failure after the barrier resolved, and a landing after it rejected', async () => {
    const barriers = new Barriers(fakeTimers().timers);
    const resolved = track(barriers.add(5, 1, Infinity, never));
    barriers.landed(1, 0);
    barriers.failed(1, new Error('too late'));
    const rejected = track(barriers.add(5, 1, Infinity, never));
    const error = new Error('first');
    barriers.failed(2, error);
    barriers.landed(2, 0);
    barriers.failed(2, new Error('second'));
    await settle();
    expect(resolved.outcome.state).toBe('resolved');
    expect(rejected.outcome).toEqual({ state: 'rejected', error });
  });

  it('rejects with onTimeout(at) when the timeout passes, not before', async () => {
    const clock = fakeTimers();
    const barriers = new Barriers(clock.timers);
    const timeoutError = new Error('still pending: a, b');
    const onTimeout = vi.fn((_at: number) => timeoutError);
    const b = track(barriers.add(42, 2, 500, onTimeout));
    expect(clock.armed).toBe(1);
    barriers.landed(1, 0);

    clock.advance(499);
    await settle();
    expect(b.outcome.state).toBe('pending');
    expect(onTimeout).not.toHaveBeenCalled();

    clock.advance(1);
    await settle();
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(onTimeout).toHaveBeenCalledWith(42);
    expect(b.outcome).toEqual({ state: 'rejected', error: timeoutError });
    expect(clock.armed).toBe(0);
  });

  it('stops counting a timed-out barrier, leaving the others alone', async () => {
    const clock = fakeTimers();
    const barriers = new Barriers(clock.timers);
    const short = track(barriers.add(5, 1, 100, () => new Error('short timed out')));
    const long = track(barriers.add(5, 1, 1_000, never));
    clock.advance(100);
    barriers.landed(1, 0);
    await settle();
    expect(short.outcome.state).toBe('rejected');
    expect(long.outcome.state).toBe('resolved');
    expect(clock.armed).toBe(0);
  });

  it('clears its timer when it resolves or rejects first', async () => {
    const clock = fakeTimers();
    const barriers = new Barriers(clock.timers);
    const onTimeout = vi.fn(never);
    const resolved = track(barriers.add(5, 1, 1_000, onTimeout));
    const rejected = track(barriers.add(8, 1, 1_000, onTimeout));
    expect(clock.armed).toBe(2);
    barriers.landed(1, 6); // counts for 5 only: 6 is still unflushed for 8
    expect(clock.armed).toBe(1);
    barriers.failed(6, new Error('write failed'));
    expect(clock.armed).toBe(0);
    clock.advance(10_000);
    await settle();
    expect(onTimeout).not.toHaveBeenCalled();
    expect(resolved.outcome.state).toBe('resolved');
    expect(rejected.outcome.state).toBe('rejected');
  });

  it('arms no timer for an infinite timeout and waits as long as it takes', async () => {
    const clock = fakeTimers();
    const barriers = new Barriers(clock.timers);
    const b = track(barriers.add(5, 1, Infinity, never));
    expect(clock.armed).toBe(0);
    clock.advance(1e12);
    await settle();
    expect(b.outcome.state).toBe('pending');
    barriers.landed(5, 0);
    await settle();
    expect(b.outcome.state).toBe('resolved');
  });

  it('does nothing on landed or failed with no live barrier', () => {
    const barriers = new Barriers(fakeTimers().timers);
    expect(() => {
      barriers.landed(1, 0);
      barriers.failed(1, new Error('nobody waits'));
    }).not.toThrow();
  });
});
