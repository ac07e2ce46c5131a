import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { expose, wrap } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { installErrorTransfer, registerRemoteError, reviveError, serializeError } from '../../src/main/remote/remote-errors.js';
import { LocalReadCache } from '../../src/main/remote/local-read-cache.js';
import { systemTimers } from '../../src/main/core/timers.js';
import { LarderError, QueueFullError, WriteFailedError } from '../../src/main/index.js';

const roundTrip = (error: Error): Error => reviveError(structuredClone(serializeError(error)));

describe('errors as data across threads', () => {
  it('a LarderError subclass keeps its class, code, keys, fields and cause chain', () => {
    const os = Object.assign(new Error('no space left'), { code: 'ENOSPC', syscall: 'write' });
    const original = new WriteFailedError(['a', 'b'], { code: 'ENOSPC', message: 'no space left', syscall: 'write', path: '/x' }, { cause: os });
    const revived = roundTrip(original) as WriteFailedError;
    expect(revived).toBeInstanceOf(WriteFailedError);
    expect(revived).toBeInstanceOf(LarderError);
    expect(revived).toMatchObject({ name: 'WriteFailedError', code: 'ERR_WRITE_FAILED', keys: ['a', 'b'], osCode: 'ENOSPC', syscall: 'write', path: '/x', message: original.message });
    expect(revived.cause).toBeInstanceOf(Error);
    expect(revived.cause).toMatchObject({ message: 'no space left', code: 'ENOSPC', syscall: 'write' });
    expect(revived.stack).toBe(original.stack);
  });

  it('built-in classes revive as themselves; unknown LarderErrors as LarderError with their name and code', () => {
    expect(roundTrip(new RangeError('bad'))).toBeInstanceOf(RangeError);
    class PoolError extends LarderError {
      constructor() {
        super('ERR_POOL', 'pool failed');
      }
    }
    const unknown = roundTrip(new PoolError());
    expect(unknown).toBeInstanceOf(LarderError);
    expect(unknown).not.toBeInstanceOf(PoolError);
    expect(unknown).toMatchObject({ name: 'PoolError', code: 'ERR_POOL' });
    registerRemoteError(PoolError);
    expect(roundTrip(new PoolError())).toBeInstanceOf(PoolError);
  });

  it("comlink's thrown errors keep their code once the handler is installed", async () => {
    installErrorTransfer();
    const { port1, port2 } = new MessageChannel();
    expose(
      {
        fail: () => {
          throw new QueueFullError(9);
        },
        failWith: (value: unknown) => {
          throw value;
        },
      },
      nodeEndpoint(port1),
    );
    const remote = wrap<{ fail(): void; failWith(value: unknown): void }>(nodeEndpoint(port2));
    const error = await remote.fail().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueFullError);
    expect(error).toMatchObject({ code: 'ERR_QUEUE_FULL', limit: 9 });
    await expect(remote.failWith('plain string')).rejects.toBe('plain string');
    port1.close();
  });
});

describe('the local read cache', () => {
  it('does not store a read that an invalidation of its key overtook', () => {
    const local = new LocalReadCache({ max: 10, ttl: 0 }, systemTimers);
    local.startRead('k');
    local.invalidate(['k']);
    local.finishRead('k', true, 'old');
    expect(local.lookup('k')).toBeUndefined();
    local.startRead('k');
    local.finishRead('k', true, 'new');
    expect(local.lookup('k')).toEqual({ value: 'new' });
  });

  it('is bounded by max', () => {
    const local = new LocalReadCache({ max: 2, ttl: 0 }, systemTimers);
    for (const key of ['a', 'b', 'c']) {
      local.startRead(key);
      local.finishRead(key, true, key);
    }
    expect(local.size).toBe(2);
    expect(local.lookup('a')).toBeUndefined();
  });
});
