import { describe, expect, it } from 'vitest';
import { lifetimeMs } from '../../src/main/bucket/lifetime.js';
import { openBucket } from '../helpers/bucket.js';
import { manualClock } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Bucket } from '../../src/main/index.js';

describe('lifetimes', () => {
  it('sums units like a timedelta, or takes ttl in ms', () => {
    expect(lifetimeMs('lifetime', { ttl: 1500 })).toBe(1500);
    expect(lifetimeMs('lifetime', { days: 1, hours: 1, minutes: 1, seconds: 1, ms: 1 })).toBe(86_400_000 + 3_600_000 + 60_000 + 1000 + 1);
    expect(lifetimeMs('lifetime', { hours: 0.5 })).toBe(1_800_000);
    expect(lifetimeMs('lifetime', {})).toBe(0);
  });

  it('bucket lifetime expiry survives a reopen', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const first = await openBucket(dir, { hours: 1 }, { engine: { timers: clock.timers } });
    first.set('k', 'v');
    await first.close();
    clock.advance(59 * 60_000);
    const second = await openBucket(dir, { hours: 1 }, { engine: { timers: clock.timers } });
    expect(second.get('k')).toBe('v');
    await second.close();
    clock.advance(2 * 60_000);
    // Reopened with no lifetime at all: the expiry written with the entry still holds.
    const third = await openBucket(dir, undefined, { engine: { timers: clock.timers } });
    expect(third.has('k')).toBe(false);
    expect(third.get('k')).toBeUndefined();
  });

  it('a per-entry lifetime overrides the bucket lifetime and survives a reopen', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const first = await openBucket(dir, { ttl: 1000 }, { engine: { timers: clock.timers } });
    first.set('short', 1, { ms: 100 });
    first.set('long', 2, { days: 1 });
    first.set('forever', 3, { ttl: 0 });
    first.set('default', 4);
    await first.close();
    clock.advance(500);
    const second = await openBucket(dir, { ttl: 1000 }, { engine: { timers: clock.timers } });
    expect([second.has('short'), second.has('long'), second.has('forever'), second.has('default')]).toEqual([false, true, true, true]);
    await second.close();
    clock.advance(2 * 86_400_000);
    const third = await openBucket(dir, { ttl: 1000 }, { engine: { timers: clock.timers } });
    expect([third.get('short'), third.get('long'), third.get('forever'), third.get('default')]).toEqual([undefined, undefined, 3, undefined]);
  });
});

describe('bad constructor arguments throw at once, naming the argument', () => {
  const dir = '/tmp/larder-never-created';
  it.each([
    ['dir', () => new Bucket('', undefined), TypeError, /dir must be a non-empty string/],
    ['dir type', () => new Bucket(42 as unknown as string), TypeError, /dir must be .* received 42/],
    ['negative lifetime', () => new Bucket(dir, { hours: -1 }), RangeError, /lifetime\.hours must be a finite number ≥ 0, received -1/],
    ['negative ttl', () => new Bucket(dir, { ttl: -5 }), RangeError, /lifetime\.ttl .* received -5/],
    ['NaN lifetime', () => new Bucket(dir, { seconds: Number.NaN }), RangeError, /lifetime\.seconds/],
    ['lifetime unit typo', () => new Bucket(dir, { hour: 1 } as never), TypeError, /lifetime has unknown field hour/],
    ['lifetime not an object', () => new Bucket(dir, 5 as never), TypeError, /lifetime must be \{ ttl \}.*received 5/],
    ['ttl mixed with units', () => new Bucket(dir, { ttl: 1, days: 1 } as never), TypeError, /either ttl or units/],
    ['string amount', () => new Bucket(dir, { days: '1' } as never), TypeError, /lifetime\.days must be a number, received "1"/],
    ['unknown option', () => new Bucket(dir, undefined, { codecs: 'json' } as never), TypeError, /unknown option codecs/],
    ['codec', () => new Bucket(dir, undefined, { codec: 'yaml' }), RangeError, /codec.*received "?yaml/],
    ['keyMaker', () => new Bucket(dir, undefined, { keyMaker: (() => 'k') as never }), TypeError, /keyMaker must be/],
    ['store', () => new Bucket(dir, undefined, { store: 'disk' as never }), TypeError, /store must be .* received "disk"/],
    ['sweepInterval', () => new Bucket(dir, undefined, { sweepInterval: -1 }), RangeError, /sweepInterval .* received -1/],
    ['engine option clash', () => new Bucket(dir, undefined, { engine: { ttl: 5 } as never }), TypeError, /engine\.ttl is set by the bucket/],
    ['engine option', () => new Bucket(dir, undefined, { engine: { flushDelay: -1 } }), RangeError, /flushDelay .* received -1/],
    ['per-entry lifetime', () => new Bucket(dir, undefined, { store: 'memory' }).set('k', 1, { minutes: -1 }), RangeError, /lifetime\.minutes/],
  ])('%s', (_name, make, kind, message) => {
    expect(make).toThrow(kind);
    expect(make).toThrow(message);
  });
});
