/**
 * With the v8 codec, strings skip serialization: the caller's thread writes them as UTF-8 into
 * the batch and the record says `utf8` (src/main/engine/batch-builder.ts). Every value must still come
 * back exactly as it went in — the same type, the same code units — whatever the batch mixes,
 * and a string UTF-8 cannot carry (a lone surrogate) must take the v8 path instead.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { utf8Codec, v8Codec } from '../../src/shared/codecs.js';
import { decodeRecord } from '../../src/shared/format/record.js';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Cacher } from '../../src/main/index.js';

const values: Record<string, unknown> = {
  ascii: 'plain text',
  empty: '',
  latin1: 'café crème',
  cjk: '键值缓存',
  emoji: '🧀 in the larder',
  nul: 'a\u0000b',
  long: 'x'.repeat(100_000),
  'lone high surrogate': 'ab\uD800cd',
  'lone low surrogate': '\uDC00',
  object: { text: 'é', n: [1, 2, 3] },
  number: 42,
  buffer: Buffer.from('bytes'),
  undefined: undefined,
  'string object': new String('boxed'),
};

/** Codec id of the latest put record of each key, read from every file under `dir`. */
function recordCodecs(dir: string): Map<string, number> {
  const codecs = new Map<string, number>();
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const buf = readFileSync(join(dir, name));
    for (let at = 0; at < buf.length; ) {
      const decoded = decodeRecord(buf, at);
      if (decoded.status !== 'ok') throw new Error(`unreadable record at ${at} of ${name}: ${decoded.status}`);
      codecs.set(decoded.record.key, decoded.record.codec);
      at += decoded.record.size;
    }
  }
  return codecs;
}

describe('string values', () => {
  for (const store of ['log', 'files'] as const) {
    it(`come back exactly, mixed with other values and deletes in one batch (${store} store)`, async () => {
      const dir = tempDir();
      const { cache, errors } = await openCacher({ dir, store, batchSize: 1000 });
      for (const [key, value] of Object.entries(values)) cache.set(key, value);
      cache.set('deleted', 'soon gone');
      cache.delete('deleted');
      await cache.sync();
      await cache.stop();
      expect(errors).toEqual([]);
      const reopened = await Cacher.open({ dir, store });
      try {
        for (const [key, value] of Object.entries(values)) {
          const back = reopened.get(key);
          expect(back, key).toEqual(value);
          expect(typeof back, key).toBe(typeof value);
          if (typeof value === 'string') expect(back === value, `${key} code units`).toBe(true);
        }
        expect(reopened.has('deleted')).toBe(false);
      } finally {
        await reopened.stop();
      }
    });
  }

  it('well-formed strings are stored as utf8 records, everything else as v8', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: 'log' });
    for (const [key, value] of Object.entries(values)) cache.set(key, value);
    await cache.sync();
    const codecs = recordCodecs(dir);
    for (const [key, value] of Object.entries(values)) {
      const wellFormed = typeof value === 'string' && value.isWellFormed();
      expect(codecs.get(key), key).toBe(wellFormed ? utf8Codec.id : v8Codec.id);
    }
  });

  it('the utf8 codec as a store codec takes strings and refuses anything else by key', async () => {
    const dir = tempDir();
    const { cache, errors } = await openCacher({ dir, store: 'log', codec: 'utf8' });
    cache.set('text', 'héllo');
    cache.set('number', 1);
    await expect(cache.sync()).rejects.toMatchObject({ code: 'ERR_NOT_SERIALIZABLE', keys: ['number'] });
    expect(errors.map((e) => e.code)).toEqual(['ERR_NOT_SERIALIZABLE']);
    cache.delete('number');
    await cache.sync();
    await cache.stop();
    const reopened = await Cacher.open({ dir, store: 'log', codec: 'utf8' });
    try {
      expect(reopened.get('text')).toBe('héllo');
    } finally {
      await reopened.stop();
    }
  });
});
