/**
 * The writers' own Redis connection (src/worker/redis/resp-pipe.ts), against a fake server that
 * records what it receives and answers exactly as scripted — in one-byte chunks, to prove
 * replies are put together across reads, and with the failures a real server can produce.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RespError, RespPipe, command } from '../../src/worker/redis/resp-pipe.js';

interface Fake {
  url: (auth?: string, db?: number) => string;
  received: () => string;
  /** Writes bytes to the connected client one at a time. */
  reply: (text: string) => Promise<void>;
  hangUp: () => void;
}

const servers: net.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function fakeRedis(onData?: (text: string, socket: net.Socket) => void): Promise<Fake> {
  let socket: net.Socket | undefined;
  let received = '';
  const server = net.createServer((s) => {
    socket = s;
    s.on('data', (d) => {
      received += d.toString('latin1');
      onData?.(received, s);
    });
    s.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: (auth = '', db = 0) => `redis://${auth}127.0.0.1:${port}${db === 0 ? '' : `/${db}`}`,
    received: () => received,
    async reply(text) {
      for (const byte of Buffer.from(text, 'utf8')) {
        socket?.write(Buffer.of(byte));
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    hangUp: () => socket?.destroy(),
  };
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('RespPipe', () => {
  it('puts replies together from one-byte reads, in order, each of its type', async () => {
    const fake = await fakeRedis();
    const pipe = await RespPipe.connect(fake.url(), 1000);
    const sent = Buffer.concat([command('SET', 'a', '1'), command('SET', 'b', '2'), command('UNLINK', 'c'), command('GET', 'a'), command('GET', 'z')]);
    const replies = pipe.send(sent, 5);
    await until(() => fake.received().length === sent.length);
    expect(fake.received()).toBe(sent.toString('latin1'));
    await fake.reply('+OK\r\n-OOM command not allowed when used memory > maxmemory\r\n:1\r\n$4\r\nhé!\r\n$-1\r\n');
    const [ok, oom, count, bulk, nil] = await replies;
    expect(ok).toBe('OK');
    expect(oom).toBeInstanceOf(RespError);
    expect((oom as RespError).code).toBe('OOM');
    expect(count).toBe(1);
    expect(bulk).toBe('hé!');
    expect(nil).toBeNull();
    pipe.destroy();
  });

  it('authenticates and selects the database the URL names', async () => {
    const fake = await fakeRedis((text, socket) => {
      if (text.endsWith('SELECT\r\n$1\r\n2\r\n')) socket.write('+OK\r\n+OK\r\n');
    });
    const pipe = await RespPipe.connect(fake.url('larder:p%40ss@', 2), 1000);
    expect(fake.received()).toBe(Buffer.concat([command('AUTH', 'larder', 'p@ss'), command('SELECT', '2')]).toString('latin1'));
    pipe.destroy();
  });

  it('rejects the connection with the server’s refusal of the password', async () => {
    const fake = await fakeRedis((_text, socket) => socket.write('-WRONGPASS invalid username-password pair or user is disabled.\r\n'));
    const error = (await RespPipe.connect(fake.url(':nope@'), 1000).catch((e: unknown) => e)) as RespError;
    expect(error).toBeInstanceOf(RespError);
    expect(error.code).toBe('WRONGPASS');
    expect(error.message).not.toContain('nope');
  });

  it('a connection that closes rejects what it still owes, with ECONNRESET', async () => {
    const fake = await fakeRedis();
    const pipe = await RespPipe.connect(fake.url(), 1000);
    const outcome = pipe.send(command('SET', 'a', '1'), 1).catch((e: unknown) => e);
    await until(() => fake.received().length > 0);
    fake.hangUp();
    expect(await outcome).toMatchObject({ code: 'ECONNRESET' });
    expect(pipe.closed).toBe(true);
    await expect(pipe.send(command('SET', 'a', '1'), 1)).rejects.toThrow();
  });

  it('a refused port is ECONNREFUSED', async () => {
    const fake = await fakeRedis();
    const url = fake.url();
    await new Promise((resolve) => (servers.pop() as net.Server).close(resolve));
    await expect(RespPipe.connect(url, 1000)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('an answer it cannot have asked for closes the connection', async () => {
    const fake = await fakeRedis();
    const pipe = await RespPipe.connect(fake.url(), 1000);
    const outcome = pipe.send(command('SET', 'a', '1'), 1).catch((e: unknown) => e);
    await until(() => fake.received().length > 0);
    await fake.reply('*1\r\n+OK\r\n');
    expect(await outcome).toMatchObject({ message: expect.stringMatching(/unexpected reply/) });
    expect(pipe.closed).toBe(true);
  });
});
