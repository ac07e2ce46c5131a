/**
 * Checks for options and arguments, shared by every layer: a bad value throws at once, a
 * TypeError for the wrong type and a RangeError for a value out of range, naming the option
 * and the value received.
 */
import type { Timers } from './timers.js';

/** A value as it reads in an error message. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Throws for an option name not in `known`: `unknown <what> option <name> (received <value>)`. */
export function rejectUnknown(what: string, options: object, known: ReadonlySet<string>): void {
  for (const name of Object.keys(options)) {
    if (!known.has(name)) throw new TypeError(`unknown ${what === '' ? '' : `${what} `}option ${name} (received ${show((options as Record<string, unknown>)[name])})`);
  }
}

/** An optional callback option: undefined or a function. */
export function optionalFunction<F>(name: string, value: unknown): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`${name} must be a function, received ${show(value)}`);
  return value as F | undefined;
}

/** A wait in ms: a duration, or Infinity for no deadline. */
export function waitDuration(name: string, value: unknown): number {
  return value === Number.POSITIVE_INFINITY ? value : duration(name, value);
}

export function positiveInteger(name: string, value: unknown, { allowZero = false, allowInfinity = false } = {}): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${name} must be a number, received ${show(value)}`);
  }
  if (value === Number.POSITIVE_INFINITY && allowInfinity) return value;
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer${allowInfinity ? ' or Infinity' : ''}, received ${show(value)}`);
  }
  return value;
}

/** A duration in ms: finite and ≥ 0 (fractions allowed). */
export function duration(name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${name} must be a number of milliseconds, received ${show(value)}`);
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number of milliseconds ≥ 0, received ${show(value)}`);
  return value;
}

export function validateTimers(value: unknown): Timers {
  const t = value as Partial<Timers> | null;
  if (typeof t !== 'object' || t === null || typeof t.now !== 'function' || typeof t.setTimeout !== 'function' || typeof t.clearTimeout !== 'function') {
    throw new TypeError(`timers must be an object with now, setTimeout and clearTimeout functions, received ${show(value)}`);
  }
  return t as Timers;
}
