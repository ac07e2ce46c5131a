/**
 * The message a `redis` store publishes after each batch it writes: who wrote, and which keys.
 * Every other process subscribed to the channel drops its clean memory copies of those keys.
 *
 * Layout: the sender id, a newline, then the keys as a JSON array. A subscriber receives its own
 * messages too (one per batch it writes), so the sender comes first: it is recognised from the
 * first bytes and skipped without decoding the rest.
 */

export interface Invalidation {
  sender: string;
  keys: string[];
}

export function encodeInvalidation(sender: string, keys: readonly string[]): string {
  return `${sender}\n${JSON.stringify(keys)}`;
}

/** Whether a raw message was published by `sender` (`senderBytes` = Buffer.from(sender)). */
export function isFrom(message: Buffer, senderBytes: Buffer): boolean {
  return message.length > senderBytes.length && message[senderBytes.length] === 0x0a && message.subarray(0, senderBytes.length).equals(senderBytes);
}

/** The message, or undefined when it is not one of ours (anything may be published on a channel). */
export function decodeInvalidation(message: Buffer | string): Invalidation | undefined {
  const text = typeof message === 'string' ? message : message.toString('utf8');
  const nl = text.indexOf('\n');
  if (nl <= 0) return undefined;
  let keys: unknown;
  try {
    keys = JSON.parse(text.slice(nl + 1));
  } catch {
    return undefined;
  }
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) return undefined;
  return { sender: text.slice(0, nl), keys: keys as string[] };
}
