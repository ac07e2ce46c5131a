/** The coded errors only a `Bucket` raises. */
import { LarderError, registerError } from '../core/errors.js';

/**
 * The bucket's directory was written with another codec or key maker: reading it as configured
 * would decode garbage or never find a key, so opening it fails instead.
 * `code` is `ERR_CODEC_MISMATCH` or `ERR_KEY_MAKER_MISMATCH`.
 */
export class BucketMismatchError extends LarderError {
  readonly dir: string;
  /** What the directory was written with. */
  readonly stored: string;
  /** What this bucket was opened with. */
  readonly configured: string;
  constructor(code: 'ERR_CODEC_MISMATCH' | 'ERR_KEY_MAKER_MISMATCH', dir: string, stored: string, configured: string) {
    const what = code === 'ERR_CODEC_MISMATCH' ? 'codec' : 'keyMaker';
    super(code, `bucket ${dir} was written with ${what} ${stored} but is opened with ${configured}; open it with ${what} ${stored}, or use another directory`);
    this.dir = dir;
    this.stored = stored;
    this.configured = configured;
  }
}

/** A deferred view used after its `deferredWrite` block ended or after `close()`. */
export class DeferredClosedError extends LarderError {
  constructor(action: string) {
    super('ERR_DEFERRED_CLOSED', `cannot ${action}: this deferred view is closed (its deferredWrite block has ended)`);
  }
}

registerError(BucketMismatchError, DeferredClosedError);
