/**
 * larder behind other caches' interfaces: a Keyv (v5) storage adapter, which `keyv`,
 * `cache-manager` 7 and `cacheable` 2 take, and a BentoCache L2 driver. Explicit named exports;
 * neither file imports Keyv or BentoCache at run time.
 */
export { KeyvLarder } from './keyv-store.js';
export type { KeyvLarderOptions } from './keyv-store.js';
export { LarderDriver, larderDriver } from './bentocache-driver.js';
export type { LarderDriverOptions } from './bentocache-driver.js';
