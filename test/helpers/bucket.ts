import { v8Codec, type Codec } from '../../src/shared/codecs.js';
import { Bucket, type BucketOptions, type Lifetime } from '../../src/main/index.js';
import { afterEachTestBeforeTempDirsRemoved } from './temp-dir.js';

const open: Bucket[] = [];

// Closed before the test's temporary directories are removed: a bucket closed after them flushed
// its last writes into a removed directory and recreated it (test/harness/bucket-cleanup.test.ts).
afterEachTestBeforeTempDirsRemoved(async () => {
  for (const bucket of open.splice(0)) {
    bucket.cacher.resume();
    await bucket.close({ timeout: 10_000 }).catch(() => bucket.cacher.discard());
  }
});

/** An open bucket (one writer thread, quick flushes) closed after the current test. */
export async function openBucket(dir: string, lifetime?: Lifetime, options: BucketOptions = {}): Promise<Bucket> {
  const bucket = new Bucket(dir, lifetime, { ...options, engine: { threads: 1, flushDelay: 5, ...options.engine } });
  open.push(bucket);
  await bucket.start();
  return bucket;
}

/** The v8 codec (same id and name), counting its decodes: proves a path never decodes a value. */
export function countingV8Codec(): Codec & { decodes: number } {
  const codec = {
    ...v8Codec,
    decodes: 0,
    decode(bytes: Uint8Array): unknown {
      codec.decodes++;
      return v8Codec.decode(bytes);
    },
  };
  return codec;
}
