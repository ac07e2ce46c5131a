/**
 * Backends by name, so configuration (a flat map, env vars) can choose one. A factory receives
 * the `arguments.*` of the configuration as strings and parses what it needs; it throws
 * TypeError/RangeError for an argument it does not know or cannot parse.
 */
import { Cacher } from '../engine/cacher.js';
import type { Backend } from './backend.js';
import { CacherBackend } from './backends/cacher-backend.js';
import { MemoryBackend } from './backends/memory-backend.js';
import { isBackend } from './backends/proxy-backend.js';
import { rejectUnknown, show, waitDuration } from './region-options.js';

export type BackendArguments = Readonly<Record<string, string>>;
export type BackendFactory = (args: BackendArguments) => Backend;

const factories = new Map<string, BackendFactory>();

/**
 * Makes `name` available to `createBackend` and `configureFromConfig`. Registering the same
 * factory again is a no-op; another factory under a taken name throws, as it would silently
 * change which store existing configuration opens.
 */
export function registerBackend(name: string, factory: BackendFactory): void {
  if (typeof name !== 'string' || name === '') throw new TypeError(`backend name must be a non-empty string, received ${show(name)}`);
  if (typeof factory !== 'function') throw new TypeError(`backend factory for ${JSON.stringify(name)} must be a function, received ${show(factory)}`);
  const existing = factories.get(name);
  if (existing !== undefined && existing !== factory) throw new TypeError(`backend ${JSON.stringify(name)} is already registered with another factory`);
  factories.set(name, factory);
}

/** Names registered, built-ins included. */
export function registeredBackends(): string[] {
  return [...factories.keys()];
}

export function createBackend(name: string, args: BackendArguments = {}): Backend {
  const factory = factories.get(name);
  if (factory === undefined) throw new TypeError(`unknown backend ${show(name)}; registered: ${registeredBackends().join(', ')}`);
  const backend = factory(args);
  if (!isBackend(backend)) throw new TypeError(`backend factory ${JSON.stringify(name)} must return a Backend, received ${show(backend)}`);
  return backend;
}

/** A numeric argument given as text: "60000", "1e3", "Infinity" where allowed. */
export function numberArgument(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw new TypeError(`${name} must be a number, received ${show(text)}`);
  return value;
}

registerBackend('memory', (args) => {
  rejectUnknown('memory backend', args, new Set());
  return new MemoryBackend();
});

const FILES_ARGUMENTS = new Set(['dir', 'codec', 'durability', 'threads', 'batchSize', 'flushDelay', 'keepStale']);

/** The engine with its `files` store, owned by the backend: started on first use, stopped by `close()`. */
registerBackend('files', (args) => {
  rejectUnknown('files backend', args, FILES_ARGUMENTS);
  const { dir, codec, durability, threads, batchSize, flushDelay, keepStale } = args;
  if (dir === undefined) throw new TypeError('the files backend needs arguments.dir');
  const cacher = new Cacher({
    store: 'files',
    dir,
    ...(codec === undefined ? {} : { codec }),
    ...(durability === undefined ? {} : { durability: durability as 'fsync' }),
    ...(threads === undefined ? {} : { threads: numberArgument('arguments.threads', threads) }),
    ...(batchSize === undefined ? {} : { batchSize: numberArgument('arguments.batchSize', batchSize) }),
    ...(flushDelay === undefined ? {} : { flushDelay: numberArgument('arguments.flushDelay', flushDelay) }),
  });
  const stale = keepStale === undefined ? undefined : waitDuration('arguments.keepStale', numberArgument('arguments.keepStale', keepStale));
  return new CacherBackend(cacher, { name: 'files', owned: true, ...(stale === undefined ? {} : { keepStale: stale }) });
});
