/**
 * The coded failures a `Region` reports. A creator's own error is never wrapped: every caller
 * waiting on that creation receives the very error it threw.
 */
import { LarderError, registerError } from '../core/errors.js';

/** A caller waited `waitTimeout` ms for a value being created (here or in another process). */
export class RegionWaitTimeoutError extends LarderError {
  readonly timeout: number;
  constructor(region: string, key: string, timeout: number) {
    super('ERR_REGION_WAIT_TIMEOUT', `region ${JSON.stringify(region)}: waited ${timeout} ms for the value of ${JSON.stringify(key)} to be created`, { keys: [key] });
    this.timeout = timeout;
  }
}

/** A `getOrCreateMany` creator did not return one value per key it was given. */
export class CreatorResultError extends LarderError {
  constructor(region: string, keys: readonly string[], received: unknown) {
    const got = Array.isArray(received) ? `an array of ${received.length}` : typeof received;
    super('ERR_CREATOR_RESULT', `region ${JSON.stringify(region)}: the creator was given ${keys.length} key(s) and must return an array of as many values, received ${got}`, { keys });
  }
}

/** `invalidate()` applied here but could not be announced to the other processes sharing the store. */
export class RegionBroadcastError extends LarderError {
  constructor(region: string, hard: boolean, cause: unknown) {
    const why = (cause as Error | undefined)?.message ?? String(cause);
    super('ERR_REGION_BROADCAST', `region ${JSON.stringify(region)}: the ${hard ? 'hard' : 'soft'} invalidation applies in this process only, announcing it to the others failed: ${why}`, { cause });
  }
}

registerError(RegionWaitTimeoutError, CreatorResultError, RegionBroadcastError);
