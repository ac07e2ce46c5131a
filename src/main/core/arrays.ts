/**
 * Empty arrays made in the elements kind (V8's storage class for an array's elements) they will
 * end up in, for the arrays on the hot path that every cache or store makes a new one of.
 *
 * `[]` starts as packed small integers and changes kind at its first object, or its first
 * hole. Code V8 optimised while the first cache of a process ran has seen only the changed
 * kind; the next cache's fresh `[]` then fails its checks ("wrong map"), and every hot function
 * that touches such an array is deoptimised and compiled again during that cache's first writes.
 * Opening a second cache in a process (CacheManager does, and `larder bench` measures a cache
 * opened after its warm-up one) wrote its first 20k entries 4–20 % slower than the first cache
 * continuing, 13 % at the median (`bench/second-cache.bench.ts`; `node --trace-deopt`: WriteQueue,
 * LogIndex); 5 % with these. Arrays of numbers are better typed arrays.
 */

/** An empty array already of the kind arrays of objects (and `undefined`) have. */
export function objectArray<T>(): T[] {
  const array: T[] = [undefined as T];
  array.pop(); // an array's kind never reverts: it stays one of objects
  return array;
}
