/**
 * Read-ahead for a `log` store's reads in write order — a scan, a warm-up after reopen: when a
 * read starts where the previous one ended, the next READ_AHEAD bytes of the segment come in one
 * `readSync` and the records after it are decoded from them in place. Otherwise a read costs
 * exactly one `readSync` of its record, as before.
 *
 * Measured: a cold read of a 1 KB record spent ~4 µs of its ~5 in `readSync` itself (CPU profile
 * of 300k reads from the page cache); in write order this serves ~60 records per call.
 *
 * Only immutable bytes may be kept: the caller passes `stable` false for the active segment,
 * whose ranges next to a landed record may still be claimed by a batch in flight (zeros now,
 * a record later), and those reads never use or fill the window.
 */
import { readAllAt } from '../../../shared/fs/fs-layer.js';

const READ_AHEAD = 64 * 1024;

export class RecordWindow<Owner> {
  #owner: Owner | undefined;
  #start = 0;
  #length = 0;
  #bytes: Buffer | undefined;
  #lastOwner: Owner | undefined;
  #lastEnd = -1;
  /** Where the bytes the last `read` answered start in the buffer it returned. */
  at = 0;
  /**
   * Whether the buffer the last `read` returned is the window's own: the next read may replace
   * its bytes, so decode from it first and copy what you keep. Otherwise it is a buffer of the
   * record's own. (Decoding in place saves a 1 KB copy and allocation per cold read: −14 %.)
   */
  shared = false;

  /**
   * The `size` bytes at `offset` of `owner`'s file `fd` (fewer at the end of the file), from
   * `at` in the buffer returned.
   */
  read(owner: Owner, fd: number, offset: number, size: number, stable: boolean): Buffer {
    const sequential = this.#lastOwner === owner && this.#lastEnd === offset;
    this.#lastOwner = owner;
    this.#lastEnd = offset + size;
    if (stable && this.#owner === owner && offset >= this.#start && offset + size <= this.#start + this.#length) {
      return this.#inWindow(offset - this.#start);
    }
    if (!stable || !sequential || size > READ_AHEAD / 2) return this.#own(readExactly(fd, offset, size));
    this.#bytes ??= Buffer.allocUnsafe(READ_AHEAD);
    this.#owner = undefined; // until the read succeeds
    const read = readAllAt(fd, this.#bytes, this.#bytes.length, offset);
    this.#owner = owner;
    this.#start = offset;
    this.#length = read;
    // Fewer bytes than the record: a torn end, which the decoder reports as such.
    return read < size ? this.#inWindow(0, this.#bytes.subarray(0, read)) : this.#inWindow(0);
  }

  /** Forgets everything kept (the files may be gone or cut). */
  clear(): void {
    this.#owner = this.#lastOwner = undefined;
    this.#length = 0;
    this.#lastEnd = -1;
  }

  #inWindow(at: number, bytes = this.#bytes as Buffer): Buffer {
    this.at = at;
    this.shared = true;
    return bytes;
  }

  #own(bytes: Buffer): Buffer {
    this.at = 0;
    this.shared = false;
    return bytes;
  }
}

function readExactly(fd: number, offset: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  const read = readAllAt(fd, buf, size, offset);
  return read === size ? buf : buf.subarray(0, read);
}
