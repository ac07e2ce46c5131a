/**
 * Messages between the caller's thread and the writer workers. Everything here is plain data:
 * errors thrown in a worker lose their class and code when they cross, so failures travel as
 * `WriteFailure` objects and are rebuilt as coded errors on the caller's side.
 */

export type Durability = 'fsync' | 'os' | 'none';

/** What a worker needs to know about the store it writes to. */
export interface FilesTarget {
  kind: 'files';
  dir: string;
  fileMode: number;
  dirMode: number;
  durability: Durability;
}

/**
 * A batch for the `log` store, appended to `segment` (a file name in `dir`). `cursor` is the
 * segment's append position (one BigInt64, shared by every thread): a writer frames its batch,
 * then claims exactly that many bytes with one `Atomics.add`, so batches in flight on different
 * threads never overlap and need no lock, and a batch posted later (a key's newer version is
 * only posted once its older one landed) always lands further along.
 */
export interface LogTarget {
  kind: 'log';
  dir: string;
  fileMode: number;
  dirMode: number;
  durability: Durability;
  segment: string;
  cursor: SharedArrayBuffer;
  /** Which opening of the store in this process wrote the batch (writer threads outlive stores: log-writer.ts). */
  opening: number;
}

/** A batch for the `redis` store, written over the writing thread's own connection (src/worker/redis/redis-writer.ts). */
export interface RedisTarget {
  kind: 'redis';
  /** redis[s]://[[user]:password@]host[:port][/db]: auth and TLS come from the URL. */
  url: string;
  /**
   * Set for a Redis Cluster: the seed nodes' URLs (auth and TLS as for `url`, which is the first of
   * them). The writer learns the rest of the cluster from them and routes each command by its key's slot.
   */
  cluster?: readonly string[];
  /** The entry for `key` lives at `dataPrefix + key`. */
  dataPrefix: string;
  /** Pub/sub channel the batch's keys are announced on, so other processes drop their copies. */
  channel: string;
  /** Identifies the publishing store, which ignores its own announcements. */
  sender: string;
  /** The store's clock when the batch was sent: a TTL goes out relative to it (PX), so host clocks need not agree. */
  now: number;
  /** A pipeline unanswered for this long fails with ETIMEDOUT and its connection is dropped. */
  commandTimeout: number;
  /** How long a write waits for a connection before failing with the last connection error. */
  connectTimeout: number;
}

export type StoreTarget = FilesTarget | LogTarget | RedisTarget;

/**
 * One batch of writes, as the store writers see it: encoded values laid end to end in one
 * buffer, `values.subarray(valueOffsets[i], valueOffsets[i + 1])` being entry i. Columns rather
 * than an array of objects keep the message cheap to clone.
 *
 * With the v8 codec the caller's thread writes string values as UTF-8 into `values` (codec
 * `utf8`) and sends the others as `packed`, one `v8.serialize` of their array (their ranges in
 * `values` are empty); the worker cuts each one out of it (src/shared/format/located-values.ts):
 * the log writer straight into its records, the others into `values`/`valueOffsets` first
 * (src/worker/unpack-values.ts, src/main/engine/batch-builder.ts).
 */
export interface BatchColumns {
  keys: string[];
  kinds: Uint8Array;
  codecs: Uint8Array;
  createdAt: Float64Array;
  expiresAt: Float64Array;
  valueOffsets: Uint32Array;
  values: Uint8Array;
  /** v8 serialization of the array of the non-string values, in entry order, still to be cut into one record value each (src/shared/format/located-values.ts). */
  packed?: Uint8Array;
}

/** A batch addressed to a store: what a worker task receives. */
export interface WriteBatch extends BatchColumns {
  op: 'write';
  target: StoreTarget;
}

export interface WriteFailure {
  /** Index into the batch's `keys`. */
  index: number;
  code: string;
  message: string;
  syscall?: string;
  path?: string;
}

export interface WriteResult {
  failures: WriteFailure[];
  /** Bytes handed to the OS. */
  bytes: number;
  /** Encoded size of each entry's value (the memory bound counts these). */
  sizes?: Uint32Array;
  /**
   * `log` store: file offset of each entry's record in the target segment, plus the end of the
   * last one (length keys + 1). Only for a batch without failures.
   */
  offsets?: Float64Array;
  /**
   * `log` store: bytes of this failed batch that are still in the segment because they could
   * not be taken back out (see src/shared/writers/log-writer.ts): the store seals the segment.
   */
  torn?: ByteRange;
}

export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * A segment's index entries, in bulk: keys concatenated into one string (`keyEnds[i]` is where
 * key i ends, in UTF-16 units) and columns for the rest, so the index crosses threads as a few
 * transferred buffers and one string copy instead of a message per key.
 */
export interface LogIndexChunk {
  keys: string;
  keyEnds: Uint32Array;
  kinds: Uint8Array;
  offsets: Float64Array;
  sizes: Uint32Array;
  expiresAt: Float64Array;
}

/** A damaged stretch of a segment, found by a scan. */
export interface LogProblem {
  offset: number;
  reason: string;
}

/** Maintenance work of the `log` store, run in a worker (see src/worker/log/log-jobs.ts). */
export type LogJob =
  /** Index one segment at open: from its hint when valid, else by a scan (then cut a torn tail, write a hint). */
  | { job: 'open'; dir: string; segment: string; repair: boolean; fileMode: number }
  /**
   * A segment is full and all its batches landed: cut what failed batches left past `end` (the
   * end of the last batch that landed), zero their `torn` ranges below it, write its hint file.
   */
  | { job: 'seal'; dir: string; segment: string; opening: number; fileMode: number; end?: number; torn?: ByteRange[] }
  /** Copy the live records at `offsets`/`sizes` of `segment` to `output` at `position`. */
  | { job: 'compact-copy'; dir: string; segment: string; output: string; position: number; offsets: Float64Array; sizes: Uint32Array; fileMode: number }
  /** Cut `output` to `size`, make it durable, give it a hint, rename it to `final`: the compaction's commit point. */
  | { job: 'compact-commit'; dir: string; output: string; final: string; size: number; durability: Durability; fileMode: number }
  /** Cut `segment` to `size` and make it durable: the commit point of live records appended to it by a compaction (see log-store.ts). */
  | { job: 'compact-cut'; dir: string; segment: string; size: number; durability: Durability }
  /** Remove segments (and their hints) no read uses any more. */
  | { job: 'remove'; dir: string; segments: string[]; durability: Durability }
  /** Check every record of a segment. */
  | { job: 'verify'; dir: string; segment: string }
  /** The store closed: this thread forgets its descriptors and segment logs under `dir` (threads outlive stores). */
  | { job: 'release'; dir: string }
  /** Write the store's BUDGET file (see log-format.ts): best effort, like hints. */
  | { job: 'budget'; dir: string; json: string; fileMode: number };

export interface LogTask {
  op: 'log';
  job: LogJob;
}

export interface LogJobResult {
  /** Set when the job failed as a whole (an OS error); nothing else is then meaningful. */
  failure?: WriteFailure;
  /** open, seal, verify: the segment's index entries (open only) and what was wrong with it. */
  chunk?: LogIndexChunk;
  problems?: LogProblem[];
  /** open, compact-commit: the segment's size once repaired; verify: records found. */
  size?: number;
  records?: number;
  /** compact-copy: new offset of each copied record (-1: dropped as damaged), and the output's end. */
  offsets?: Float64Array;
  end?: number;
}

/** Answered at once: a pool runs one per thread at open, so the first batch does not wait for threads to load. */
export interface PingTask {
  op: 'ping';
}

export type WorkerTask = WriteBatch | LogTask | PingTask;

/** Turns anything thrown into the plain-data failure that can cross a thread boundary. */
export function toFailure(index: number, error: unknown): WriteFailure {
  return { index, ...describeFailure(error) };
}

/** What anything thrown says about its cause, as plain data: the OS code (or EUNKNOWN), message, syscall, path. */
export function describeFailure(error: unknown): Omit<WriteFailure, 'index'> {
  const e = error as NodeJS.ErrnoException | undefined;
  const failure: Omit<WriteFailure, 'index'> = {
    code: typeof e?.code === 'string' ? e.code : 'EUNKNOWN',
    message: typeof e?.message === 'string' ? e.message : String(error),
  };
  if (typeof e?.syscall === 'string') failure.syscall = e.syscall;
  if (typeof e?.path === 'string') failure.path = e.path;
  return failure;
}
