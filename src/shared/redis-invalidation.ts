/**
 * The messages on a `redis` store's channel. After each batch it writes a store publishes who
 * wrote and which keys; every other process drops its clean memory copies of those keys. A
 * region's `invalidate()` publishes the region's name, kind and time; every other process's
 * region of that name applies it.
 *
 * Layout: the sender id, a newline, then JSON: an array of keys, or an object { region, hard, at }
 * for a region (a process that predates region messages finds no array and ignores it). A
 * subscriber receives its own messages too (one per batch it writes), so the sender comes first:
 * it is recognised from the first bytes and skipped without decoding the rest.
 */

export interface Invalidation {
  sender: string;
  keys: string[];
}

/** A region's invalidation as published: see `RegionInvalidation` in region/backend.ts. */
export interface RegionMessage {
  sender: string;
  region: string;
  hard: boolean;
  at: number;
}

export function encodeInvalidation(sender: string, keys: readonly string[]): string {
  return `${sender}\n${JSON.stringify(keys)}`;
}

/** Whether a raw message was published by `sender` (`senderBytes` = Buffer.from(sender)). */
export function isFrom(message: Buffer, senderBytes: Buffer): boolean {
  return message.length > senderBytes.length && message[senderBytes.length] === 0x0a && message.subarray(0, senderBytes.length).equals(senderBytes);
}

export function encodeRegionInvalidation(sender: string, region: string, hard: boolean, at: number): string {
  return `${sender}\n${JSON.stringify({ region, hard, at })}`;
}

/** The message, or undefined when it is not one of ours (anything may be published on a channel). */
export function decodeMessage(message: Buffer | string): Invalidation | RegionMessage | undefined {
  const text = typeof message === 'string' ? message : message.toString('utf8');
  const nl = text.indexOf('\n');
  if (nl <= 0) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text.slice(nl + 1));
  } catch {
    return undefined;
  }
  const sender = text.slice(0, nl);
  if (Array.isArray(body)) return body.every((k) => typeof k === 'string') ? { sender, keys: body as string[] } : undefined;
  if (typeof body !== 'object' || body === null) return undefined;
  const { region, hard, at } = body as Record<string, unknown>;
  if (typeof region !== 'string' || typeof hard !== 'boolean' || typeof at !== 'number' || !Number.isFinite(at)) return undefined;
  return { sender, region, hard, at };
}
