/**
 * Errors on the thread boundary. comlink's own 'throw' handler keeps only name, message and
 * stack, so a caller could not branch on `code`; larder replaces it with one that carries
 * `code`, `keys`, `cause` (recursively) and an error's other plain fields, and revives the
 * error as the same class where this thread knows it (`instanceof QueueFullError` still holds).
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { LarderError, NotSerializableError, registerError, registeredError } from '../core/errors.js';

/** A remote call got no answer within its deadline; the owner may be dead or stalled. */
export class RemoteTimeoutError extends LarderError {
  readonly timeout: number;
  constructor(call: string, timeout: number, keys: readonly string[] = []) {
    super('ERR_REMOTE_TIMEOUT', `remote ${call}() got no answer from the cacher's thread within ${timeout} ms; the owner may be dead or blocked`, { keys });
    this.timeout = timeout;
  }
}

/** The connection to the owning thread is closed: released here, closed there, or that thread exited. */
export class RemoteClosedError extends LarderError {
  constructor(call: string, reason: string, keys: readonly string[] = []) {
    super('ERR_REMOTE_CLOSED', `remote ${call}() failed: the connection to the cacher's thread is closed (${reason})`, { keys });
  }
}

/** A `getOrCreate` waited longer than `waitTimeout` for another thread's creator. */
export class RemoteLockTimeoutError extends LarderError {
  readonly timeout: number;
  constructor(key: string, timeout: number) {
    super('ERR_REMOTE_LOCK_TIMEOUT', `waited ${timeout} ms for another thread to create the value of ${JSON.stringify(key)}`, { keys: [key] });
    this.timeout = timeout;
  }
}

/** A value given to a remote call that postMessage cannot clone (a function, a class instance with private state…). */
export class UnclonableValueError extends NotSerializableError {
  constructor(keys: readonly string[], cause: unknown) {
    super(keys, cause);
    this.message = `value for ${keys.map((k) => JSON.stringify(k)).join(', ')} cannot be sent to the cacher's thread: ${(cause as Error)?.message ?? String(cause)}; it was not stored`;
  }
}

/** An error as plain, structured-clonable data. */
export interface SerializedError {
  name: string;
  message: string;
  stack: string | undefined;
  /** Set when the error was a LarderError: revived as one, with `code` and `keys`. */
  larder: boolean;
  code: string | undefined;
  keys: string[] | undefined;
  cause: { error: SerializedError } | { value: unknown } | undefined;
  /** Other own fields with primitive values (`limit`, `osCode`, `syscall`, `path`…). */
  fields: Record<string, string | number | boolean | bigint | null>;
}

/**
 * Makes errors of `cls` revive as `cls` on this thread (by name). Kept for compatibility: it is
 * `registerError`, which every larder error class already went through.
 */
export function registerRemoteError(cls: abstract new (...args: never[]) => Error): void {
  registerError(cls);
}

const SKIPPED_FIELDS = new Set(['name', 'message', 'stack', 'cause', 'code', 'keys']);
const MAX_CAUSE_DEPTH = 8;

export function serializeError(error: Error, depth = 0): SerializedError {
  const e = error as Error & { code?: unknown; keys?: unknown };
  const fields: SerializedError['fields'] = {};
  for (const [name, value] of Object.entries(error)) {
    if (SKIPPED_FIELDS.has(name)) continue;
    if (value === null || ['string', 'number', 'boolean', 'bigint'].includes(typeof value)) fields[name] = value as string | number | boolean | bigint | null;
  }
  let cause: SerializedError['cause'];
  if ('cause' in error && error.cause !== undefined) {
    cause =
      error.cause instanceof Error && depth < MAX_CAUSE_DEPTH
        ? { error: serializeError(error.cause, depth + 1) }
        : { value: clonableOrString(error.cause) };
  }
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    larder: error instanceof LarderError,
    code: typeof e.code === 'string' ? e.code : undefined,
    keys: Array.isArray(e.keys) ? e.keys.filter((k): k is string => typeof k === 'string') : undefined,
    cause,
    fields,
  };
}

export function reviveError(data: SerializedError): Error {
  const cause = data.cause === undefined ? undefined : 'error' in data.cause ? reviveError(data.cause.error) : data.cause.value;
  const error = data.larder
    ? new LarderError(data.code ?? 'ERR_LARDER', data.message, { cause, keys: data.keys ?? [] })
    : new Error(data.message, cause === undefined ? undefined : { cause });
  const cls = registeredError(data.name);
  // A name this thread knows for another kind of error (a LarderError named like a built-in,
  // say) keeps the generic class rather than a misleading one.
  if (cls !== undefined && data.larder === (cls === LarderError || cls.prototype instanceof LarderError)) {
    Object.setPrototypeOf(error, cls.prototype);
  }
  if (error.name !== data.name) error.name = data.name;
  if (!data.larder && data.code !== undefined) (error as Error & { code: string }).code = data.code;
  Object.assign(error, data.fields);
  if (data.stack !== undefined) error.stack = data.stack;
  return error;
}

function clonableOrString(value: unknown): unknown {
  if (value === null || typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol') return value;
  try {
    return structuredClone(value);
  } catch {
    return String(value);
  }
}

type Thrown = { value: unknown };
type WireThrown = { isError: true; error: SerializedError } | { isError: false; value: unknown };

let installed = false;

/**
 * Replaces comlink's 'throw' transfer handler in this thread so thrown errors keep their code.
 * Both ends of a connection call it (exposeCacher and connectCacher do); it is idempotent.
 * comlink marks thrown values with a private symbol, so the original handler's test is reused.
 */
export function installErrorTransfer(): void {
  if (installed) return;
  const original = transferHandlers.get('throw');
  if (original === undefined) throw new Error('comlink has no "throw" transfer handler: unsupported comlink version');
  const handler: TransferHandler<Thrown, WireThrown> = {
    canHandle: (value): value is Thrown => original.canHandle(value),
    serialize: ({ value }) => [value instanceof Error ? { isError: true, error: serializeError(value) } : { isError: false, value }, []],
    deserialize: (wire) => {
      throw wire.isError ? reviveError(wire.error) : wire.value;
    },
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
  installed = true;
}

registerError(RemoteTimeoutError, RemoteClosedError, RemoteLockTimeoutError, UnclonableValueError);
