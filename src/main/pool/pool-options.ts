/**
 * `ObjectPool` options: the documented `ObjectPoolOptions`, resolved against one frozen
 * defaults object into `FilledPoolOptions`, validated at construction (the option's name and
 * the value received in every message).
 */
import { optionalFunction, positiveInteger, rejectUnknown, show, validateTimers } from '../core/validate.js';
import { systemTimers, type Timers } from '../core/timers.js';

export interface ObjectPoolOptions<T extends object, A extends readonly unknown[] = []> {
  /** Arguments passed to every `create(...args)` call. @default [] */
  args?: A;
  /**
   * Closes an element the pool lets go of: the idle queue is full, `shouldReuse` said no, it
   * failed `validate`, it sat idle longer than `idleTimeout`, `pool.destroy(el)`, or `close()`.
   * May be async. @default nothing (the element is simply dropped)
   */
  destroy?: (element: T) => void | Promise<void>;
  /**
   * Most idle elements kept for reuse; a released element beyond this is destroyed. 0 keeps
   * none (every release destroys, unless an acquirer is waiting for it). @default 1024
   */
  maxIdle?: number;
  /**
   * Most elements alive at once (idle + in use + being created). At the cap, `acquire()`
   * waits, first come first served, until one is released or destroyed. @default Infinity
   */
  maxTotal?: number;
  /**
   * The longest an `acquire()` may take, in ms, waiting and creating included; then it
   * rejects with `ERR_ACQUIRE_TIMEOUT`. A late element goes back to the pool. @default Infinity
   */
  acquireTimeout?: number;
  /**
   * Checks an idle element before it is lent out; false (or a throw) destroys it and the
   * acquirer gets another or a new one. May be async. Fresh elements are not validated.
   * @default every element is valid
   */
  validate?: (element: T) => boolean | Promise<boolean>;
  /**
   * Idle elements older than this (ms since their release) are destroyed by a background
   * timer that does not keep the process alive. @default Infinity (kept until reused)
   */
  idleTimeout?: number;
  /** Clock and timers; tests pass their own. @default the system's */
  timers?: Timers;
}

export interface FilledPoolOptions<T extends object, A extends readonly unknown[]> {
  args: A;
  destroy: ((element: T) => void | Promise<void>) | undefined;
  maxIdle: number;
  maxTotal: number;
  acquireTimeout: number;
  validate: ((element: T) => boolean | Promise<boolean>) | undefined;
  idleTimeout: number;
  timers: Timers;
}

export const poolDefaults = Object.freeze({
  maxIdle: 1024,
  maxTotal: Number.POSITIVE_INFINITY,
  acquireTimeout: Number.POSITIVE_INFINITY,
  idleTimeout: Number.POSITIVE_INFINITY,
});

const known = new Set(['args', 'destroy', 'maxIdle', 'maxTotal', 'acquireTimeout', 'validate', 'idleTimeout', 'timers']);

/** A wait in ms: > 0, or Infinity for "no limit". */
export function waitLimit(name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${name} must be a number of milliseconds, received ${show(value)}`);
  if (!(value > 0)) throw new RangeError(`${name} must be a number of milliseconds > 0 or Infinity, received ${show(value)}`);
  return value;
}

export function fillPoolOptions<T extends object, A extends readonly unknown[]>(options: ObjectPoolOptions<T, A> = {}): FilledPoolOptions<T, A> {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, received ${show(options)}`);
  rejectUnknown('', options, known);
  const o = options as Record<string, unknown>;
  if (o.args !== undefined && !Array.isArray(o.args)) throw new TypeError(`args must be an array, received ${show(o.args)}`);
  return {
    args: Object.freeze([...((o.args as unknown[] | undefined) ?? [])]) as unknown as A,
    destroy: optionalFunction('destroy', o.destroy),
    maxIdle: positiveInteger('maxIdle', o.maxIdle ?? poolDefaults.maxIdle, { allowZero: true, allowInfinity: true }),
    maxTotal: positiveInteger('maxTotal', o.maxTotal ?? poolDefaults.maxTotal, { allowInfinity: true }),
    acquireTimeout: waitLimit('acquireTimeout', o.acquireTimeout ?? poolDefaults.acquireTimeout),
    validate: optionalFunction('validate', o.validate),
    idleTimeout: waitLimit('idleTimeout', o.idleTimeout ?? poolDefaults.idleTimeout),
    timers: o.timers === undefined ? systemTimers : validateTimers(o.timers),
  };
}
