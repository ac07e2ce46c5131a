/** larder's public API. Explicit named exports: what is not listed here is internal. */
export { Cacher } from './engine/cacher.js';
export type { CacherStats, FlushInfo, GetOptions, SetOptions, SyncOptions, WaitOptions } from './engine/cacher.js';
export type { CacherOptions } from './engine/options.js';
export type { Timers } from './core/timers.js';
export type { EngineStore, ExpiredRecord, StoreContext, StoredEntry, StoredMeta } from './stores/engine-store.js';
export { FilesStore } from './stores/files/files-store.js';
export { MemoryStore } from './stores/memory-store.js';
export { LogStore } from './stores/log/log-store.js';
export type { LogStoreOptions } from './stores/log/log-store.js';
export type { CompactReport, StoreStats, VerifyReport } from './stores/engine-store.js';
export { StoreIoError, StoreReadOnlyError } from './stores/log/log-errors.js';
export { RedisStore } from './stores/redis/redis-store.js';
export type { RedisStoreOptions } from './stores/redis/redis-store.js';
export { TieredStore } from './stores/tiered/tiered-store.js';
export type { LagInfo, ReplicationStats, TieredStoreOptions, TieredStoreStats } from './stores/tiered/tiered-store.js';
export { ReplicationFailedError, ReplicationTimeoutError } from './stores/tiered/tiered-errors.js';
export { RedisBackend } from './region/backends/redis-backend.js';
export { RedisMutex } from './stores/redis/redis-mutex.js';
export { RedisLockLostError, RedisUnavailableError } from './stores/redis/redis-errors.js';
export { ObjectPool } from './pool/object-pool.js';
export type { AcquireOptions, CloseOptions, PoolStats, ScopedUse, UseOptions } from './pool/object-pool.js';
export type { ObjectPoolOptions } from './pool/pool-options.js';
export { PoolCreateError, PoolError } from './pool/pool-errors.js';
export type { PoolErrorCode } from './pool/pool-errors.js';
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
  registerError,
} from './core/errors.js';
export type { AnyErrorCode, ErrorCode } from './core/errors.js';
export { createJsonCodec, createMsgpackCodec, registerCodec, resolveCodec, utf8Codec, v8Codec } from '../shared/codecs.js';
export type { Codec, JsonCodecOptions, MsgpackCodecOptions } from '../shared/codecs.js';
export type { Durability } from '../shared/protocol.js';
export { Bucket } from './bucket/bucket.js';
export type { BucketEngineOptions, BucketOptions, PruneResult } from './bucket/bucket.js';
export { DeferredBucket, deferredWrite } from './bucket/deferred-bucket.js';
export type { BucketMemoizeOptions, MemoHit } from './bucket/memoize.js';
export type { Lifetime, TtlLifetime, UnitLifetime } from './bucket/lifetime.js';
export { BucketMismatchError, DeferredClosedError } from './bucket/bucket-errors.js';
export { canonicalKey, keyState, writeCanonical } from './keys/canonical-key.js';
export type { CanonicalSink } from './keys/canonical-key.js';
export { HashKeyMaker } from './keys/key-maker.js';
export type { KeyMaker } from './keys/key-maker.js';
export { StreamingKeyMaker, defaultKeyMaker } from './keys/streaming-key-maker.js';
export type { StreamingKeyMakerOptions } from './keys/streaming-key-maker.js';
export { ENTRY_FORMAT_VERSION, NO_VALUE } from './region/backend.js';
export type { Backend, BackendMutex, CachedEntry, MutexLease, NoValue, RegionInvalidation } from './region/backend.js';
export { Region } from './region/region.js';
export type { Creator, ManyCreator } from './region/region.js';
export type {
  GetOrCreateOptions,
  GetOrCreateOptionsMaybeMissing,
  RegionGetOptions,
  RegionOptions,
  RegionSetOptions,
  TtlOption,
  WaitTimeoutPolicy,
} from './region/region-options.js';
export type { Memoized, MemoizedMany, MemoizeManyOptions, MemoizeOptions } from './region/memoize.js';
export { MemoryBackend } from './region/backends/memory-backend.js';
export { CacherBackend } from './region/backends/cacher-backend.js';
export type { CacherBackendOptions } from './region/backends/cacher-backend.js';
export { ProxyBackend, wrapBackend } from './region/backends/proxy-backend.js';
export type { BackendMiddleware } from './region/backends/proxy-backend.js';
export { BackendMetrics } from './region/backends/backend-metrics.js';
export type { BackendCounts } from './region/backends/backend-metrics.js';
export { createBackend, registerBackend, registeredBackends } from './region/backend-registry.js';
export type { BackendArguments, BackendFactory } from './region/backend-registry.js';
export { configureFromConfig } from './region/configure-from-config.js';
export type { ConfigExtras, FlatConfig } from './region/configure-from-config.js';
export { CreatorResultError, RegionBroadcastError, RegionWaitTimeoutError } from './region/region-errors.js';
export { CacheManager, DEFAULT_MANAGER_DIR, getCacheManager } from './manager/cache-manager.js';
export type { CacheManagerOptions, FilledManagerOptions } from './manager/cache-manager.js';
export { ManagedCache } from './manager/managed-cache.js';
export type { CascadeOptions, RebuildEvent, SaveEvent } from './manager/cache-core.js';
export type { CacheOptions, Contents } from './manager/cache-options.js';
export { DEFAULT_SAVE_POINTS } from './manager/save-schedule.js';
export type { SavePoint } from './manager/save-schedule.js';
export {
  CacheConflictError,
  CacheNotLoadedError,
  DependencyCycleError,
  ManagerClosedError,
  ManagerConflictError,
  UnknownCacheError,
} from './manager/manager-errors.js';
export { exposeCacher } from './remote/expose-cacher.js';
export type { CacherExposure, ExposeOptions } from './remote/expose-cacher.js';
export { connectCacher, RemoteCacher } from './remote/connect-cacher.js';
export type { ConnectOptions, RemoteCacherStats, RemoteGetOrCreateOptions } from './remote/connect-cacher.js';
export type { LocalCacheOptions } from './remote/local-read-cache.js';
export {
  RemoteClosedError,
  RemoteLockTimeoutError,
  RemoteTimeoutError,
  UnclonableValueError,
  registerRemoteError,
} from './remote/remote-errors.js';
