/** Adapters, caches and processes made by a test, closed after it whatever the outcome. */
import { afterEach } from 'vitest';

const closers: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  // Last made, first closed: a cache goes before the adapter under it.
  for (const close of closers.splice(0).reverse()) await close();
});

/** Runs `close` after the current test; returns `value`. */
export function closeAfter<T>(value: T, close: (value: T) => Promise<unknown>): T {
  closers.push(() => close(value));
  return value;
}
