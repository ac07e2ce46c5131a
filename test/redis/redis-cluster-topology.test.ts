/**
 * The redis store while a Redis Cluster changes under it (test/fixtures/redis-cluster.ts, with
 * every node appending its writes to a file, fsynced before it replies): slots resharded from one
 * master to another while a child process and this one write behind, and a master killed and
 * started again mid-run. Nothing a sync() confirmed is lost, and every key ends at its latest write.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { openCacher, type ChildRun } from '../helpers/engine.js';
import { eventually } from '../fixtures/redis-harness.js';
import { clusterChild, describeCluster, useCluster, type ClusterNode, type LocalCluster } from '../fixtures/redis-cluster.js';
import { RedisStore } from '../../src/main/index.js';

const COUNT = 400;

/** Resolves once the child has confirmed `rounds` more rounds than when called. */
function moreRounds(child: ChildRun, rounds: number): Promise<void> {
  const seen = child.lines.length;
  return eventually(() => child.lines.slice(seen).filter((line) => line.startsWith('CONFIRMED')).length >= rounds, 60_000, `${rounds} more confirmed rounds`);
}

/** Stops a writer child (its stop key) and returns the last round it confirmed. */
async function finish(cluster: LocalCluster, keyPrefix: string, child: ChildRun): Promise<number> {
  await (await cluster.client()).set(`${keyPrefix}stop`, '1');
  const done = Number((await child.waitFor(/^DONE \d+$/)).split(' ')[1]);
  expect((await child.exited).code).toBe(0);
  return done;
}

describeCluster('redis store while the cluster changes', () => {
  const cluster = useCluster({ appendonly: true });

  it('loses nothing while slots are resharded between masters mid-run', async () => {
    const keyPrefix = `larder-test:${randomUUID()}:`;
    const { cache, errors } = await openCacher({ store: new RedisStore({ cluster: cluster.urls, keyPrefix }), flushDelay: 5 });
    const child = clusterChild({ seeds: cluster.urls, prefix: keyPrefix, mode: 'write', name: 'child', count: COUNT });
    await child.waitFor(/^CONFIRMED 1$/);

    // This process writes too, round after round, while the slots move.
    let moving = true;
    let round = 0;
    const writing = (async () => {
      while (moving) {
        round++;
        for (let i = 0; i < COUNT; i++) cache.set(`here:${i}`, round);
        await cache.sync({ timeout: 30_000 });
        // Paced, so the reshard is not starved on a small machine; each round still meets moving slots.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    writing.catch(() => {}); // awaited below; this only keeps a failed test from leaving it unhandled
    const [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
    await cluster.reshard(a, b, 1500);
    await moreRounds(child, 2);
    await cluster.reshard(b, c, 2000);
    await moreRounds(child, 2);
    moving = false;
    await writing;

    const done = await finish(cluster, keyPrefix, child);
    const reader = await openCacher({ store: new RedisStore({ cluster: [c.url], keyPrefix }) });
    for (let i = 0; i < COUNT; i++) {
      expect(await reader.cache.load(`child:${i}`)).toEqual({ round: done, by: 'child' });
      expect(await reader.cache.load(`here:${i}`)).toBe(round);
    }
    // Redirections were followed within each batch: no write ever failed.
    expect(errors).toEqual([]);
    expect(reader.errors).toEqual([]);
  }, 180_000);

  it('loses nothing when a master is killed and started again mid-run', async () => {
    const keyPrefix = `larder-test:${randomUUID()}:`;
    const { cache } = await openCacher({ store: new RedisStore({ cluster: cluster.urls, keyPrefix, connectTimeout: 500, commandTimeout: 2_000 }), flushDelay: 5 });
    // Confirmed before the kill and never written again: the restarted master must still hold its share.
    for (let i = 0; i < COUNT; i++) cache.set(`fixed:${i}`, i);
    await cache.sync();
    const child = clusterChild({ seeds: cluster.urls, prefix: keyPrefix, mode: 'write', name: 'child', count: COUNT });
    await child.waitFor(/^CONFIRMED 2$/);

    const victim = cluster.nodes[1] as ClusterNode;
    await cluster.stop(victim, 'SIGKILL');
    // While it is down its share of every batch fails and stays queued; a barrier cannot finish.
    for (let i = 0; i < COUNT; i++) cache.set(`during:${i}`, i);
    await expect(cache.sync({ timeout: 1_000 })).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_(WRITE_FAILED|SYNC_TIMEOUT)$/) });
    await cluster.start(victim);
    await eventually(() => cache.sync({ timeout: 5_000 }).then(() => true, () => false), 60_000, "this process's queued writes landed");
    await moreRounds(child, 2);

    const done = await finish(cluster, keyPrefix, child);
    const reader = await openCacher({ store: new RedisStore({ cluster: cluster.urls, keyPrefix }) });
    for (let i = 0; i < COUNT; i++) {
      expect(await reader.cache.load(`fixed:${i}`)).toBe(i);
      expect(await reader.cache.load(`during:${i}`)).toBe(i);
      expect(await reader.cache.load(`child:${i}`)).toEqual({ round: done, by: 'child' });
    }
    // The process that lived through the restart reads from the restarted master again.
    expect(await cache.load(`child:${COUNT - 1}`)).toEqual({ round: done, by: 'child' });
    expect(reader.errors).toEqual([]);
  });
});
