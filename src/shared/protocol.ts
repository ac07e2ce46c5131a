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

export type StoreTarget = FilesTarget;

/**
 * One batch of writes. Values are already encoded on the caller's thread and packed into one
 * transferable buffer: `values.subarray(valueOffsets[i], valueOffsets[i + 1])` is entry i.
 * Columns rather than an array of objects keep the structured clone cheap.
 */
export interface BatchColumns {
  keys: string[];
  kinds: Uint8Array;
  codecs: Uint8Array;
  createdAt: Float64Array;
  expiresAt: Float64Array;
  valueOffsets: Uint32Array;
  values: Uint8Array;
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
}

export type WorkerTask = WriteBatch;

/** Turns anything thrown into the plain-data failure that can cross a thread boundary. */
export function toFailure(index: number, error: unknown): WriteFailure {
  const e = error as NodeJS.ErrnoException;
  const failure: WriteFailure = {
    index,
    code: typeof e?.code === 'string' ? e.code : 'EUNKNOWN',
    message: typeof e?.message === 'string' ? e.message : String(error),
  };
  if (typeof e?.syscall === 'string') failure.syscall = e.syscall;
  if (typeof e?.path === 'string') failure.path = e.path;
  return failure;
}
