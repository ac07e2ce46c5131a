import { expect, it } from 'vitest';
import { runChild } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { describeRedis, rawClient, REDIS_URL, testPrefix } from '../fixtures/redis-harness.js';

describeRedis('Region over a tiered cacher: single-flight across processes', () => {
  it('two processes, each with its own local log and the same Redis prefix, run each creator once', async () => {
    const prefix = testPrefix();
    const keys = Array.from({ length: 12 }, (_, i) => `report:${i}`);
    const children = [0, 1].map(() => runChild('tiered-region-child.ts', [JSON.stringify({ url: REDIS_URL, prefix, dir: tempDir(), keys })]));
    try {
      await Promise.all(children.map((c) => c.waitFor(/^READY$/)));
      const raw = await rawClient();
      await raw.set(`${prefix}go`, '1');
      const results = await Promise.all(children.map(async (c) => JSON.parse((await c.waitFor(/^RESULT /)).slice('RESULT '.length)) as { backend: boolean; values: string[] }));
      await Promise.all(children.map((c) => c.waitFor(/^DONE$/)));

      for (const key of keys) expect(await raw.get(`${prefix}runs:${key}`), key).toBe('1');
      // The Region chose the Redis-backed backend for `store: cacher` over a TieredStore.
      expect(results.map((r) => r.backend)).toEqual([true, true]);
      // Whoever created a key, both processes got that one value.
      expect(results[0]?.values).toEqual(results[1]?.values);
      for (const [i, value] of (results[0]?.values ?? []).entries()) expect(value).toMatch(new RegExp(`^${keys[i]} made by \\d+$`));
    } finally {
      for (const c of children) c.kill('SIGKILL');
      await Promise.all(children.map((c) => c.exited));
    }
  }, 60_000);
});
