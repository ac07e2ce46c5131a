/**
 * What the adapters share: the cacher they work on, owned or borrowed, and the two operations
 * the foreign interfaces need that `Cacher` does not have as such (clear one key prefix, a
 * validated adapter option). larder is imported only through its public entry, so files moving
 * inside `src/main` cannot break the adapters.
 */
import { Cacher, CacherStoppedError, type CacherOptions } from '../index.js';

/**
 * The cacher behind an adapter. Given `CacherOptions`, the source creates the cacher, starts it
 * on first use (a Keyv store or a BentoCache driver is constructed synchronously, so it cannot
 * be started there) and stops it on `release()`. Given a `Cacher`, it borrows it: it never
 * starts or stops it, and a call on a borrowed cacher that is not started fails as any call on
 * that cacher would (`ERR_STOPPED`).
 */
export class CacherSource {
  readonly cacher: Cacher;
  readonly owned: boolean;
  #starting: Promise<void> | undefined;
  #released = false;

  /** @param who the adapter's name, for error messages */
  constructor(source: Cacher | CacherOptions, who: string) {
    if (source instanceof Cacher) {
      this.cacher = source;
      this.owned = false;
      return;
    }
    if (typeof source !== 'object' || source === null) {
      throw new TypeError(`${who} takes a Cacher or the options of one (CacherOptions), received ${describe(source)}`);
    }
    // Options are validated here, in the adapter's constructor, not at first use.
    this.cacher = new Cacher(source);
    this.owned = true;
  }

  /**
   * The cacher when it can be used without waiting (the fast path of every call), else
   * undefined: call `ready()`.
   */
  get current(): Cacher | undefined {
    if (this.#released) return undefined;
    return !this.owned || this.cacher.isStarted ? this.cacher : undefined;
  }

  /** The cacher, once an owned one has started. Rejects with `ERR_STOPPED` after `release()`. */
  async ready(action: string): Promise<Cacher> {
    if (this.#released) throw new CacherStoppedError(`${action} (the adapter was disconnected)`);
    if (this.owned) {
      this.#starting ??= this.cacher.start();
      try {
        await this.#starting;
      } catch (error) {
        // A failed start (a locked directory, say) is not remembered: the next call tries again.
        this.#starting = undefined;
        throw error;
      }
      if (this.#released) throw new CacherStoppedError(`${action} (the adapter was disconnected)`);
    }
    return this.cacher;
  }

  /**
   * Ends the adapter's use of the cacher. An owned cacher is stopped, which writes everything
   * still queued first; a borrowed one is left running. Idempotent, and retried by calling it
   * again when the stop timed out (the cacher then keeps running, see `Cacher.stop`).
   */
  async release(): Promise<void> {
    this.#released = true;
    // stop() waits for a start in progress, flushes, and returns at once once stopped.
    if (this.owned) await this.cacher.stop();
  }
}

/**
 * Deletes every live key that starts with `prefix` and returns how many. The keys are listed
 * first and deleted afterwards, so the listing never runs over entries it is changing; a key
 * written after the listing is kept.
 */
export async function deletePrefixed(cacher: Cacher, prefix: string): Promise<number> {
  const doomed: string[] = [];
  for await (const key of cacher.keys()) if (key.startsWith(prefix)) doomed.push(key);
  for (const key of doomed) cacher.delete(key);
  return doomed.length;
}

/** Validates an adapter's own options object against the names it knows. */
export function adapterOptions<T extends object>(who: string, options: unknown, known: readonly (keyof T & string)[]): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw new TypeError(`${who} options must be an object, received ${describe(options)}`);
  for (const [name, value] of Object.entries(options)) {
    if (!(known as readonly string[]).includes(name)) throw new TypeError(`unknown ${who} option ${name} (received ${describe(value)})`);
  }
  return options as Partial<T>;
}

/** An optional boolean option. */
export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, received ${describe(value)}`);
  return value;
}

/** An optional string option. */
export function stringOption(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, received ${describe(value)}`);
  return value;
}

/** A value as it reads in an error message. */
function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint' || typeof value === 'symbol') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
