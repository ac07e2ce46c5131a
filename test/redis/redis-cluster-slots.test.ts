/**
 * Key → slot, as Redis Cluster computes it (src/shared/cluster-slots.ts), and the writers' reading
 * of a CLUSTER NODES reply (src/worker/redis/cluster-router.ts). The live cluster's own
 * CLUSTER KEYSLOT is compared in test/redis/redis-cluster.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { crc16, keySlot, slotOfBytes } from '../../src/shared/cluster-slots.js';
import { parseClusterNodes } from '../../src/worker/redis/cluster-router.js';

describe('cluster slots', () => {
  it('computes CRC16/XMODEM: "123456789" is 0x31C3', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
    expect(keySlot('123456789')).toBe(0x31c3 % 16384);
    expect(crc16(Buffer.alloc(0))).toBe(0);
  });

  it('hashes only the hash tag when there is one', () => {
    expect(keySlot('{user}a')).toBe(keySlot('{user}b'));
    expect(keySlot('{user}a')).toBe(keySlot('user'));
    expect(keySlot('larder:v:{user:1}profile')).toBe(keySlot('larder:l:{user:1}profile'));
    // The first { and the first } after it; an empty tag means the whole key.
    expect(keySlot('foo{bar}{zap}')).toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
    expect(keySlot('foo{}{bar}')).toBe(crc16(Buffer.from('foo{}{bar}')) % 16384);
    expect(keySlot('foo{bar')).toBe(crc16(Buffer.from('foo{bar')) % 16384);
    expect(keySlot('a}b{c')).toBe(crc16(Buffer.from('a}b{c')) % 16384);
  });

  it('hashes a key in place inside a larger buffer, looking for its tag within the key only', () => {
    const buffer = Buffer.from('x{y}z' + 'ab{c' + '}tail');
    expect(slotOfBytes(buffer, 5, 9)).toBe(keySlot('ab{c'));
    expect(slotOfBytes(buffer, 0, 5)).toBe(keySlot('y'));
    const utf8 = Buffer.from('é{ü}ß', 'utf8');
    expect(slotOfBytes(utf8)).toBe(keySlot('ü'));
  });

  it('reads the slot map from CLUSTER NODES: ranges, single slots, migrations, replicas, an empty host', () => {
    const text = [
      '07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,host-a slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected',
      '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922 [5460-<-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f]',
      '292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f :30003@31003 myself,master - 0 0 3 connected 10923-16383 42',
      'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 master - 0 1426238316232 1 connected 0-41 43-5460 [5460->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]',
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :0@0 master,noaddr - 0 0 0 disconnected',
      '',
    ].join('\n');
    const map = parseClusterNodes(text, '10.0.0.9');
    expect(map.masters.sort()).toEqual(['10.0.0.9:30003', '127.0.0.1:30001', '127.0.0.1:30002']);
    expect(map.slots[0]).toBe('127.0.0.1:30001');
    expect(map.slots[42]).toBe('10.0.0.9:30003');
    expect(map.slots[5460]).toBe('127.0.0.1:30001'); // migrating: still its owner's until it moves
    expect(map.slots[5461]).toBe('127.0.0.1:30002');
    expect(map.slots[16383]).toBe('10.0.0.9:30003');
    expect(map.slots.filter((address) => address !== undefined)).toHaveLength(16384);
  });
});
