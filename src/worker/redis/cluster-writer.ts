/**
 * A batch for a Redis Cluster (or Valkey cluster). The batch is encoded once, as for one server
 * (src/worker/redis/redis-batch.ts); each command is then routed by its key's slot to the master
 * serving it, and each master gets its commands as one pipeline, all masters at once.
 *
 * Redirections are followed within the batch: `MOVED slot host:port` (the slot has a new owner:
 * that slot is corrected at once, and the whole map is learnt again before the next batch) resends
 * the command there; `ASK slot host:port` (the slot is being migrated and the key is not on the old
 * owner) resends it there preceded by `ASKING`, without changing the map. A node that cannot be
 * reached, or any other error reply (CLUSTERDOWN, LOADING, TRYAGAIN, OOM…), fails only its entries:
 * the engine keeps them queued and retries them with backoff, and the map is learnt again first.
 *
 * The batch's `PUBLISH` goes out last, once every node has answered, so a process that drops its
 * copy on the announcement reads the new value, whichever node holds it. A cluster forwards a
 * PUBLISH to every node, so subscribers anywhere receive it.
 */
import { slotOfBytes } from '../../shared/cluster-slots.js';
import type { BatchColumns, RedisTarget, WriteBatch, WriteFailure, WriteResult } from '../../shared/protocol.js';
import { ClusterRouter } from './cluster-router.js';
import { encodeBatch, failAll, failureCode, sendWithin } from './redis-batch.js';
import { command, RespError } from './resp-pipe.js';

/** Redirections followed for one entry within a batch; past that it fails (code MOVED or ASK) and the engine retries it later. */
const MAX_ROUNDS = 5;
const ASKING = command('ASKING');

/** This thread's map of each cluster it writes to, by seed list. */
const routers = new Map<string, ClusterRouter>();

export function runClusterTask(batch: WriteBatch, target: RedisTarget): Promise<WriteResult> {
  const seeds = target.cluster ?? [target.url];
  const id = seeds.join(' ');
  let router = routers.get(id);
  if (router === undefined) {
    router = new ClusterRouter(seeds, target.connectTimeout, target.commandTimeout);
    routers.set(id, router);
  }
  return writeClusterBatch(batch, target, router);
}

interface Route {
  index: number;
  address: string;
  asking: boolean;
}

export async function writeClusterBatch(batch: BatchColumns, target: RedisTarget, router: ClusterRouter): Promise<WriteResult> {
  const n = batch.keys.length;
  const spans = new Int32Array(3 * n + 1);
  const { bytes, recordBytes } = encodeBatch(batch, target, spans);
  if (router.stale) {
    try {
      await router.refresh();
    } catch (error) {
      return failAll(n, error);
    }
  }
  const failures: WriteFailure[] = [];
  let routes: Route[] = [];
  for (let index = 0; index < n; index++) {
    const address = router.nodeOf(slotOfBytes(bytes, spans[3 * index + 1], spans[3 * index + 2]));
    if (address === undefined) return failAll(n, Object.assign(new Error('no node of the cluster serves any slot'), { code: 'CLUSTERDOWN' }));
    routes.push({ index, address, asking: false });
  }
  let answered: string | undefined;

  const sendGroup = async (address: string, asking: boolean, group: Route[], next: Route[]): Promise<void> => {
    const fail = (error: unknown): void => {
      router.markStale();
      const code = failureCode(error);
      const message = error instanceof Error ? error.message : String(error);
      for (const { index } of group) failures.push({ index, code, message });
    };
    let replies: unknown[];
    try {
      const pipe = await router.pipe(address);
      replies = await sendWithin(pipe, commandsOf(bytes, spans, group, asking), asking ? 2 * group.length : group.length, target.commandTimeout);
    } catch (error) {
      fail(error);
      return;
    }
    answered ??= address;
    for (let j = 0; j < group.length; j++) {
      // After ASKING (whose own reply is +OK) comes the command's reply.
      const reply = replies[asking ? 2 * j + 1 : j];
      if (!(reply instanceof RespError)) continue;
      const { index } = group[j] as Route;
      const redirect = redirection(reply, address);
      if (redirect === undefined) {
        if (reply.code === 'CLUSTERDOWN') router.markStale();
        failures.push({ index, code: reply.code, message: reply.message });
      } else {
        if (!redirect.ask) router.moved(redirect.slot, redirect.address);
        next.push({ index, address: redirect.address, asking: redirect.ask });
      }
    }
  };

  for (let round = 0; routes.length > 0; round++) {
    if (round === MAX_ROUNDS) {
      for (const { index, asking } of routes) failures.push({ index, code: asking ? 'ASK' : 'MOVED', message: `the cluster still redirected this key after ${MAX_ROUNDS} tries` });
      break;
    }
    const groups = new Map<string, { address: string; asking: boolean; routes: Route[] }>();
    for (const route of routes) {
      const id = route.asking ? `ask ${route.address}` : route.address;
      let group = groups.get(id);
      if (group === undefined) groups.set(id, (group = { address: route.address, asking: route.asking, routes: [] }));
      group.routes.push(route);
    }
    const next: Route[] = [];
    await Promise.all([...groups.values()].map((group) => sendGroup(group.address, group.asking, group.routes, next)));
    routes = next;
  }

  // Best effort, as on one server: a lost announcement loses no write.
  const announceAt = answered ?? router.anyNode();
  if (announceAt !== undefined) {
    try {
      await sendWithin(await router.pipe(announceAt), bytes.subarray(spans[3 * n]), 1, target.commandTimeout);
    } catch {
      router.markStale();
    }
  }
  failures.sort((a, b) => a.index - b.index);
  return { failures, bytes: recordBytes };
}

/** The group's commands, in order, cut from the batch's buffer (neighbours stay one piece); each after ASKING if `asking`. */
function commandsOf(bytes: Buffer, spans: Int32Array, group: Route[], asking: boolean): Buffer {
  const parts: Buffer[] = [];
  let from = -1;
  let to = -1;
  for (const { index } of group) {
    const start = spans[3 * index] as number;
    const end = spans[3 * index + 3] as number;
    if (!asking && start === to) {
      to = end;
      continue;
    }
    if (from >= 0) parts.push(bytes.subarray(from, to));
    if (asking) parts.push(ASKING);
    from = start;
    to = end;
  }
  if (from >= 0) parts.push(bytes.subarray(from, to));
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

/** `MOVED 3999 127.0.0.1:6381` or `ASK 3999 127.0.0.1:6381`; an empty host means the host that replied. */
function redirection(reply: RespError, from: string): { ask: boolean; slot: number; address: string } | undefined {
  if (reply.code !== 'MOVED' && reply.code !== 'ASK') return undefined;
  const [, slot, endpoint] = reply.message.split(' ');
  if (slot === undefined || endpoint === undefined) return undefined;
  const address = endpoint.startsWith(':') ? `${from.slice(0, from.lastIndexOf(':'))}${endpoint}` : endpoint;
  return { ask: reply.code === 'ASK', slot: Number(slot), address };
}
