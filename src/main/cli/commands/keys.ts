/**
 * `larder keys <dir> [--prefix p]`: every live key, one per line, streamed as found. A key
 * holding a control character is printed as a JSON string (quoted, escaped).
 */
import { openStore } from '../store-dir.js';

export async function listKeys(dir: string, prefix: string, out: (chunk: string) => Promise<void>): Promise<number> {
  const { cache } = await openStore(dir, 'read');
  let count = 0;
  let chunk = '';
  try {
    for await (const key of cache.keys()) {
      if (!key.startsWith(prefix)) continue;
      count++;
      // A key with a line break or other control character would break the one-per-line output.
      chunk += `${/[\u0000-\u001f\u007f]/.test(key) ? JSON.stringify(key) : key}\n`;
      if (chunk.length > 64 * 1024) {
        await out(chunk);
        chunk = '';
      }
    }
    if (chunk !== '') await out(chunk);
    return count;
  } finally {
    await cache.stop();
  }
}
