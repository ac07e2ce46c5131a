/**
 * The receiving end of the redis store's coherence: a subscriber connection on the store's
 * channel. A message names keys another process wrote or deleted; they go to `onKeys` (the
 * engine drops its clean copies). Or it is a region's invalidation, for `onRegion`. A message
 * from this store itself is ignored.
 *
 * Pub/sub is fire-and-forget: messages published while this connection is down are lost. So after
 * every reconnect `onGap` runs, and the store drops every copy that could have been changed meanwhile.
 *
 * In a cluster, a PUBLISH on any node reaches the subscribers of every node, so one subscription on
 * one node is enough. That node may be gone for good (a failover, a shrink): after a few failed
 * reconnects the subscriber moves to another node the cluster lists, and counts the move as a gap.
 */
import type { LarderError } from '../../core/errors.js';
import { RedisLink } from './redis-link.js';
import { decodeMessage, isFrom, type RegionMessage } from '../../../shared/redis-invalidation.js';
import { RedisUnavailableError } from './redis-errors.js';

/** Failed reconnects in a row before a cluster's subscriber tries another node. */
const MOVE_AFTER = 3;

export interface InvalidationListenerOptions {
  url: string;
  /** A cluster's nodes to subscribe at (URLs), asked each time the subscriber moves; absent for one server. */
  nodes?: () => readonly string[];
  channel: string;
  sender: string;
  connectTimeout: number;
  onKeys(keys: string[]): void;
  onRegion(message: RegionMessage): void;
  onGap(): void;
  report(error: LarderError): void;
}

export class InvalidationListener {
  readonly #options: InvalidationListenerOptions;
  #link: RedisLink | undefined;
  #closed = false;
  #moves = 0;

  constructor(options: InvalidationListenerOptions) {
    this.#options = options;
  }

  /** Subscribes; resolves once subscribed, or after `connectTimeout` (it subscribes when Redis comes back). */
  start(): Promise<void> {
    return this.#subscribe(this.#options.url, false);
  }

  async #subscribe(url: string, moved: boolean): Promise<void> {
    const { channel, sender, onKeys, onRegion, onGap, report, nodes, connectTimeout } = this.#options;
    const link: RedisLink = new RedisLink({
      url,
      connectTimeout,
      offlineQueue: true,
      onReconnect: () => onGap(),
      ...(nodes === undefined ? {} : { giveUpAfter: MOVE_AFTER, onGiveUp: () => this.#move(link) }),
    });
    this.#link = link;
    const mine = Buffer.from(sender);
    const subscribed = link.client
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
        () => {
          // Messages published between leaving the old node and subscribing here were lost.
          if (moved) onGap();
          return true;
        },
        (error: unknown) => {
          if (!link.closed && this.#link === link) report(new RedisUnavailableError(url, error));
          return false;
        },
      );
    if (await link.waitReady(connectTimeout)) await subscribed;
  }

  /** Leaves a cluster node that stopped answering for the next one the cluster lists. */
  #move(from: RedisLink): void {
    if (this.#closed || this.#link !== from) return;
    from.destroy();
    const candidates = this.#options.nodes?.() ?? [];
    const url = candidates.length === 0 ? this.#options.url : (candidates[this.#moves++ % candidates.length] as string);
    void this.#subscribe(url, true);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#link?.destroy();
  }
}
