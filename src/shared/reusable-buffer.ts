/**
 * A buffer kept between batches by a writer thread, for bytes it is done with before it returns
 * (framed records, unpacked values): a fresh megabyte per batch is garbage the thread's collector
 * and external-memory accounting pay for. It grows to the largest request and shrinks back once a
 * huge batch grew it past `keepBytes`, so one outlier does not pin its size for good.
 */
export function reusableBuffer(keepBytes = 16 << 20, minBytes = 1 << 20): (bytes: number) => Buffer {
  let buffer: Buffer | undefined;
  return (bytes) => {
    if (buffer === undefined || buffer.length < bytes || (buffer.length > keepBytes && bytes <= keepBytes)) {
      // allocUnsafeSlow: an ArrayBuffer of its own, not a slice of Node's shared pool.
      buffer = Buffer.allocUnsafeSlow(Math.max(bytes, minBytes));
    }
    return buffer;
  };
}
