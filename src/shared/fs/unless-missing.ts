/** File operations on what may legitimately not exist (a shard, a hint file, a store directory, a lock being removed). */

/** `read()` (or any file operation), or `missing` if its path does not exist (ENOENT); other errors throw. */
export function unlessMissing<T, M>(read: () => T, missing: M): T | M {
  try {
    return read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return missing;
    throw error;
  }
}

/** The same for an asynchronous read. */
export async function unlessMissingAsync<T, M>(read: () => Promise<T>, missing: M): Promise<T | M> {
  try {
    return await read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return missing;
    throw error;
  }
}
