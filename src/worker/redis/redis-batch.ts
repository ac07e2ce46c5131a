/**
 * What both of the `redis` store's write paths share (one server: src/worker/redis/redis-writer.ts;
 * a cluster: src/worker/redis/cluster-writer.ts): the batch's commands encoded as RESP end to end in
 * one buffer, this thread's connections, a send bounded by the command timeout, and failures as
 * plain data with a stable code.
 */
import { HEADER_SIZE, RecordKind, recordBound, writeRecord } from '../../shared/format/record.js';
import type { BatchColumns, RedisTarget, WriteFailure, WriteResult } from '../../shared/protocol.js';
import { encodeInvalidation } from '../../shared/redis-invalidation.js';
import { RespPipe, type RespReply } from './resp-pipe.js';

/** This thread's connections, one per server URL, made on first use and again after one fails. */
const pipes = new Map<string, Promise<RespPipe>>();

function pipeTo(url: string, connectTimeout: number): Promise<RespPipe> {
  let pipe = pipes.get(url);
  if (pipe === undefined) {
    pipe = RespPipe.connect(url, connectTimeout);
    pipes.set(url, pipe);
    // A failed connection is forgotten, so the engine's retry connects afresh.
    pipe.catch(() => {
      if (pipes.get(url) === pipe) pipes.delete(url);
    });
  }
  return pipe;
}

/** This thread's open connection to `url`: the one it has, or a new one if that one closed. */
export async function openPipe(url: string, connectTimeout: number): Promise<RespPipe> {
  const pipe = await pipeTo(url, connectTimeout);
  if (!pipe.closed) return pipe;
  pipes.delete(url);
  return pipeTo(url, connectTimeout);
}

/**
 * The replies to `bytes` (exactly `replies` commands), or 'timeout' after `ms`. On a timeout the
 * connection is dropped: its replies could no longer be matched to what was sent.
 */
export async function sendWithin(pipe: RespPipe, bytes: Uint8Array, replies: number, ms: number): Promise<RespReply[]> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, ms, 'timeout')));
  try {
    const answered = await Promise.race([pipe.send(bytes, replies), timedOut]);
    if (answered !== 'timeout') return answered;
    const error = Object.assign(new Error(`Redis did not answer within ${ms} ms`), { code: 'ETIMEDOUT' });
    pipe.destroy(error);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

export function failAll(n: number, error: unknown): WriteResult {
  const code = failureCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const failures: WriteFailure[] = new Array(n);
  for (let i = 0; i < n; i++) failures[i] = { index: i, code, message };
  return { failures, bytes: 0 };
}

/** The OS's code (ECONNREFUSED…), ETIMEDOUT, or the first word of a Redis error reply (WRONGPASS…). */
export function failureCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ECONNRESET';
}

/**
 * The batch's commands as RESP, end to end in one buffer — `SET`/`UNLINK` per entry, then one
 * `PUBLISH` of the batch's keys — and the bytes of records among them. With `spans` (3n + 1
 * numbers) it also records where each command starts (3i) and where its key name starts and ends
 * (3i + 1, 3i + 2), then where the PUBLISH starts (3n): a cluster writer cuts the buffer by node
 * and hashes each key name in place, without re-encoding anything.
 */
export function encodeBatch(batch: BatchColumns, target: RedisTarget, spans?: Int32Array): { bytes: Buffer; recordBytes: number } {
  const { keys, kinds, codecs, createdAt, expiresAt, valueOffsets, values } = batch;
  const n = keys.length;
  const prefix = target.dataPrefix;
  const prefixBytes = Buffer.byteLength(prefix);
  const message = encodeInvalidation(target.sender, keys);
  // Room for every command at its longest: headers, the key twice (name and record), the record.
  let bound = 64 + 3 * (target.channel.length + message.length);
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    bound += 96 + prefixBytes + 3 * key.length + recordBound(key, (valueOffsets[i + 1] as number) - (valueOffsets[i] as number));
  }
  const out = Buffer.allocUnsafeSlow(bound);
  let at = 0;
  const ascii = (text: string): void => {
    at += out.write(text, at, 'latin1');
  };
  let recordBytes = 0;
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    const keyBytes = Buffer.byteLength(key);
    const expires = expiresAt[i] as number;
    const ttl = expires === 0 ? 0 : Math.ceil(expires - target.now);
    if (spans !== undefined) spans[3 * i] = at;
    // An entry already expired when sent is removed, like a delete: a TTL must be positive.
    if (kinds[i] === RecordKind.delete || (expires !== 0 && ttl <= 0)) {
      ascii(`*2\r\n$6\r\nUNLINK\r\n$${prefixBytes + keyBytes}\r\n`);
      if (spans !== undefined) spans[3 * i + 1] = at;
      at += out.write(prefix, at, 'utf8');
      at += out.write(key, at, 'utf8');
      if (spans !== undefined) spans[3 * i + 2] = at;
      ascii('\r\n');
      continue;
    }
    const value = values.subarray(valueOffsets[i] as number, valueOffsets[i + 1] as number);
    const recordLength = HEADER_SIZE + keyBytes + value.length;
    ascii(`${ttl === 0 ? '*3' : '*5'}\r\n$3\r\nSET\r\n$${prefixBytes + keyBytes}\r\n`);
    if (spans !== undefined) spans[3 * i + 1] = at;
    at += out.write(prefix, at, 'utf8');
    at += out.write(key, at, 'utf8');
    if (spans !== undefined) spans[3 * i + 2] = at;
    ascii(`\r\n$${recordLength}\r\n`);
    at = writeRecord(out, at, key, value, { kind: RecordKind.put, codec: codecs[i] as number, createdAt: createdAt[i] as number, expiresAt: expires });
    recordBytes += recordLength;
    ascii(ttl === 0 ? '\r\n' : `\r\n$2\r\nPX\r\n$${String(ttl).length}\r\n${ttl}\r\n`);
  }
  if (spans !== undefined) spans[3 * n] = at;
  ascii(`*3\r\n$7\r\nPUBLISH\r\n$${Buffer.byteLength(target.channel)}\r\n`);
  at += out.write(target.channel, at, 'utf8');
  ascii(`\r\n$${Buffer.byteLength(message)}\r\n`);
  at += out.write(message, at, 'utf8');
  ascii('\r\n');
  return { bytes: out.subarray(0, at), recordBytes };
}
