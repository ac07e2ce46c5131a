/**
 * When the engine flushes. A flush (the engine's pump) starts:
 * - `flushDelay` after the first write joins an idle queue, so a lone change never waits longer;
 * - sooner when a save point `[seconds, changes]` is met (cacheman's rule: at least `changes`
 *   queued and `seconds` since the last flush), re-evaluated when the queue reaches a rule's count;
 * - on the next turn of the event loop when a batch is full or someone waits (`soon`);
 * - never while a failed batch's backoff runs: retries wait 25 ms, doubling up to 5 s.
 * While batches are being written no timer is needed: each completion pumps again.
 */
import type { Timers } from '../core/timers.js';

const BACKOFF_MIN = 25;
const BACKOFF_MAX = 5_000;

export class FlushScheduler {
  readonly #timers: Timers;
  readonly #flushDelay: number;
  readonly #savePoints: ReadonlyArray<readonly [number, number]>;
  /** The `changes` counts of the save points: reaching one re-evaluates the deadline. */
  readonly #savePointSizes: ReadonlySet<number>;
  readonly #pump: () => void;
  #timer: unknown;
  /** When the armed `#timer` fires, on the injected clock. */
  #dueAt = 0;
  #immediate: NodeJS.Immediate | undefined;
  #retryTimer: unknown;
  #backoff = 0;
  #lastFlushAt = 0;

  constructor(timers: Timers, flushDelay: number, savePoints: ReadonlyArray<readonly [number, number]>, pump: () => void) {
    this.#timers = timers;
    this.#flushDelay = flushDelay;
    this.#savePoints = savePoints;
    this.#savePointSizes = new Set(savePoints.map(([, changes]) => changes));
    this.#pump = pump;
  }

  /** The engine started: save points count time from now. */
  started(): void {
    this.#lastFlushAt = this.#timers.now();
  }

  /**
   * A write joined the queue, which now holds `size` entries. `busy`: batches are being
   * written, and their completion will pump.
   */
  queued(size: number, batchSize: number, busy: boolean): void {
    if (size >= batchSize) this.soon();
    else if (!busy && (this.#timer === undefined || this.#savePointSizes.has(size))) this.#arm(size);
  }

  /** Flush on the next turn of the event loop (idempotent). */
  soon(): void {
    if (this.#immediate !== undefined) return;
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      this.#pump();
    });
  }

  /** The pump asks to run: false while a retry backoff is pending; otherwise a pending timer is moot. */
  begin(): boolean {
    if (this.#retryTimer !== undefined) return false;
    if (this.#timer !== undefined) {
      this.#timers.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    return true;
  }

  /** A batch came back; `ok` false means some of it failed and is retried after a backoff. */
  completed(ok: boolean): void {
    this.#lastFlushAt = this.#timers.now();
    if (ok) {
      this.#backoff = 0;
      return;
    }
    this.#backoff = Math.min(BACKOFF_MAX, this.#backoff === 0 ? BACKOFF_MIN : this.#backoff * 2);
    if (this.#retryTimer === undefined) {
      this.#retryTimer = this.#timers.setTimeout(() => {
        this.#retryTimer = undefined;
        this.#pump();
      }, this.#backoff);
    }
  }

  cancel(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    if (this.#retryTimer !== undefined) this.#timers.clearTimeout(this.#retryTimer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = this.#retryTimer = this.#immediate = undefined;
  }

  /**
   * Arms the flush timer for the soonest of: `flushDelay` after the first queued write, and each
   * save point the queue now meets. An armed timer is only ever brought forward: a save point met
   * later must not push back the deadline the first write already has.
   */
  #arm(queued: number): void {
    const now = this.#timers.now();
    let due = this.#timer === undefined ? now + this.#flushDelay : this.#dueAt;
    for (const [seconds, changes] of this.#savePoints) {
      if (queued >= changes) due = Math.min(due, Math.max(now, this.#lastFlushAt + seconds * 1000));
    }
    if (this.#timer !== undefined) {
      if (due >= this.#dueAt) return;
      this.#timers.clearTimeout(this.#timer);
    }
    this.#dueAt = due;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, due - now);
  }
}
