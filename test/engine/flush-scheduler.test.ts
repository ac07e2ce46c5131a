/**
 * FlushScheduler (src/main/engine/flush-scheduler.ts) on its own. Its timers go through the
 * injected `Timers`, driven here by hand; `soon()` uses the real setImmediate, so that one (and
 * clearImmediate) is faked with vitest and run with `nextTurn()`. The pump is a spy: nothing is
 * written, the test only looks at when the scheduler asks for a flush.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeTimers } from '../helpers/fake-timers.js';
import { FlushScheduler } from '../../src/main/engine/flush-scheduler.js';

const START = 1_700_000_000_000;

/** Runs the setImmediate callbacks `soon()` scheduled (the next turn of the event loop). */
const nextTurn = (): void => {
  vi.runOnlyPendingTimers();
};

/**
 * A scheduler with a pump that, like the engine's, asks `begin()` first and records when it ran
 * (ms after the start) and whether begin() let it.
 */
function setup(flushDelay: number, savePoints: ReadonlyArray<readonly [number, number]> = []) {
  const clock = fakeTimers();
  const runs: Array<{ at: number; began: boolean }> = [];
  const scheduler: FlushScheduler = new FlushScheduler(clock.timers, flushDelay, savePoints, () => {
    runs.push({ at: clock.elapsed, began: scheduler.begin() });
  });
  scheduler.started();
  return { clock, scheduler, runs, pumpedAt: () => runs.map((r) => r.at) };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setImmediate', 'clearImmediate'] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('FlushScheduler: flushDelay', () => {
  it('pumps flushDelay after the first write joins an idle queue, not before', () => {
    const { clock, scheduler, pumpedAt } = setup(1_000);
    clock.to(200);
    scheduler.queued(1, 100, false);
    expect(clock.due).toEqual([1_200]);
    clock.to(1_199);
    expect(pumpedAt()).toEqual([]);
    clock.to(1_200);
    expect(pumpedAt()).toEqual([1_200]);
    expect(clock.due).toEqual([]);
  });

  it('does not push the deadline back for later writes', () => {
    const { clock, scheduler, pumpedAt } = setup(1_000);
    scheduler.queued(1, 100, false);
    clock.to(500);
    scheduler.queued(2, 100, false);
    clock.to(900);
    scheduler.queued(3, 100, false);
    expect(clock.due).toEqual([1_000]);
    clock.to(5_000);
    expect(pumpedAt()).toEqual([1_000]);
  });

  it('arms a fresh flushDelay for the first write after a flush', () => {
    const { clock, scheduler, pumpedAt } = setup(1_000);
    scheduler.queued(1, 100, false);
    clock.to(1_000);
    scheduler.completed(true);
    clock.to(3_000);
    scheduler.queued(1, 100, false);
    clock.to(10_000);
    expect(pumpedAt()).toEqual([1_000, 4_000]);
  });

  it('arms nothing while batches are being written: their completion pumps', () => {
    const { clock, scheduler, pumpedAt } = setup(1_000);
    scheduler.queued(1, 100, true);
    scheduler.queued(2, 100, true);
    expect(clock.due).toEqual([]);
    clock.to(10_000);
    nextTurn();
    expect(pumpedAt()).toEqual([]);
  });

  it('pumps once for a timer that begin() made moot', () => {
    const { clock, scheduler, runs } = setup(1_000);
    scheduler.queued(1, 100, false);
    clock.to(300);
    scheduler.soon();
    nextTurn();
    expect(runs).toEqual([{ at: 300, began: true }]);
    expect(clock.due).toEqual([]); // begin() cleared the flushDelay timer
    clock.to(5_000);
    expect(runs).toHaveLength(1);
  });
});

describe('FlushScheduler: soon and full batches', () => {
  it('pumps on the next turn, not synchronously, once a batch is full', () => {
    const { clock, scheduler, pumpedAt } = setup(60_000);
    for (let size = 1; size < 10; size++) scheduler.queued(size, 10, false);
    nextTurn();
    expect(pumpedAt()).toEqual([]);
    clock.to(50);
    scheduler.queued(10, 10, false);
    expect(pumpedAt()).toEqual([]);
    nextTurn();
    expect(pumpedAt()).toEqual([50]);
  });

  it('pumps on the next turn for a full batch even while batches are being written', () => {
    const { scheduler, pumpedAt } = setup(60_000);
    scheduler.queued(10, 10, true);
    expect(pumpedAt()).toEqual([]);
    nextTurn();
    expect(pumpedAt()).toEqual([0]);
  });

  it('pumps once for many soon() calls in one turn, and again for a soon() after it ran', () => {
    const { scheduler, pumpedAt } = setup(60_000);
    scheduler.soon();
    scheduler.soon();
    scheduler.queued(20, 10, false);
    scheduler.queued(21, 10, false);
    expect(vi.getTimerCount()).toBe(1);
    nextTurn();
    expect(pumpedAt()).toEqual([0]);
    scheduler.soon();
    nextTurn();
    expect(pumpedAt()).toEqual([0, 0]);
  });
});

describe('FlushScheduler: save points', () => {
  it('pumps when a rule is met: `changes` queued and `seconds` since the start', () => {
    const { clock, scheduler, pumpedAt } = setup(10_000, [[1, 3]]);
    scheduler.queued(1, 100, false);
    clock.to(100);
    scheduler.queued(2, 100, false);
    expect(clock.due).toEqual([10_000]); // 2 < 3 changes: only flushDelay bounds the wait
    clock.to(200);
    scheduler.queued(3, 100, false);
    expect(clock.due).toEqual([1_000]);
    clock.to(999);
    expect(pumpedAt()).toEqual([]);
    clock.to(1_000);
    expect(pumpedAt()).toEqual([1_000]);
    clock.to(20_000);
    expect(pumpedAt()).toEqual([1_000]);
  });

  it('pumps at once when the count is reached and the seconds have long passed', () => {
    const { clock, scheduler, pumpedAt } = setup(10_000, [[1, 3]]);
    clock.to(5_000);
    scheduler.queued(1, 100, false);
    scheduler.queued(2, 100, false);
    scheduler.queued(3, 100, false);
    expect(clock.due).toEqual([5_000]);
    clock.advance(0);
    expect(pumpedAt()).toEqual([5_000]);
  });

  it('applies a rule to the first write when its count is 1', () => {
    const { clock, scheduler, pumpedAt } = setup(60_000, [[2, 1]]);
    clock.to(500);
    scheduler.queued(1, 100, false);
    expect(clock.due).toEqual([2_000]);
    clock.to(60_000);
    expect(pumpedAt()).toEqual([2_000]);
  });

  it('counts the seconds from the last completed batch', () => {
    const { clock, scheduler, pumpedAt } = setup(60_000, [[1, 2]]);
    clock.to(5_000);
    scheduler.completed(true);
    clock.to(5_100);
    scheduler.queued(1, 100, false);
    scheduler.queued(2, 100, false);
    clock.to(6_000);
    expect(pumpedAt()).toEqual([6_000]);
  });

  it('counts the seconds from started() before any flush', () => {
    const { clock, scheduler, pumpedAt } = setup(60_000, [[1, 1]]);
    clock.to(10_000);
    scheduler.started(); // the engine started now, not at construction
    clock.to(10_400);
    scheduler.queued(1, 100, false);
    clock.to(60_000);
    expect(pumpedAt()).toEqual([11_000]);
  });

  it('takes the soonest of the rules met, and ignores those not met', () => {
    const { clock, scheduler, pumpedAt } = setup(60_000, [
      [30, 1],
      [5, 3],
      [1, 100],
    ]);
    scheduler.queued(1, 1_000, false);
    expect(clock.due).toEqual([30_000]);
    scheduler.queued(2, 1_000, false);
    scheduler.queued(3, 1_000, false);
    expect(clock.due).toEqual([5_000]);
    clock.to(60_000);
    expect(pumpedAt()).toEqual([5_000]);
  });

  it('never waits longer than flushDelay for a rule', () => {
    const { clock, scheduler, pumpedAt } = setup(1_000, [[60, 1]]);
    scheduler.queued(1, 100, false);
    clock.to(10_000);
    expect(pumpedAt()).toEqual([1_000]);
  });

  // Regression: reaching a rule's count while the flushDelay timer ran re-armed the timer from
  // *now* (min(flushDelay, the rule's remaining seconds)), so the first write, queued at 0 with
  // flushDelay 1000, was not flushed until 1900. A met save point may only bring it forward.
  it('keeps the flushDelay deadline of the first write when a rule count is reached before its seconds', () => {
    const { clock, scheduler, pumpedAt } = setup(1_000, [[60, 3]]);
    scheduler.queued(1, 100, false);
    clock.to(400);
    scheduler.queued(2, 100, false);
    clock.to(900);
    scheduler.queued(3, 100, false);
    clock.to(10_000);
    expect(pumpedAt()).toEqual([1_000]);
  });
});

describe('FlushScheduler: begin, completed, cancel', () => {
  it('begin() lets the pump run and clears the pending flushDelay timer', () => {
    const { clock, scheduler } = setup(1_000);
    scheduler.queued(1, 100, false);
    expect(clock.due).toEqual([1_000]);
    expect(scheduler.begin()).toBe(true);
    expect(clock.due).toEqual([]);
    expect(scheduler.begin()).toBe(true);
  });

  it('retries a failed batch after 25 ms, doubling to at most 5 s, and begin() refuses meanwhile', () => {
    const { clock, scheduler, runs } = setup(60_000);
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) {
      const from = clock.elapsed;
      scheduler.completed(false);
      expect(scheduler.begin()).toBe(false);
      const [due] = clock.due;
      expect(due).toBeDefined();
      waits.push((due as number) - from);
      clock.to(due as number);
      expect(runs.at(-1)).toEqual({ at: due, began: true });
    }
    expect(waits).toEqual([25, 50, 100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
  });

  it('starts the backoff over at 25 ms after a batch succeeds', () => {
    const { clock, scheduler, pumpedAt } = setup(60_000);
    scheduler.completed(false);
    clock.to(25);
    scheduler.completed(false);
    clock.to(75);
    scheduler.completed(true);
    clock.to(1_000);
    scheduler.completed(false);
    expect(clock.due).toEqual([1_025]);
    clock.to(1_025);
    expect(pumpedAt()).toEqual([25, 75, 1_025]);
  });

  it('arms one retry however many batches fail before it runs', () => {
    const { clock, scheduler, pumpedAt } = setup(60_000);
    scheduler.completed(false);
    clock.to(10);
    scheduler.completed(false);
    expect(clock.due).toEqual([25]);
    clock.to(1_000);
    expect(pumpedAt()).toEqual([25]);
  });

  it('refuses a pump woken by flushDelay or soon() while the backoff runs; the retry pumps', () => {
    const { clock, scheduler, runs } = setup(10);
    scheduler.completed(false); // retry at 25
    scheduler.queued(1, 100, false); // flushDelay timer at 10
    scheduler.soon();
    nextTurn();
    clock.to(10);
    clock.to(25);
    expect(runs).toEqual([
      { at: 0, began: false },
      { at: 10, began: false },
      { at: 25, began: true },
    ]);
  });

  it('cancel() drops the flushDelay timer, the retry and a pending soon()', () => {
    const { clock, scheduler, pumpedAt } = setup(1_000);
    scheduler.queued(1, 100, false);
    scheduler.completed(false);
    scheduler.soon();
    expect(clock.due).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(1);
    scheduler.cancel();
    expect(clock.due).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    expect(scheduler.begin()).toBe(true); // no retry pending any more
    nextTurn();
    clock.to(60_000);
    expect(pumpedAt()).toEqual([]);
  });

  it('works again after cancel(): a write arms flushDelay and soon() pumps', () => {
    const { clock, scheduler, pumpedAt } = setup(1_000);
    scheduler.queued(1, 100, false);
    scheduler.soon();
    scheduler.cancel();
    clock.to(2_000);
    scheduler.queued(1, 100, false);
    expect(clock.due).toEqual([3_000]);
    scheduler.soon();
    nextTurn();
    expect(pumpedAt()).toEqual([2_000]);
    scheduler.queued(1, 100, false);
    clock.to(3_000);
    expect(pumpedAt()).toEqual([2_000, 3_000]);
  });

  it('cancel() with nothing pending does nothing', () => {
    const { clock, scheduler, pumpedAt } = setup(1_000);
    expect(() => scheduler.cancel()).not.toThrow();
    clock.to(10_000);
    expect(pumpedAt()).toEqual([]);
  });
});
