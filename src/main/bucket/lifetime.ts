/**
 * A bucket's lifetime, given either as `{ ttl }` in ms or as calendar-free units
 * (`{ days, hours, minutes, seconds, ms }`, summed, like Python's timedelta). A total of 0
 * means "never expires", as everywhere in larder.
 */
import { show } from '../core/validate.js';

export interface TtlLifetime {
  /** Milliseconds. */
  ttl: number;
}

export interface UnitLifetime {
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  ms?: number;
}

export type Lifetime = TtlLifetime | UnitLifetime;

const UNIT_MS = Object.freeze({ days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1000, ms: 1 });
type Unit = keyof typeof UNIT_MS;

function isUnit(name: string): name is Unit {
  return Object.hasOwn(UNIT_MS, name);
}

/**
 * The lifetime in ms. `name` is how the argument is called in error messages.
 * @throws TypeError for a non-object, an unknown field, a non-number, or `ttl` mixed with units;
 *         RangeError for a negative, NaN or infinite amount.
 */
export function lifetimeMs(name: string, lifetime: unknown): number {
  if (typeof lifetime !== 'object' || lifetime === null || Array.isArray(lifetime)) {
    throw new TypeError(`${name} must be { ttl } or { days, hours, minutes, seconds, ms }, received ${show(lifetime)}`);
  }
  const fields = Object.entries(lifetime as Record<string, unknown>).filter(([, amount]) => amount !== undefined);
  if (fields.some(([field]) => field === 'ttl') && fields.length > 1) {
    throw new TypeError(`${name} takes either ttl or units (days, hours, minutes, seconds, ms), not both; received ${show(lifetime)}`);
  }
  let total = 0;
  for (const [field, amount] of fields) {
    if (field !== 'ttl' && !isUnit(field)) {
      throw new TypeError(`${name} has unknown field ${field}; expected ttl, or days, hours, minutes, seconds, ms`);
    }
    if (typeof amount !== 'number') throw new TypeError(`${name}.${field} must be a number, received ${show(amount)}`);
    if (!Number.isFinite(amount) || amount < 0) {
      throw new RangeError(`${name}.${field} must be a finite number ≥ 0, received ${show(amount)}`);
    }
    total += field === 'ttl' ? amount : amount * UNIT_MS[field as Unit];
  }
  if (!Number.isFinite(total)) throw new RangeError(`${name} is too long to represent in ms, received ${show(lifetime)}`);
  return total;
}
