/**
 * A writer thread's own connection to Redis for write batches: the caller builds a whole batch of
 * commands as ONE buffer of RESP, it goes out in one socket write, and the replies are counted
 * back in order. Only what the write path needs: AUTH and SELECT from the URL, TLS for
 * `rediss:`, and simple-string, error, integer and bulk replies.
 *
 * Why not the node-redis client the rest of the store uses: its pipeline encodes each command
 * into three chunks and writes them with writev. Measured here, 100k SETs of 1 KB in pipelines
 * of 1000 from one thread: node-redis 175k/s at 5.7 µs of CPU per entry; one prebuilt buffer
 * per pipeline 330–420k/s at 1.7–2.3 µs (the "bare socket" row of bench/redis.bench.ts; README
 * "Scaling out", "Clients, chosen by measurement"). The reads, locks and pub/sub on the caller's
 * thread stay on node-redis.
 */
import net from 'node:net';
import tls from 'node:tls';

/** An error reply; `code` is its first word (OOM, READONLY, WRONGPASS, NOAUTH, ERR…). */
export class RespError extends Error {
  readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = 'RespError';
    this.code = /^[A-Z]+/.exec(message)?.[0] ?? 'ERR';
  }
}

export type RespReply = string | number | null | RespError;

interface Request {
  expected: number;
  replies: RespReply[];
  resolve: (replies: RespReply[]) => void;
  reject: (error: Error) => void;
}

interface Endpoint {
  host: string;
  port: number;
  tls: boolean;
  username: string;
  password: string;
  db: number;
}

const CRLF = 0x0a0d; // "\r\n" read as little-endian uint16

function parseUrl(url: string): Endpoint {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new TypeError(`a Redis URL starts with redis: or rediss:, received ${u.protocol}`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new TypeError(`the database in a Redis URL is a number, received ${u.pathname.slice(1)}`);
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port === '' ? 6379 : Number(u.port),
    tls: u.protocol === 'rediss:',
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    db,
  };
}

/** One command's RESP bytes (for the handshake; batches are built by the writer straight into their buffer). */
export function command(...args: string[]): Buffer {
  let text = `*${args.length}\r\n`;
  for (const arg of args) text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return Buffer.from(text, 'utf8');
}

export class RespPipe {
  readonly #socket: net.Socket;
  #pending: Request[] = [];
  #rest: Buffer | undefined;
  #closed = false;
  #error: Error | undefined;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (error) => {
      this.#error ??= error;
    });
    socket.on('close', () => this.#fail(this.#error ?? Object.assign(new Error('the Redis connection closed'), { code: 'ECONNRESET' })));
  }

  /** Connects, authenticates and selects the database the URL names; rejects with the connection's or the server's error. */
  static async connect(url: string, timeoutMs: number): Promise<RespPipe> {
    const endpoint = parseUrl(url);
    const socket = endpoint.tls
      ? tls.connect({ host: endpoint.host, port: endpoint.port, servername: net.isIP(endpoint.host) === 0 ? endpoint.host : undefined })
      : net.connect({ host: endpoint.host, port: endpoint.port });
    const pipe = new RespPipe(socket);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = Object.assign(new Error(`connecting to ${endpoint.host}:${endpoint.port} took longer than ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
        pipe.destroy(error);
        reject(error);
      }, timeoutMs);
      socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('close', () => {
        clearTimeout(timer);
        reject(pipe.#error ?? new Error('the Redis connection closed'));
      });
    });
    const hello: Buffer[] = [];
    if (endpoint.password !== '') hello.push(endpoint.username === '' ? command('AUTH', endpoint.password) : command('AUTH', endpoint.username, endpoint.password));
    if (endpoint.db !== 0) hello.push(command('SELECT', String(endpoint.db)));
    if (hello.length > 0) {
      const replies = await pipe.send(Buffer.concat(hello), hello.length);
      const refused = replies.find((r) => r instanceof RespError);
      if (refused !== undefined) {
        pipe.destroy(refused);
        throw refused;
      }
    }
    return pipe;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends `bytes` (exactly `replies` commands) and resolves with their replies, in order. */
  send(bytes: Uint8Array, replies: number): Promise<RespReply[]> {
    if (this.#closed) return Promise.reject(this.#error ?? new Error('the Redis connection is closed'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ expected: replies, replies: [], resolve, reject });
      this.#socket.write(bytes);
    });
  }

  /** Closes at once; whatever is unanswered is rejected with `error`. */
  destroy(error?: Error): void {
    if (error !== undefined) this.#error ??= error;
    this.#socket.destroy();
    this.#fail(this.#error ?? new Error('the Redis connection was closed'));
  }

  #fail(error: Error): void {
    this.#closed = true;
    for (const request of this.#pending.splice(0)) request.reject(error);
  }

  #receive(chunk: Buffer): void {
    const buf = this.#rest === undefined ? chunk : Buffer.concat([this.#rest, chunk]);
    let at = 0;
    for (;;) {
      const parsed = this.#parse(buf, at);
      if (parsed === undefined) break;
      at = parsed.end;
      const request = this.#pending[0];
      if (request === undefined) {
        this.destroy(new Error('Redis sent a reply nobody asked for'));
        return;
      }
      request.replies.push(parsed.reply);
      if (request.replies.length === request.expected) {
        this.#pending.shift();
        request.resolve(request.replies);
      }
    }
    this.#rest = at === buf.length ? undefined : buf.subarray(at);
  }

  /** One reply at `at`, or undefined when the buffer ends before it does. */
  #parse(buf: Buffer, at: number): { reply: RespReply; end: number } | undefined {
    // The common reply to a SET, checked byte for byte before anything general.
    if (buf.length - at >= 5 && buf[at] === 0x2b && buf[at + 1] === 0x4f && buf[at + 2] === 0x4b && buf.readUInt16LE(at + 3) === CRLF) return { reply: 'OK', end: at + 5 };
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const line = buf.toString('utf8', at + 1, eol);
    switch (buf[at]) {
      case 0x2b: // +
        return { reply: line, end: eol + 2 };
      case 0x2d: // -
        return { reply: new RespError(line), end: eol + 2 };
      case 0x3a: // :
        return { reply: Number(line), end: eol + 2 };
      case 0x24: {
        // $
        const length = Number(line);
        if (length < 0) return { reply: null, end: eol + 2 };
        if (buf.length < eol + 2 + length + 2) return undefined;
        return { reply: buf.toString('utf8', eol + 2, eol + 2 + length), end: eol + 2 + length + 2 };
      }
      default:
        // Arrays and RESP3 types answer commands this connection never sends.
        this.destroy(new Error(`unexpected reply from Redis: ${JSON.stringify(buf.toString('latin1', at, Math.min(eol, at + 40)))}`));
        return undefined;
    }
  }
}
