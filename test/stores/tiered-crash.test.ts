/**
 * The outbox's promise, end to end with real processes and a real redis-server: a child writes
 * through a tiered store, Redis is stopped under it, the child is SIGKILLed, Redis comes back,
 * the child is started again → everything its local sync() confirmed reaches Redis and reads
 * back from another process (this one). Once with the restarted child left to drain, once with
 * a second SIGKILL landing in the middle of the drain.
 */
import { expect, it } from 'vitest';
import { openCacher, runChild, type ChildRun } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { describeRedis, privateRedis, testPrefix, type PrivateRedis } from '../fixtures/redis-harness.js';
import { RedisStore } from '../../src/main/index.js';

const lastRound = (child: ChildRun, word: 'started' | 'synced'): number => {
  let round = 0;
  for (const line of child.lines) {
    const m = new RegExp(`^${word} (\\d+)$`).exec(line);
    if (m !== null) round = Number(m[1]);
  }
  return round;
};

/** Writes with Redis up, stops Redis, writes on, SIGKILLs the writer. Returns the rounds confirmed and started. */
async function writeThroughOutage(server: PrivateRedis, dir: string, prefix: string, keys: number): Promise<{ synced: number; started: number }> {
  const writer = runChild('tiered-writer.ts', [dir, server.url, prefix, 'write', String(keys)]);
  await writer.waitFor(/^synced 2$/);
  await server.stop();
  const down = lastRound(writer, 'synced');
  // Rounds confirmed with Redis down: only the local log and the outbox have them.
  await writer.waitFor(new RegExp(`^synced ${down + 3}$`));
  writer.kill('SIGKILL');
  await writer.exited;
  return { synced: lastRound(writer, 'synced'), started: lastRound(writer, 'started') };
}

async function drain(server: PrivateRedis, dir: string, prefix: string, keys: number): Promise<ChildRun> {
  const child = runChild('tiered-writer.ts', [dir, server.url, prefix, 'drain', String(keys)]);
  return child;
}

/** What Redis holds, read by this process through a plain redis store, against the rounds the writer confirmed. */
async function checkRedis(url: string, prefix: string, keys: number, { synced, started }: { synced: number; started: number }): Promise<void> {
  const { cache } = await openCacher({ store: new RedisStore({ url, keyPrefix: prefix }) });
  const stale: string[] = [];
  for (let i = 0; i < keys; i++) {
    const value = (await cache.load(`k${i}`)) as { r: number } | undefined;
    if (value === undefined || value.r < synced || value.r > started) stale.push(`k${i}=${JSON.stringify(value?.r)}`);
  }
  expect(stale.slice(0, 10), `${stale.length} keys without a confirmed value (synced ${synced})`).toEqual([]);
  for (let j = 1; j <= started; j++) {
    const value = await cache.load(`u${j}`);
    if (j + 5 <= synced) expect(value, `u${j} was deleted in confirmed round ${j + 5}`).toBeUndefined();
    else if (j <= synced && j + 5 > started) expect(value, `u${j} was set in confirmed round ${j}`).toBe(j);
    else if (value !== undefined) expect(value).toBe(j);
  }
}

describeRedis('tiered store: killed while Redis is down', () => {
  it('a writer SIGKILLed during an outage: after both restart, every value its sync() confirmed reaches Redis', async () => {
    const server = await privateRedis();
    const prefix = testPrefix(server.url);
    const dir = tempDir('larder-tiered-crash-');
    const keys = 2_000;
    const rounds = await writeThroughOutage(server, dir, prefix, keys);
    expect(rounds.synced).toBeGreaterThanOrEqual(5);

    await server.start();
    const drainer = await drain(server, dir, prefix, keys);
    await drainer.waitFor(/^drained$/);
    expect((await drainer.exited).code).toBe(0);
    await checkRedis(server.url, prefix, keys, rounds);
  }, 120_000);

  it('the same with a second SIGKILL landing in the middle of the backlog drain', async () => {
    const server = await privateRedis();
    const prefix = testPrefix(server.url);
    const dir = tempDir('larder-tiered-crash-');
    const keys = 20_000;
    const rounds = await writeThroughOutage(server, dir, prefix, keys);

    await server.start();
    const first = await drain(server, dir, prefix, keys);
    // Killed once some of the backlog went out and some has not.
    const line = await first.waitFor(/^progress [1-9]\d* [1-9]\d*$/);
    first.kill('SIGKILL');
    await first.exited;
    expect(first.lines).not.toContain('drained');
    const [, sent, pending] = line.split(' ').map(Number) as [number, number, number];
    expect(sent).toBeGreaterThan(0);
    expect(pending).toBeGreaterThan(0);

    const second = await drain(server, dir, prefix, keys);
    await second.waitFor(/^drained$/);
    expect((await second.exited).code).toBe(0);
    await checkRedis(server.url, prefix, keys, rounds);
  }, 180_000);

  it('writes still queued at exit: the exit hook writes them to the local log and the outbox, and they reach Redis after restart', async () => {
    const server = await privateRedis();
    const prefix = testPrefix(server.url);
    const dir = tempDir('larder-tiered-crash-');
    const keys = 3_000;
    await server.stop();
    const writer = runChild('tiered-writer.ts', [dir, server.url, prefix, 'exit', String(keys)]);
    await writer.waitFor(/^set 3000$/);
    expect((await writer.exited).code).toBe(0);

    await server.start();
    const drainer = await drain(server, dir, prefix, keys);
    await drainer.waitFor(/^drained$/);
    expect((await drainer.exited).code).toBe(0);
    await checkRedis(server.url, prefix, keys, { synced: 1, started: 1 });
  }, 120_000);
});
