/**
 * `bucket.json` in a bucket's directory records the codec and key maker its entries were
 * written with. Records carry their codec id too, but a bucket reopened with another codec or
 * key maker should fail at once, naming both, rather than on some later read (or, for a key
 * maker, never: its keys would just all miss).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Codec } from '../../shared/codecs.js';
import { writeFileAtomicSync } from '../../shared/fs/atomic-write.js';
import type { KeyMaker } from '../keys/key-maker.js';
import { BucketMismatchError } from './bucket-errors.js';

export const MANIFEST_NAME = 'bucket.json';
const MANIFEST_FORMAT = 1;

interface Manifest {
  format: number;
  codec: { id: number; name: string };
  keyMaker: string;
}

function describeCodec(codec: { id: number; name: string }): string {
  return `${codec.name} (id ${codec.id})`;
}

/** Checks the directory's manifest against this bucket's settings, writing it if there is none. */
export async function checkManifest(dir: string, codec: Codec, keyMaker: KeyMaker, fileMode: number): Promise<void> {
  const file = join(dir, MANIFEST_NAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const manifest: Manifest = { format: MANIFEST_FORMAT, codec: { id: codec.id, name: codec.name }, keyMaker: keyMaker.name };
    writeFileAtomicSync(file, [Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)], { mode: fileMode, fsync: true });
    return;
  }
  let stored: Partial<Manifest>;
  try {
    stored = JSON.parse(text) as Partial<Manifest>;
  } catch (error) {
    throw new TypeError(`${file} is not a bucket manifest (${(error as Error).message}); is ${dir} another program's directory?`);
  }
  if (stored.codec?.id !== codec.id) {
    throw new BucketMismatchError('ERR_CODEC_MISMATCH', dir, describeCodec(stored.codec ?? { id: Number.NaN, name: 'unknown' }), describeCodec(codec));
  }
  if (stored.keyMaker !== keyMaker.name) {
    throw new BucketMismatchError('ERR_KEY_MAKER_MISMATCH', dir, String(stored.keyMaker), keyMaker.name);
  }
}
