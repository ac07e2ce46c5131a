/**
 * Errors particular to the `log` store. Like every larder error they carry a stable `code`;
 * an OS failure keeps the OS's code in `osCode`.
 */
import { LarderError, type OsFailure, registerError } from '../../core/errors.js';

/** A write, `clear()` or `compact()` on a store opened with `readOnly: true`. */
export class StoreReadOnlyError extends LarderError {
  constructor(dir: string, action: string) {
    super('ERR_STORE_READ_ONLY', `cannot ${action}: store ${dir} was opened read-only`);
  }
}

/** Opening, sealing, compacting or clearing the store failed on an OS error; the store's data is untouched. */
export class StoreIoError extends LarderError {
  readonly osCode: string;
  readonly syscall: string | undefined;
  readonly path: string | undefined;
  constructor(action: string, failure: OsFailure) {
    super('ERR_STORE_IO', `${action} failed (${failure.code}): ${failure.message}`);
    this.osCode = failure.code;
    this.syscall = failure.syscall;
    this.path = failure.path;
  }
}

/** A write refused because the store is at its `maxDiskBytes` budget and its `diskPolicy` is `'none'`. */
export class DiskFullError extends LarderError {
  constructor(dir: string, maxDiskBytes: number) {
    super('ERR_DISK_FULL', `store ${dir} is at its maxDiskBytes budget of ${maxDiskBytes} bytes (diskPolicy 'none'): write refused; delete keys to make room`);
  }
}

registerError(StoreReadOnlyError, StoreIoError, DiskFullError);
