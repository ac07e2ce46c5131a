import { describe, expect, it } from 'vitest';
import { Cacher, type CacherOptions } from '../../src/main/index.js';

const bad: Array<[string, unknown, typeof TypeError | typeof RangeError, RegExp]> = [
  ['unknown option', { dir: 'x', store: 'files', colour: 'red' }, TypeError, /unknown option colour/],
  ['dir missing for files', { store: 'files' }, TypeError, /dir is required/],
  ['dir empty', { dir: '', store: 'files' }, TypeError, /dir must be a non-empty string, received ""/],
  ['store unknown', { dir: 'x', store: 'tape' }, TypeError, /store must be .*received "tape"/],
  ['ttl negative', { store: 'memory', ttl: -5 }, RangeError, /ttl .* received -5/],
  ['ttl string', { store: 'memory', ttl: '5' }, TypeError, /ttl must be a number .* received "5"/],
  ['batchSize zero', { store: 'memory', batchSize: 0 }, RangeError, /batchSize must be a positive integer, received 0/],
  ['batchSize fraction', { store: 'memory', batchSize: 1.5 }, RangeError, /batchSize .* received 1.5/],
  ['flushDelay Infinity', { store: 'memory', flushDelay: Number.POSITIVE_INFINITY }, RangeError, /flushDelay/],
  ['maxPending < highWaterMark', { store: 'memory', highWaterMark: 10, maxPending: 5 }, RangeError, /maxPending \(5\) must be ≥ highWaterMark \(10\)/],
  ['durability', { store: 'memory', durability: 'maybe' }, TypeError, /durability must be .* received "maybe"/],
  ['maxEntries negative', { store: 'memory', maxEntries: -1 }, RangeError, /maxEntries/],
  ['threads zero', { store: 'memory', threads: 0 }, RangeError, /threads must be a positive integer, received 0/],
  ['exitHooks', { store: 'memory', exitHooks: 'yes' }, TypeError, /exitHooks must be a boolean, received "yes"/],
  ['mode out of range', { store: 'memory', mode: { file: 0o10000 } }, RangeError, /mode.file/],
  ['mode unknown field', { store: 'memory', mode: { other: 1 } }, TypeError, /mode has unknown field other/],
  ['timers incomplete', { store: 'memory', timers: { now: () => 0 } }, TypeError, /timers must be an object/],
  ['savePoints shape', { store: 'memory', savePoints: [[60]] }, TypeError, /savePoints\[0\]/],
  ['savePoints changes', { store: 'memory', savePoints: [[60, 0]] }, RangeError, /savePoints\[0\]\[1\]/],
  ['codec unknown', { store: 'memory', codec: 'yaml' }, RangeError, /codec.*received yaml/],
];

describe('options are validated at construction', () => {
  for (const [name, options, type, message] of bad) {
    it(`rejects ${name}`, () => {
      expect(() => new Cacher(options as CacherOptions)).toThrow(type);
      expect(() => new Cacher(options as CacherOptions)).toThrow(message);
    });
  }

  it('fills defaults', () => {
    const cache = new Cacher({ dir: '/tmp/unused', store: 'files' });
    expect(cache.options).toMatchObject({ ttl: 0, batchSize: 1000, flushDelay: 100, durability: 'fsync', exitHooks: false, mode: { file: 0o600, dir: 0o700 } });
    expect(cache.options.codec.name).toBe('v8');
    expect(Object.isFrozen(cache.options)).toBe(true);
  });
});
