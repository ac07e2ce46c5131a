/** larder's public API. Explicit named exports: what is not listed here is internal. */
export { Cacher } from './cacher.js';
export type { CacherStats, FlushInfo, GetOptions, SetOptions, WaitOptions } from './cacher.js';
export type { CacherOptions } from './options.js';
export type { Timers } from './timers.js';
export type { EngineStore, StoreContext, StoredEntry } from './stores/engine-store.js';
export { FilesStore } from './stores/files-store.js';
export { MemoryStore } from './stores/memory-store.js';
export {
  CacherStoppedError,
  CorruptRecordError,
  LarderError,
  NotSerializableError,
  QueueFullError,
  StopTimeoutError,
  StoreLockedError,
  SyncTimeoutError,
  WorkerDiedError,
  WriteFailedError,
} from './errors.js';
export { createJsonCodec, createMsgpackCodec, registerCodec, resolveCodec, v8Codec } from '../shared/codecs.js';
export type { Codec, JsonCodecOptions, MsgpackCodecOptions } from '../shared/codecs.js';
export type { Durability } from '../shared/protocol.js';
