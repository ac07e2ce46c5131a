/**
 * Keyv's own adapter test suite (@keyv/test-suite: its API, value, namespace and iterator
 * tests) against `KeyvLarder`, over the `log` store and over the `memory` store. Every test of
 * the suite runs; none is skipped. The API and value tests run twice: with Keyv's default JSON
 * serialization, and with raw values (larder's codec storing Keyv's objects). The suite builds a new Keyv, and calls `store()` for a new
 * adapter, in every test and hook: each adapter here borrows one cacher opened for the test, so
 * they all see the same data, as adapters over one database would.
 */
import * as vitest from 'vitest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Keyv, type KeyvOptions } from 'keyv';
import { keyvApiTests, keyvIteratorTests, keyvNamespaceTest, keyvValueTests } from '@keyv/test-suite';
import { Cacher, type CacherOptions } from '../../src/main/index.js';
import { KeyvLarder } from '../../src/main/adapters/index.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Keyv 5 wires `keyv.iterator()` only for adapters whose `opts.dialect` is on its own list of
 * backends (sqlite, postgres, mysql, mongo, redis, valkey, etcd); KeyvLarder does not claim to be
 * one of them. This Keyv does what docs/integrations.md tells users to do: one line after
 * construction. Only the iterator tests use it; the rest run on Keyv as it comes.
 */
class IterableKeyv extends Keyv {
  constructor(options?: KeyvOptions) {
    super(options);
    const store = this.store as KeyvLarder;
    this.iterator = this.generateIterator(store.iterator.bind(store));
  }
}

/**
 * Keyv handing the adapter raw `{ value, expires }` objects (its serializer turned off, as
 * docs/integrations.md shows), so larder's v8 codec stores them; a test that brings its own
 * serializer keeps it.
 */
class RawKeyv extends Keyv {
  constructor(options?: KeyvOptions) {
    super(options);
    if (options?.serialize === undefined) this.serialize = undefined;
    if (options?.deserialize === undefined) this.deserialize = undefined;
  }
}

const stores: Record<string, () => CacherOptions> = {
  log: () => ({ dir: tempDir('larder-keyv-suite-') }),
  memory: () => ({ store: 'memory' }),
};

for (const [kind, options] of Object.entries(stores)) {
  describe(`@keyv/test-suite over the ${kind} store`, () => {
    let cacher: Cacher;
    beforeEach(async () => {
      cacher = await Cacher.open(options());
      // Every adapter listens to the cacher's 'error' until disconnected, and the suite makes
      // a dozen per test without disconnecting any.
      cacher.setMaxListeners(100);
    });
    afterEach(async () => {
      await cacher.stop();
    });
    const store = (): KeyvLarder => new KeyvLarder(cacher);

    describe('api', () => keyvApiTests(vitest, Keyv, store));
    describe('values', () => keyvValueTests(vitest, Keyv, store));
    describe('namespace', () => keyvNamespaceTest(vitest, Keyv, store));
    describe('iterator', () => keyvIteratorTests(vitest, IterableKeyv as typeof Keyv, store));

    describe('api, raw values', () => keyvApiTests(vitest, RawKeyv as typeof Keyv, store));
    describe('values, raw values', () => keyvValueTests(vitest, RawKeyv as typeof Keyv, store));

    it('plain Keyv leaves keyv.iterator undefined for this adapter (why the iterator tests wire it)', () => {
      expect(new Keyv({ store: store() }).iterator).toBeUndefined();
    });
  });
}
