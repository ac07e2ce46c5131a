/**
 * A pool of expensive, reusable objects (connections, parsers, clients): created on demand,
 * lent out, taken back, destroyed when the idle queue is full, when they fail `validate`, when
 * the caller says they are broken, or when they sit idle too long.
 *
 * Every element the pool knows is in exactly one place: `#idle` (waiting for reuse),
 * `#checking` (taken for a borrower, being validated or handed over), `#inUse` (lent to a
 * caller), or counted in `#creating`. `maxTotal` bounds the sum of the four, and every path
 * that lowers it calls `#dispatch()` so a waiting acquirer is served.
 */
import { show } from '../core/validate.js';
import { unrefTimer } from '../core/timers.js';
import { PoolCreateError, poolErrors } from './pool-errors.js';
import { fillPoolOptions, waitLimit, type FilledPoolOptions, type ObjectPoolOptions } from './pool-options.js';

export interface AcquireOptions {
  /** Aborting it rejects a pending `acquire()` with `ERR_ACQUIRE_ABORTED` (`cause`: the reason). */
  signal?: AbortSignal;
}

export interface UseOptions<T> extends AcquireOptions {
  /**
   * Called when the callback throws: true puts the element back, false destroys it. If it
   * throws too, the element is destroyed and the callback's error is rethrown with this one
   * as its `cause`. @default destroy on any error
   */
  shouldReuse?: (error: unknown, element: T) => boolean | Promise<boolean>;
}

export interface CloseOptions {
  /** How long to wait for elements still in use, in ms, or Infinity. @default 30000 */
  timeout?: number;
}

/** A frozen snapshot; counters only grow, the last three are the state at the time of reading. */
export interface PoolStats {
  /** Elements `create` returned. */
  readonly created: number;
  /** Elements lent out by `acquire()` (reused or new). */
  readonly acquired: number;
  /** Elements given back by `release()` (and by `use()` on success or when `shouldReuse` says so). */
  readonly released: number;
  /** Elements destroyed, for any reason. */
  readonly destroyed: number;
  /** Elements waiting for reuse. */
  readonly idle: number;
  /** Elements lent out (or being validated for a borrower). */
  readonly inUse: number;
  /** `acquire()` calls queued because `maxTotal` is reached. */
  readonly waiting: number;
}

/** The function `scoped()` returns: `use` with its options bound. */
export type ScopedUse<T> = <R>(fn: (element: T) => R | Promise<R>, options?: AcquireOptions) => Promise<R>;

type Slot<T> = { kind: 'idle'; element: T } | { kind: 'create' };

interface Request<T> {
  settled: boolean;
  queued: boolean;
  resolve: (element: T) => void;
  reject: (error: unknown) => void;
  timer: unknown;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface IdleElement<T> {
  element: T;
  since: number;
}

type DestroyOutcome = { error: unknown } | undefined;

const DEFAULT_CLOSE_TIMEOUT = 30_000;

export class ObjectPool<T extends object, A extends readonly unknown[] = []> {
  readonly #create: (...args: A) => T | Promise<T>;
  readonly #o: FilledPoolOptions<T, A>;
  /** Oldest release first: borrowers take from the end (the warmest), the reaper from the front. */
  readonly #idle: IdleElement<T>[] = [];
  readonly #checking = new Set<T>();
  readonly #inUse = new Set<T>();
  #creating = 0;
  readonly #waiters: Request<T>[] = [];
  readonly #pending = new Set<Request<T>>();
  readonly #destroying = new Set<Promise<DestroyOutcome>>();
  readonly #counts = { created: 0, acquired: 0, released: 0, destroyed: 0 };
  #closed = false;
  readonly #closeErrors: unknown[] = [];
  readonly #drainListeners: Array<() => void> = [];
  #reaper: unknown;

  constructor(create: (...args: A) => T | Promise<T>, options?: ObjectPoolOptions<T, A>) {
    if (typeof create !== 'function') throw new TypeError(`create must be a function, received ${show(create)}`);
    this.#create = create;
    this.#o = fillPoolOptions(options);
  }

  get stats(): PoolStats {
    return Object.freeze({
      ...this.#counts,
      idle: this.#idle.length,
      inUse: this.#inUse.size + this.#checking.size,
      waiting: this.#waiters.length,
    });
  }

  /** True once `close()` was called: acquires are refused from then on. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Lends an element: an idle one (validated first, if `validate` is set), a new one while
   * under `maxTotal`, or the next one given back, in call order, once at the cap.
   */
  acquire(options: AcquireOptions = {}): Promise<T> {
    const signal = checkAcquireOptions(options);
    if (this.#closed) return Promise.reject(poolErrors.closed('acquire'));
    if (signal?.aborted) return Promise.reject(poolErrors.aborted(signal.reason));
    // The common case, an idle element and nothing to check, needs no request, timer or listener.
    if (this.#waiters.length === 0 && this.#o.validate === undefined) {
      const idle = this.#idle.pop();
      if (idle !== undefined) {
        this.#inUse.add(idle.element);
        this.#counts.acquired++;
        return Promise.resolve(idle.element);
      }
    }
    return new Promise<T>((resolve, reject) => {
      const req: Request<T> = { settled: false, queued: false, resolve, reject, timer: undefined, signal, onAbort: undefined };
      this.#pending.add(req);
      const { acquireTimeout } = this.#o;
      if (Number.isFinite(acquireTimeout)) {
        req.timer = this.#o.timers.setTimeout(() => {
          this.#fail(req, poolErrors.acquireTimeout(acquireTimeout, this.#waiters.length - (req.queued ? 1 : 0)));
        }, acquireTimeout);
      }
      if (signal !== undefined) {
        req.onAbort = () => this.#fail(req, poolErrors.aborted(signal.reason));
        signal.addEventListener('abort', req.onAbort, { once: true });
      }
      // Someone already waiting means the pool is at its cap: join the line rather than jump it.
      const slot = this.#waiters.length === 0 ? this.#take() : undefined;
      if (slot === undefined) this.#enqueue(req);
      else void this.#serve(req, slot);
    });
  }

  /** Gives a lent element back: to the first waiter, to the idle queue, or (queue full) to `destroy`. */
  release(element: T): void {
    this.#takeBack(element, 'release');
    this.#counts.released++;
    this.#putBack(element);
  }

  /** Destroys a lent element (it is broken); rejects with `ERR_POOL_DESTROY` if `destroy` fails. */
  async destroy(element: T): Promise<void> {
    this.#takeBack(element, 'destroy');
    const outcome = await this.#discard(element, true);
    if (outcome !== undefined) throw poolErrors.destroyFailed([outcome.error]);
  }

  /**
   * Runs `fn` with a lent element. On success the element is released. On an error,
   * `shouldReuse(error, element)` decides release (true) or destroy (false, the default),
   * and the error is rethrown.
   */
  async use<R>(fn: (element: T) => R | Promise<R>, options: UseOptions<T> = {}): Promise<R> {
    if (typeof fn !== 'function') throw new TypeError(`use() needs a function, received ${show(fn)}`);
    const { shouldReuse, signal } = checkUseOptions(options);
    const element = await this.acquire(signal === undefined ? {} : { signal });
    let result: R;
    try {
      result = await fn(element);
    } catch (error) {
      throw await this.#afterFailure(element, error, shouldReuse);
    }
    this.release(element);
    return result;
  }

  /** `use` with `options` bound, to call as often as needed (cachepool's `make_wrapper`). */
  scoped(options: UseOptions<T> = {}): ScopedUse<T> {
    const bound = checkUseOptions(options);
    return (fn, callOptions = {}) => this.use(fn, { ...bound, ...callOptions });
  }

  /**
   * Refuses new acquires and rejects pending ones (`ERR_POOL_CLOSED`), destroys idle elements,
   * and resolves once every lent element is back (and destroyed) and every destroy finished.
   * After `timeout` it rejects with `ERR_CLOSE_TIMEOUT`; elements still out are destroyed when
   * released. Rejects with `ERR_POOL_DESTROY` if destroying an element failed meanwhile.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (typeof options !== 'object' || options === null) throw new TypeError(`close() options must be an object, received ${show(options)}`);
    const timeout = options.timeout === undefined ? DEFAULT_CLOSE_TIMEOUT : waitLimit('timeout', options.timeout);
    if (!this.#closed) {
      this.#closed = true;
      this.#stopReaper();
      for (const req of [...this.#pending]) this.#fail(req, poolErrors.closed('acquire'));
      for (const { element } of this.#idle.splice(0)) this.#drop(element);
    }
    return this.#drained(timeout);
  }

  /** Moves the next free place (an idle element, or room to create one) to the caller, if any. */
  #take(): Slot<T> | undefined {
    const idle = this.#idle.pop();
    if (idle !== undefined) {
      this.#checking.add(idle.element);
      return { kind: 'idle', element: idle.element };
    }
    if (this.#idle.length + this.#checking.size + this.#inUse.size + this.#creating < this.#o.maxTotal) {
      this.#creating++;
      return { kind: 'create' };
    }
    return undefined;
  }

  /** Serves waiters, oldest first, for as long as there is a free place. */
  #dispatch(): void {
    while (!this.#closed && this.#waiters.length > 0) {
      const slot = this.#take();
      if (slot === undefined) return;
      const req = this.#waiters.shift() as Request<T>;
      req.queued = false;
      void this.#serve(req, slot);
    }
  }

  /** Turns a place into an element for `req`. Never rejects: failures go to the request. */
  async #serve(req: Request<T>, first: Slot<T>): Promise<void> {
    let slot: Slot<T> | undefined = first;
    while (slot !== undefined) {
      if (slot.kind === 'create') {
        let element: T;
        try {
          element = await this.#make();
        } catch (error) {
          this.#fail(req, error);
          this.#dispatch();
          this.#notifyDrained();
          return;
        }
        this.#grant(req, element);
        return;
      }
      const { element } = slot;
      const valid = await this.#isValid(element);
      this.#checking.delete(element);
      if (valid) {
        this.#grant(req, element);
        return;
      }
      if (req.settled) {
        this.#drop(element);
        return;
      }
      // The place the invalid element held goes to this request before any waiter behind it.
      slot = this.#take();
      this.#drop(element);
    }
    this.#enqueue(req, 'front');
  }

  async #make(): Promise<T> {
    let element: unknown;
    try {
      element = await this.#create(...this.#o.args);
    } catch (error) {
      throw new PoolCreateError(error);
    } finally {
      this.#creating--;
    }
    if ((typeof element !== 'object' && typeof element !== 'function') || element === null) {
      throw new PoolCreateError(new TypeError(`create must return an object or a function (the pool tells elements apart by identity), returned ${show(element)}`));
    }
    if (this.#owns(element as T)) throw new PoolCreateError(new TypeError('create returned an element the pool already holds'));
    this.#counts.created++;
    return element as T;
  }

  async #isValid(element: T): Promise<boolean> {
    const { validate } = this.#o;
    if (validate === undefined) return true;
    try {
      return (await validate(element)) === true;
    } catch {
      // A validator that throws says the element cannot be trusted: treated as invalid.
      return false;
    }
  }

  /** Hands an untracked element to `req`, or back to the pool if `req` gave up meanwhile. */
  #grant(req: Request<T>, element: T): void {
    if (req.settled) {
      this.#putBack(element);
      return;
    }
    this.#settle(req);
    this.#inUse.add(element);
    this.#counts.acquired++;
    req.resolve(element);
  }

  #fail(req: Request<T>, error: unknown): void {
    if (req.settled) return;
    this.#settle(req);
    req.reject(error);
  }

  #settle(req: Request<T>): void {
    req.settled = true;
    this.#pending.delete(req);
    if (req.timer !== undefined) this.#o.timers.clearTimeout(req.timer);
    if (req.onAbort !== undefined) req.signal?.removeEventListener('abort', req.onAbort);
    if (req.queued) {
      req.queued = false;
      this.#waiters.splice(this.#waiters.indexOf(req), 1);
    }
  }

  #enqueue(req: Request<T>, end: 'front' | 'back' = 'back'): void {
    if (req.settled) return;
    req.queued = true;
    if (end === 'front') this.#waiters.unshift(req);
    else this.#waiters.push(req);
  }

  /** Checks `element` is lent out and takes it off the loan list. */
  #takeBack(element: T, action: string): void {
    if (this.#inUse.delete(element)) return;
    throw poolErrors.notInUse(action, this.#idle.some((i) => i.element === element) ? 'idle' : 'foreign');
  }

  /** Where an untracked, usable element goes: the first waiter, the idle queue, or destroy. */
  #putBack(element: T): void {
    if (this.#closed) {
      this.#drop(element);
      return;
    }
    const req = this.#waiters.shift();
    if (req !== undefined) {
      req.queued = false;
      this.#checking.add(element);
      void this.#serve(req, { kind: 'idle', element });
      return;
    }
    if (this.#idle.length >= this.#o.maxIdle) {
      this.#drop(element);
      return;
    }
    this.#idle.push({ element, since: this.#o.timers.now() });
    this.#startReaper();
  }

  /**
   * Destroys an untracked element; the outcome says whether `destroy` failed. `callerReports`
   * false: nobody else will report a failure, so one during close() is reported by close().
   */
  #discard(element: T, callerReports: boolean): Promise<DestroyOutcome> {
    this.#counts.destroyed++;
    this.#dispatch();
    const done: Promise<DestroyOutcome> = this.#callDestroy(element).then((outcome) => {
      if (outcome !== undefined && !callerReports && this.#closed) this.#closeErrors.push(outcome.error);
      this.#destroying.delete(done);
      this.#notifyDrained();
      return outcome;
    });
    this.#destroying.add(done);
    return done;
  }

  #drop(element: T): void {
    void this.#discard(element, false);
  }

  async #callDestroy(element: T): Promise<DestroyOutcome> {
    const { destroy } = this.#o;
    if (destroy === undefined) return undefined;
    try {
      await destroy(element);
      return undefined;
    } catch (error) {
      return { error };
    }
  }

  async #afterFailure(element: T, error: unknown, shouldReuse: UseOptions<T>['shouldReuse']): Promise<unknown> {
    let reuse: boolean;
    try {
      reuse = shouldReuse === undefined ? false : Boolean(await shouldReuse(error, element));
    } catch (deciderError) {
      if (this.#inUse.delete(element)) await this.#discard(element, false);
      return withCause(error, deciderError);
    }
    // The callback (or the decider) may have given the element back itself; its error matters more than ours.
    if (!this.#inUse.has(element)) return error;
    if (reuse) {
      this.release(element);
    } else {
      this.#inUse.delete(element);
      // A failing destroy is not reported here: the callback's error is the one the caller needs.
      await this.#discard(element, false);
    }
    return error;
  }

  #owns(element: T): boolean {
    return this.#inUse.has(element) || this.#checking.has(element) || this.#idle.some((i) => i.element === element);
  }

  #startReaper(): void {
    const { idleTimeout, timers } = this.#o;
    const oldest = this.#idle[0];
    if (this.#reaper !== undefined || oldest === undefined || !Number.isFinite(idleTimeout)) return;
    const due = Math.max(0, oldest.since + idleTimeout - timers.now());
    // Unref'd: an idle pool must not keep the process alive just to tidy itself.
    this.#reaper = unrefTimer(timers, () => {
      this.#reaper = undefined;
      const now = timers.now();
      while (this.#idle.length > 0 && (this.#idle[0] as IdleElement<T>).since + idleTimeout <= now) {
        this.#drop((this.#idle.shift() as IdleElement<T>).element);
      }
      this.#startReaper();
    }, due);
  }

  #stopReaper(): void {
    if (this.#reaper === undefined) return;
    this.#o.timers.clearTimeout(this.#reaper);
    this.#reaper = undefined;
  }

  #isDrained(): boolean {
    return this.#inUse.size === 0 && this.#checking.size === 0 && this.#creating === 0 && this.#destroying.size === 0;
  }

  #notifyDrained(): void {
    if (!this.#closed || !this.#isDrained()) return;
    for (const listener of this.#drainListeners.splice(0)) listener();
  }

  #drained(timeout: number): Promise<void> {
    const { timers } = this.#o;
    return new Promise<void>((resolve, reject) => {
      let timer: unknown;
      const finish = () => {
        if (timer !== undefined) timers.clearTimeout(timer);
        if (this.#closeErrors.length > 0) reject(poolErrors.destroyFailed(this.#closeErrors));
        else resolve();
      };
      if (this.#isDrained()) {
        finish();
        return;
      }
      this.#drainListeners.push(finish);
      if (Number.isFinite(timeout)) {
        timer = timers.setTimeout(() => {
          const at = this.#drainListeners.indexOf(finish);
          if (at !== -1) this.#drainListeners.splice(at, 1);
          reject(poolErrors.closeTimeout(timeout, this.#inUse.size + this.#checking.size));
        }, timeout);
      }
    });
  }
}

function checkAcquireOptions(options: AcquireOptions): AbortSignal | undefined {
  if (typeof options !== 'object' || options === null) throw new TypeError(`acquire options must be an object, received ${show(options)}`);
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`signal must be an AbortSignal, received ${show(signal)}`);
  return signal;
}

function checkUseOptions<T>(options: UseOptions<T>): UseOptions<T> {
  const signal = checkAcquireOptions(options);
  const { shouldReuse } = options;
  if (shouldReuse !== undefined && typeof shouldReuse !== 'function') throw new TypeError(`shouldReuse must be a function, received ${show(shouldReuse)}`);
  return { ...(signal === undefined ? {} : { signal }), ...(shouldReuse === undefined ? {} : { shouldReuse }) };
}

/**
 * The callback's error, carrying the decider's as `cause`. An error that already has a cause
 * (or is not an object) cannot carry both: both then travel in an AggregateError.
 */
function withCause(error: unknown, deciderError: unknown): unknown {
  if (typeof error === 'object' && error !== null && Object.isExtensible(error) && !Object.hasOwn(error, 'cause')) {
    Object.defineProperty(error, 'cause', { value: deciderError, writable: true, configurable: true, enumerable: false });
    return error;
  }
  return new AggregateError([error, deciderError], 'the callback failed, then shouldReuse threw; the element was destroyed');
}
