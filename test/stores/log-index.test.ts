/**
 * The `log` store's index keeps a key's slot either on the engine's entry (a holder) or in its
 * own Map, never both (src/main/stores/log-index.ts). These pin down the moves between the two
 * and what every lookup, iteration and byte count sees meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { LogIndex } from '../../src/main/stores/log/log-index.js';
import type { SlotHolder } from '../../src/main/stores/engine-store.js';

const holder = (key: string): SlotHolder => ({ key, storeSlot: -1 });

/** An index whose resident lookup is a Map of holders, like the engine's memory map. */
function withMemory() {
  const index = new LogIndex();
  const memory = new Map<string, SlotHolder>();
  index.useResident((key) => memory.get(key));
  const hold = (key: string): SlotHolder => {
    const h = holder(key);
    memory.set(key, h);
    return h;
  };
  /** The engine dropping an entry: out of memory, slot back to the index. */
  const drop = (h: SlotHolder): void => {
    memory.delete(h.key);
    index.release(h);
  };
  return { index, memory, hold, drop };
}

const where = (index: LogIndex, key: string) => {
  const slot = index.slot(key);
  return slot === undefined ? undefined : { segment: index.segmentOf(slot), offset: index.offsetOf(slot), size: index.sizeOf(slot) };
};

describe('log index: slots on holders and in the Map', () => {
  it('a landed write keeps the slot on its holder, found by key through the resident lookup', () => {
    const { index, hold } = withMemory();
    const a = hold('a');
    index.setHeld(a, 1, 0, 100, 0);
    expect(a.storeSlot).toBeGreaterThanOrEqual(0);
    expect(where(index, 'a')).toEqual({ segment: 1, offset: 0, size: 100 });
    index.setHeld(a, 1, 100, 40, 0); // written again: same slot, new place
    expect(where(index, 'a')).toEqual({ segment: 1, offset: 100, size: 40 });
    expect(index.size).toBe(1);
    expect(index.liveBytes(1)).toBe(40);
  });

  it('release moves the slot to the Map: the key stays readable once the engine forgets it', () => {
    const { index, memory, hold, drop } = withMemory();
    const a = hold('a');
    index.setHeld(a, 2, 64, 10, 0);
    drop(a);
    expect(a.storeSlot).toBe(-1);
    expect(memory.has('a')).toBe(false);
    expect(where(index, 'a')).toEqual({ segment: 2, offset: 64, size: 10 });
    expect(index.size).toBe(1);
    expect(index.liveBytes(2)).toBe(10);
  });

  it('a key in the Map written again moves to its new holder, not duplicated', () => {
    const { index, hold } = withMemory();
    index.set('a', 1, 0, 30, 0); // loaded at open
    const a = hold('a'); // read back into memory, then written
    index.setHeld(a, 2, 0, 50, 0);
    expect(index.size).toBe(1);
    expect([...index.entries()].map(([key]) => key)).toEqual(['a']);
    expect(index.liveBytes(1)).toBe(0);
    expect(index.liveBytes(2)).toBe(50);
    expect(where(index, 'a')).toEqual({ segment: 2, offset: 0, size: 50 });
  });

  it('set and delete by key reach a held slot (compaction, open and the exit flush use keys)', () => {
    const { index, hold } = withMemory();
    const a = hold('a');
    index.setHeld(a, 1, 0, 30, 0);
    expect(index.isAt('a', 1, 0)).toBe(true);
    index.set('a', 3, 500, 30, 0); // compaction moved it
    expect(a.storeSlot).toBeGreaterThanOrEqual(0); // still held
    expect(index.isAt('a', 3, 500)).toBe(true);
    expect(index.size).toBe(1);
    index.delete('a');
    expect(a.storeSlot).toBe(-1);
    expect(index.slot('a')).toBeUndefined();
    expect(index.size).toBe(0);
    expect(index.liveBytes(3)).toBe(0);
  });

  it('a landed delete frees the slot wherever it is kept', () => {
    const { index, hold } = withMemory();
    const a = hold('a');
    index.setHeld(a, 1, 0, 30, 0);
    index.deleteHeld(a);
    expect(index.slot('a')).toBeUndefined();
    index.set('b', 1, 30, 20, 0);
    index.deleteHeld(hold('b')); // its slot was in the Map
    expect(index.slot('b')).toBeUndefined();
    expect(index.size).toBe(0);
    expect(index.liveBytes(1)).toBe(0);
  });

  it('freed slots are reused without one key seeing another key’s location', () => {
    const { index, hold, drop } = withMemory();
    const a = hold('a');
    index.setHeld(a, 1, 0, 10, 0);
    index.deleteHeld(a);
    drop(a); // the entry goes after its delete landed: nothing to release
    const b = hold('b');
    index.setHeld(b, 1, 10, 20, 0); // may take a's old slot
    expect(index.slot('a')).toBeUndefined();
    expect(where(index, 'b')).toEqual({ segment: 1, offset: 10, size: 20 });
    // A stale holder of a reused slot neither reads nor releases it.
    a.storeSlot = b.storeSlot;
    index.release(a);
    expect(a.storeSlot).toBe(-1);
    expect(where(index, 'b')).toEqual({ segment: 1, offset: 10, size: 20 });
  });

  it('iteration sees a key released while it runs at least once', () => {
    const { index, hold, drop } = withMemory();
    const held = ['a', 'b', 'c', 'd'].map((key, i) => {
      const h = hold(key);
      index.setHeld(h, 1, i * 10, 10, 0);
      return h;
    });
    index.set('e', 1, 40, 10, 0);
    const seen = new Set<string>();
    for (const [key] of index.entries()) {
      seen.add(key);
      if (key === 'a') for (const h of held.slice(1)) drop(h); // the engine evicts the rest mid-way
    }
    expect([...seen].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('clear() takes the slots back from their holders', () => {
    const { index, hold } = withMemory();
    const a = hold('a');
    index.setHeld(a, 1, 0, 10, 0);
    index.clear();
    expect(a.storeSlot).toBe(-1);
    expect(index.size).toBe(0);
    expect(index.slot('a')).toBeUndefined();
    index.setHeld(a, 1, 0, 10, 0); // usable again
    expect(where(index, 'a')).toEqual({ segment: 1, offset: 0, size: 10 });
  });
});
