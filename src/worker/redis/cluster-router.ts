/**
 * A writer thread's map of a Redis Cluster: which master serves each of the 16384 slots. It is
 * learnt with `CLUSTER NODES` (a bulk string, so the writers' small RESP reader needs no arrays)
 * from the first node that answers — the masters it knows, then the seeds — and learnt again
 * before the next batch whenever something says it is out of date: a MOVED reply, a node that
 * cannot be reached, a CLUSTERDOWN. Between refreshes a MOVED reply corrects its one slot at once.
 */
import { SLOT_COUNT } from '../../shared/cluster-slots.js';
import { openPipe, sendWithin } from './redis-batch.js';
import { command, RespError, type RespPipe } from './resp-pipe.js';

const CLUSTER_NODES = command('CLUSTER', 'NODES');

export interface ClusterMap {
  /** slot → `host:port` of the master serving it (undefined: nobody, as far as that node knew). */
  slots: Array<string | undefined>;
  /** Every master serving at least one slot, as `host:port`. */
  masters: string[];
}

export class ClusterRouter {
  readonly #seeds: readonly string[];
  /** Auth, TLS and options of every node's URL: the first seed's, with the node's host and port. */
  readonly #template: string;
  readonly #connectTimeout: number;
  readonly #commandTimeout: number;
  #map: ClusterMap = { slots: new Array<string | undefined>(SLOT_COUNT), masters: [] };
  #stale = true;
  /** The node that answered the last refresh: asked first next time (a dead node first would cost a connect timeout each time). */
  #lastAnswered: string | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(seeds: readonly string[], connectTimeout: number, commandTimeout: number) {
    if (seeds.length === 0) throw new TypeError('a cluster needs at least one seed node');
    this.#seeds = seeds;
    this.#template = seeds[0] as string;
    this.#connectTimeout = connectTimeout;
    this.#commandTimeout = commandTimeout;
  }

  /** Whether the map must be learnt again before it routes the next batch. */
  get stale(): boolean {
    return this.#stale;
  }

  markStale(): void {
    this.#stale = true;
  }

  /** The master serving `slot`; for a slot nobody claimed, any master (its MOVED or CLUSTERDOWN tells the rest). */
  nodeOf(slot: number): string | undefined {
    return this.#map.slots[slot] ?? this.#map.masters[0];
  }

  /** Any master: where a batch's PUBLISH goes (a cluster forwards it to every node). */
  anyNode(): string | undefined {
    return this.#map.masters[0];
  }

  /** A MOVED reply: `slot` is `address`'s now. Other slots probably moved with it: relearn the map before the next batch. */
  moved(slot: number, address: string): void {
    this.#map.slots[slot] = address;
    if (!this.#map.masters.includes(address)) this.#map.masters.push(address);
    this.#stale = true;
  }

  /** This thread's connection to the node at `host:port`. */
  pipe(address: string): Promise<RespPipe> {
    return openPipe(this.urlOf(address), this.#connectTimeout);
  }

  urlOf(address: string): string {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon);
    const url = new URL(this.#template);
    url.hostname = host.includes(':') ? `[${host}]` : host;
    url.port = address.slice(colon + 1);
    return url.toString();
  }

  /** Learns the map again; concurrent callers share one refresh. Rejects with the last node's error when none answers. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    let lastError: unknown;
    const known = this.#map.masters.map((address) => this.urlOf(address));
    const candidates = new Set([...(this.#lastAnswered === undefined ? [] : [this.#lastAnswered]), ...known, ...this.#seeds]);
    for (const url of candidates) {
      try {
        const pipe = await openPipe(url, this.#connectTimeout);
        const [reply] = await sendWithin(pipe, CLUSTER_NODES, 1, this.#commandTimeout);
        if (reply instanceof RespError) throw reply;
        if (typeof reply !== 'string') throw new Error(`unexpected reply to CLUSTER NODES from ${url}`);
        const map = parseClusterNodes(reply, new URL(url).hostname.replace(/^\[(.*)\]$/, '$1'));
        // A node that just restarted may not know the cluster yet: ask another.
        if (map.masters.length === 0) throw Object.assign(new Error(`the node at ${hostPort(url)} knows no master serving slots yet`), { code: 'CLUSTERDOWN' });
        this.#map = map;
        this.#stale = false;
        this.#lastAnswered = url;
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }
}

/**
 * The slot map in a `CLUSTER NODES` reply: one line per node, `id ip:port@cport[,hostname] flags
 * master-id ping pong epoch link-state slot…`, where a slot is `n` or `from-to`, and `[n->-id]` /
 * `[n-<-id]` mark a migration in progress (the owner stays the one listed; ASK replies cover the
 * rest). A node listed with an empty host is on the host that answered.
 */
export function parseClusterNodes(text: string, answeringHost: string): ClusterMap {
  const slots = new Array<string | undefined>(SLOT_COUNT);
  const masters: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length < 8) continue;
    const flags = (fields[2] as string).split(',');
    if (!flags.includes('master') || flags.includes('noaddr') || flags.includes('handshake')) continue;
    const endpoint = (fields[1] as string).split('@')[0] as string;
    const colon = endpoint.lastIndexOf(':');
    const port = endpoint.slice(colon + 1);
    if (colon < 0 || port === '0' || port === '') continue;
    const address = `${colon === 0 ? answeringHost : endpoint.slice(0, colon)}:${port}`;
    let serves = false;
    for (const range of fields.slice(8)) {
      if (range.startsWith('[')) continue;
      const dash = range.indexOf('-');
      const from = Number(dash < 0 ? range : range.slice(0, dash));
      const to = dash < 0 ? from : Number(range.slice(dash + 1));
      if (!Number.isInteger(from) || !Number.isInteger(to)) continue;
      for (let slot = Math.max(0, from); slot <= Math.min(SLOT_COUNT - 1, to); slot++) slots[slot] = address;
      serves = true;
    }
    if (serves) masters.push(address);
  }
  return { slots, masters };
}

function hostPort(url: string): string {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port}`;
}
