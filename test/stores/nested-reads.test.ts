/**
 * Every disk store checks a record into one frame that reads reuse (src/main/stores/record-reader.ts).
 * A codec's `decode` is user code and may read the cache again while the outer read is still
 * going: the outer read must keep its own record's metadata, not the inner one's.
 */
import { describe, expect, it } from 'vitest';
import { manualClock, openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { registerCodec, type Cacher, type Codec } from '../../src/main/index.js';

/** The cacher the codec reads from while it decodes (set per test). */
let readDuringDecode: Cacher | undefined;

const nestingCodec: Codec = {
  id: 203,
  name: 'nested-reads-json',
  encode: (value) => Buffer.from(JSON.stringify(value)),
  decode(bytes) {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as { alsoRead?: string; inner?: unknown };
    if (value.alsoRead !== undefined) value.inner = readDuringDecode?.get(value.alsoRead);
    return value;
  },
};
registerCodec(nestingCodec);

describe.each(['log', 'files'] as const)('a read inside a codec’s decode (%s store)', (store) => {
  it('leaves the outer read its own expiry and creation time', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const first = await openCacher({ dir, store, codec: nestingCodec.name, timers: clock.timers });
    first.cache.set('outer', { alsoRead: 'inner' }, { ttl: 100_000 });
    clock.advance(50_000);
    first.cache.set('inner', { text: 'a longer life' }, { ttl: 1_000_000 });
    await first.cache.stop();

    clock.advance(10_000);
    const { cache, errors } = await openCacher({ dir, store, codec: nestingCodec.name, timers: clock.timers });
    readDuringDecode = cache;
    try {
      expect(cache.get('outer')).toEqual({ alsoRead: 'inner', inner: { text: 'a longer life' } });
      // created 60 s ago: an entry that took the inner record's time (10 s ago) would pass this
      expect(cache.get('outer', { maxAge: 55_000 })).toBeUndefined();
      clock.advance(40_001); // past the outer record's expiry, long before the inner one's
      expect(cache.has('outer')).toBe(false);
      expect(cache.has('inner')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      readDuringDecode = undefined;
    }
  });
});
