/** The peers `larder bench --peers` knows, by the name the option takes. */
import { cacachePeer } from './cacache-peer.js';
import { flatCachePeer } from './flat-cache-peer.js';
import { keyvFilePeer } from './keyv-file-peer.js';
import { lmdbPeer } from './lmdb-peer.js';
import { lruCachePeer } from './lru-cache-peer.js';
import { nodePersistPeer } from './node-persist-peer.js';
import type { Peer } from './peer.js';

export const peers: ReadonlyMap<string, Peer> = new Map([
  ['lmdb', lmdbPeer],
  ['lru-cache', lruCachePeer],
  ['cacache', cacachePeer],
  ['node-persist', nodePersistPeer],
  ['flat-cache', flatCachePeer],
  ['keyv-file', keyvFilePeer],
]);
