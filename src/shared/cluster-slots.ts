/**
 * Which Redis Cluster slot a key lives in, computed exactly as the server does: CRC16 (the XMODEM
 * variant: polynomial 0x1021, initial value 0) of the key's bytes, mod 16384. When the key holds a
 * hash tag — a `{` followed later by a `}` with at least one byte between them — only the bytes
 * between the first `{` and the first `}` after it are hashed, so `{user}a` and `{user}b` share a
 * slot. The writer threads route each command of a batch by it (src/worker/redis/cluster-writer.ts);
 * the caller's thread groups multi-key commands by it (a cluster refuses keys of several slots in one).
 */

export const SLOT_COUNT = 16384;

const TABLE = new Uint16Array(256);
for (let byte = 0; byte < 256; byte++) {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  TABLE[byte] = crc;
}

/** CRC16/XMODEM of `bytes[start, end)`. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ (bytes[i] as number)) & 0xff] as number);
  return crc;
}

/**
 * The slot of the key whose bytes are `bytes[start, end)`: a key inside a larger buffer (a batch of
 * commands) is hashed in place. The search for the tag stops at `end`, not at the buffer's end.
 */
export function slotOfBytes(bytes: Uint8Array, start = 0, end = bytes.length): number {
  for (let open = start; open < end; open++) {
    if (bytes[open] !== 0x7b) continue; // {
    for (let close = open + 1; close < end; close++) {
      if (bytes[close] !== 0x7d) continue; // }
      // An empty tag ("{}") does not count: the whole key is hashed.
      if (close > open + 1) return crc16(bytes, open + 1, close) & (SLOT_COUNT - 1);
      break;
    }
    break;
  }
  return crc16(bytes, start, end) & (SLOT_COUNT - 1);
}

/** The slot of a key given as text (hashed as its UTF-8 bytes). */
export function keySlot(key: string): number {
  return slotOfBytes(Buffer.from(key, 'utf8'));
}
