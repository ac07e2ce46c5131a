/**
 * Cross-thread invalidation for the optional local read caches of connected threads. The
 * owning thread publishes the keys every write changed on a `BroadcastChannel` named for its
 * Cacher; each subscribed thread drops those keys. BroadcastChannel is not ordered with the
 * MessagePort that carries reads, so the local cache (local-read-cache.ts) refuses to store a
 * read that an invalidation overtook.
 */
import { BroadcastChannel, threadId } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';

export interface InvalidationMessage {
  keys: string[];
}

/** A process-unique channel name for one owner's Cacher. */
export function invalidationChannelName(): string {
  return `larder:invalidate:${threadId}:${randomUUID()}`;
}

export class InvalidationChannel {
  readonly name: string;
  #channel: BroadcastChannel;
  #closed = false;

  /** Joins channel `name`; `onKeys` (if given) receives the keys other threads invalidate. */
  constructor(name: string, onKeys?: (keys: string[]) => void) {
    this.name = name;
    this.#channel = new BroadcastChannel(name);
    // Invalidation is advisory: an open channel must not keep a thread alive on its own.
    this.#channel.unref();
    if (onKeys !== undefined) {
      this.#channel.onmessage = (event) => {
        const data = (event as { data: Partial<InvalidationMessage> | null }).data;
        if (data !== null && typeof data === 'object' && Array.isArray(data.keys)) onKeys(data.keys);
      };
    }
  }

  publish(keys: readonly string[]): void {
    if (this.#closed || keys.length === 0) return;
    this.#channel.postMessage({ keys: [...keys] } satisfies InvalidationMessage);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#channel.close();
  }
}
