import { afterEach, describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { channel, startTsWorker } from '../fixtures/remote-driver.js';
import { CacherStoppedError, connectCacher, LarderError, QueueFullError, type RemoteCacher } from '../../src/main/index.js';

const workers: Worker[] = [];
const clients: RemoteCacher[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.release();
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

/** A Cacher owned by a worker thread, and this thread's connection to it. */
async function remoteOwner(timeout: number): Promise<{ worker: Worker; client: RemoteCacher }> {
  const { here, there } = channel();
  const worker = startTsWorker('remote-owner.ts', { port: there }, [there]);
  workers.push(worker);
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  const client = connectCacher(here, { timeout });
  clients.push(client);
  return { worker, client };
}

/** Sends a command to the owner thread and waits for its answer. */
function command(worker: Worker, message: unknown): Promise<unknown> {
  const answered = new Promise((resolve) => worker.once('message', resolve));
  worker.postMessage(message);
  return answered;
}

const codeOf = (promise: Promise<unknown>): Promise<string | undefined> =>
  promise.then(
    () => 'resolved',
    (error: LarderError) => error.code,
  );

describe('remote calls when the owner dies or stalls', () => {
  it('the owner terminated mid-call: the caller rejects with ERR_REMOTE_CLOSED, well within its timeout', async () => {
    const timeout = 10_000;
    const { worker, client } = await remoteOwner(timeout);
    client.set('a', 1);
    expect(await client.get('a')).toBe(1);
    await command(worker, 'pause');
    client.set('b', 2);
    const started = Date.now();
    const syncing = codeOf(client.sync({ timeout: 60_000 }));
    expect(await client.has('b')).toBe(true); // the sync is now waiting on the owner
    await worker.terminate();
    expect(await syncing).toBe('ERR_REMOTE_CLOSED');
    expect(Date.now() - started).toBeLessThan(timeout);
    expect(client.closed).toBe(true);
    expect(await codeOf(client.get('a'))).toBe('ERR_REMOTE_CLOSED');
    expect(() => client.set('c', 3)).toThrow(expect.objectContaining({ code: 'ERR_REMOTE_CLOSED' }));
  });

  it('a stalled owner: the call rejects with ERR_REMOTE_TIMEOUT, and later calls work once it recovers', async () => {
    const { worker, client } = await remoteOwner(200);
    client.set('a', 1);
    expect(await client.get('a')).toBe(1);
    const said: string[] = [];
    const said2 = new Promise<void>((resolve) => worker.on('message', (m: string) => said.push(m) === 2 && resolve()));
    const blocking = new Promise((resolve) => worker.once('message', resolve));
    worker.postMessage({ block: 1_500 });
    await blocking;
    const error = await client.get('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LarderError);
    expect(error).toMatchObject({ code: 'ERR_REMOTE_TIMEOUT', keys: ['a'] });
    await said2; // 'unblocked'
    expect(await client.get('a')).toBe(1);
    expect(client.localStats.pending).toBe(0);
  });
});

describe('remote errors keep their code', () => {
  it("the owner's ERR_STOPPED crosses as a CacherStoppedError", async () => {
    const { worker, client } = await remoteOwner(5_000);
    await command(worker, 'stop');
    const error = await client.get('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacherStoppedError);
    expect(error).toBeInstanceOf(LarderError);
    expect(error).toMatchObject({ code: 'ERR_STOPPED', name: 'CacherStoppedError' });
  });

  it("a batched set the owner refuses (ERR_QUEUE_FULL) is an 'error' event naming the key and rejects the next sync()", async () => {
    const { worker, client } = await remoteOwner(5_000);
    const events: LarderError[] = [];
    client.on('error', (e: LarderError) => events.push(e));
    await command(worker, 'pause'); // the owner's queue (maxPending 4) fills and stays full
    for (let i = 0; i < 6; i++) client.set(`k${i}`, i);
    const error = await client.sync({ timeout: 100 }).catch((e: unknown) => e);
    // The owner's own sync times out first (its queue never drains while paused) …
    expect(error).toMatchObject({ code: 'ERR_SYNC_TIMEOUT' });
    expect(events.map((e) => [e.code, e.keys])).toEqual([
      ['ERR_QUEUE_FULL', ['k4']],
      ['ERR_QUEUE_FULL', ['k5']],
    ]);
    expect(events[0]).toBeInstanceOf(QueueFullError);
    expect(events[0]).toMatchObject({ limit: 4 });
    // … and once it can, the next sync() reports the refused sets, once.
    await command(worker, 'resume');
    expect(await codeOf(client.sync())).toBe('ERR_QUEUE_FULL');
    expect(await codeOf(client.sync())).toBe('resolved');
    expect(await client.get('k3')).toBe(3);
    expect(await client.has('k4')).toBe(false);
  });
});
