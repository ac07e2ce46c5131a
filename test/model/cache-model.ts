/**
 * The plain model a cache is checked against: per key, the values a read may return.
 *
 * Most of the time a key has exactly one possible value. It gets several only where the
 * contract leaves a choice: after `discard()` a key falls back to whatever the store holds,
 * which may be any version written since the last barrier (one may have been in flight), and in
 * a bounded cache that persists nothing an evicted key is gone. Once such a key is read after
 * the writes settled (a barrier, a reopen), the value seen is the one it keeps ("pinning").
 *
 * Values carry their own identity (`k`: the key's number, `ver`: unique across the run), so a
 * value written under another key, or an older version, can never pass for the right one.
 */
import { isDeepStrictEqual } from 'node:util';

/** A key with no value (never written, deleted, cleared or expired). */
export const MISS: unique symbol = Symbol('miss');

export interface Version {
  value: unknown;
  /** 0 = never. */
  expiresAt: number;
}

type Possible = Version | typeof MISS;

interface KeyState {
  /** What a read may return now. */
  now: Possible[];
  /** What the store held at the last barrier (what a discard falls back to, at the oldest). */
  durable: Possible[];
  /** Versions accepted since the last barrier, oldest first. */
  since: Possible[];
  /** Several possibilities, and a read will fix which one holds. */
  settled: boolean;
}

export interface ModelOptions {
  /** false: nothing survives a reopen. */
  persistent: boolean;
  /** A cache that persists nothing and is bounded forgets evicted keys. */
  forgetsEvicted: boolean;
}

export class CacheModel {
  readonly #keys = new Map<string, KeyState>();
  readonly #options: ModelOptions;
  now: number;

  constructor(options: ModelOptions, now: number) {
    this.#options = options;
    this.now = now;
  }

  #state(key: string): KeyState {
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = { now: [MISS], durable: [MISS], since: [], settled: true };
      this.#keys.set(key, state);
    }
    return state;
  }

  /** A write accepted: `version`, or MISS for a delete. */
  write(key: string, version: Possible): void {
    const state = this.#state(key);
    state.now = [version];
    state.since.push(version);
    state.settled = true;
  }

  /** Every write accepted so far is in the store (a resolved sync, stop or clear). */
  barrier(): void {
    for (const state of this.#keys.values()) {
      state.durable = state.now;
      state.since = [];
      state.settled = true;
    }
  }

  /** A `save()` of this key resolved: its latest version is in the store. */
  saved(key: string): void {
    const state = this.#state(key);
    state.durable = state.now;
    state.since = [];
  }

  /**
   * `discard()`: a key written since the last barrier now holds its durable value or any write
   * since. Memory falls back to the store, so in a cache that persists nothing the key may be
   * gone (its one entry carried the discarded write).
   */
  discarded(): void {
    for (const state of this.#keys.values()) {
      if (state.since.length === 0) continue;
      state.now = unique([...state.durable, ...state.since, ...(this.#options.persistent ? [] : [MISS as Possible])]);
      state.durable = state.now;
      state.since = [];
      state.settled = false;
    }
  }

  cleared(): void {
    for (const state of this.#keys.values()) {
      state.now = [MISS];
      state.durable = [MISS];
      state.since = [];
      state.settled = true;
    }
  }

  /** The cache was stopped (a barrier) and opened again. */
  reopened(): void {
    this.barrier();
    if (!this.#options.persistent) this.cleared();
  }

  keys(): string[] {
    return [...this.#keys.keys()];
  }

  /** What a read of `key` may return now, expiry applied. */
  allowed(key: string): Array<unknown | typeof MISS> {
    const state = this.#state(key);
    const out = state.now.map((p) => (p === MISS || (p.expiresAt !== 0 && p.expiresAt <= this.now) ? MISS : p.value));
    if (this.#options.forgetsEvicted && !out.includes(MISS)) out.push(MISS);
    return out;
  }

  /**
   * Checks a read: `seen` is the value read, or MISS. Returns a description of the mismatch, or
   * undefined when the read is allowed. A read among several possibilities fixes the key to it.
   */
  check(key: string, seen: unknown | typeof MISS, settledNow: boolean): string | undefined {
    const allowed = this.allowed(key);
    const hit = allowed.findIndex((a) => (a === MISS ? seen === MISS : seen !== MISS && isDeepStrictEqual(a, seen)));
    if (hit < 0) return `${key}: read ${describe(seen)}, the model allows ${allowed.map(describe).join(' | ')}`;
    const state = this.#state(key);
    if (allowed.length > 1 && (settledNow || state.settled)) this.#pin(state, seen);
    else if (seen === MISS && this.#options.forgetsEvicted) this.#pin(state, MISS);
    return undefined;
  }

  #pin(state: KeyState, seen: unknown | typeof MISS): void {
    const match = state.now.find((p) => (p === MISS ? seen === MISS : seen !== MISS && isDeepStrictEqual(p.value, seen)));
    // An expired or evicted version reads as MISS: keep it as it is stored.
    state.now = [match ?? MISS];
    if (state.since.length === 0) state.durable = state.now;
    state.settled = true;
  }
}

function unique(list: Possible[]): Possible[] {
  return list.filter((p, i) => list.indexOf(p) === i);
}

export function describe(value: unknown): string {
  if (value === MISS) return 'MISS';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…(${value.length})` : value);
  if (value instanceof Map) return `Map(${[...value.entries()].map(([k, v]) => `${String(k)}=${describe(v)}`).join(',')})`;
  if (typeof value === 'object' && value !== null) {
    const { k, ver } = value as { k?: unknown; ver?: unknown };
    if (k !== undefined || ver !== undefined) return `{k:${String(k)},ver:${String(ver)}}`;
  }
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}
