/**
 * cacheman's save points: rules `[seconds, changes]`, each met once at least `changes` edits are
 * unsaved and the oldest of them is at least `seconds` old. The seed checked them only when an
 * edit arrived, so a lone edit followed by silence was never saved; here a timer is also armed
 * for the earliest moment a rule can be met with the edits already made, so every edit is saved
 * within the longest window (900 s by default) even if nothing else happens.
 */
import { unrefTimer, type Timers } from '../core/timers.js';

export type SavePoint = readonly [seconds: number, changes: number];

export const DEFAULT_SAVE_POINTS: ReadonlyArray<SavePoint> = Object.freeze([
  Object.freeze([60, 10_000] as const),
  Object.freeze([300, 10] as const),
  Object.freeze([900, 1] as const),
]);

export interface UnsavedEdits {
  /** Edits since the last save. */
  count: number;
  /** When the oldest of them was made (ms, the Timers clock); meaningless while count is 0. */
  since: number;
}

export class SaveSchedule {
  #rules: ReadonlyArray<SavePoint>;
  #timers: Timers;
  #unsaved: () => UnsavedEdits;
  #due: () => void;
  #timer: unknown;
  #timerAt = Number.POSITIVE_INFINITY;
  /** After a failed save: no rule is due before this time (ms), so a broken disk is not hammered. */
  #notBefore = 0;

  /**
   * @param unsaved reads the owner's current edit count and age
   * @param due called when a rule is met; the owner starts a save (which resets its count)
   */
  constructor(rules: ReadonlyArray<SavePoint>, timers: Timers, unsaved: () => UnsavedEdits, due: () => void) {
    this.#rules = rules;
    this.#timers = timers;
    this.#unsaved = unsaved;
    this.#due = due;
  }

  /** Evaluates the rules now (after an edit, or after a save ended) and arms the timer for the next one. */
  check(): void {
    const { count, since } = this.#unsaved();
    if (count === 0) {
      this.cancel();
      return;
    }
    const now = this.#timers.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [seconds, changes] of this.#rules) {
      if (count < changes) continue; // only more edits can meet it, and each edit checks again
      const at = Math.max(since + seconds * 1000, this.#notBefore);
      if (at <= now) {
        this.cancel();
        this.#due();
        return;
      }
      next = Math.min(next, at);
    }
    if (next < this.#timerAt) this.#arm(next, now);
  }

  /** Holds every rule back for `ms` (after a failed save), then checks again. */
  backoff(ms: number): void {
    this.#notBefore = this.#timers.now() + ms;
    this.cancel();
    this.check();
  }

  /** A save succeeded: rules apply at once again. */
  succeeded(): void {
    this.#notBefore = 0;
  }

  cancel(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #arm(at: number, now: number): void {
    this.cancel();
    this.#timerAt = at;
    // Unref'd: a pending save point must not keep a finished program alive; close() saves.
    this.#timer = unrefTimer(this.#timers, () => {
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      this.check();
    }, at - now);
  }
}
