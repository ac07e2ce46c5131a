/**
 * The receiving end of the redis store's coherence: a subscriber connection on the store's
 * channel. A message names keys another process wrote or deleted; they go to `onKeys` (the
 * engine drops its clean copies). Or it is a region's invalidation, for `onRegion`. A message
 * from this store itself is ignored.
 *
 * Pub/sub is fire-and-forget: messages published while this connection is down are lost. So after
 * every reconnect `onGap` runs, and the store drops every copy that could have been changed meanwhile.
 */
import type { LarderError } from '../../core/errors.js';
import { RedisLink } from './redis-link.js';
import { decodeMessage, isFrom, type RegionMessage } from '../../../shared/redis-invalidation.js';
import { RedisUnavailableError } from './redis-errors.js';

export interface InvalidationListenerOptions {
  url: string;
  channel: string;
  sender: string;
  connectTimeout: number;
  onKeys(keys: string[]): void;
  onRegion(message: RegionMessage): void;
  onGap(): void;
  report(error: LarderError): void;
}

export class InvalidationListener {
  readonly #link: RedisLink;
  readonly #options: InvalidationListenerOptions;

  constructor(options: InvalidationListenerOptions) {
    this.#options = options;
    this.#link = new RedisLink({ url: options.url, connectTimeout: options.connectTimeout, offlineQueue: true, onReconnect: () => options.onGap() });
  }

  /** Subscribes; resolves once subscribed, or after `connectTimeout` (it subscribes when Redis comes back). */
  async start(): Promise<void> {
    const { channel, sender, onKeys, onRegion, report, url } = this.#options;
    const mine = Buffer.from(sender);
    const subscribed = this.#link.client
      .subscribe(
        channel,
        (message: Buffer) => {
          if (isFrom(message, mine)) return;
          const decoded = decodeMessage(message);
          if (decoded === undefined) return;
          if ('keys' in decoded) onKeys(decoded.keys);
          else onRegion(decoded);
        },
        true,
      )
      .then(
        () => true,
        (error: unknown) => {
          if (!this.#link.closed) report(new RedisUnavailableError(url, error));
          return false;
        },
      );
    if (await this.#link.waitReady(this.#options.connectTimeout)) await subscribed;
  }

  async close(): Promise<void> {
    this.#link.destroy();
  }
}
