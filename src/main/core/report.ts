/**
 * Where a failure nobody awaits goes: the emitter's `'error'` event when someone listens, else a
 * process warning. Never a throw: an `'error'` event without a listener would crash the process
 * from inside a flush or a timer, for a failure the data survives (it stays queued or in memory).
 */
import type { EventEmitter } from 'node:events';
import type { LarderError } from './errors.js';

export function reportError(emitter: EventEmitter, error: unknown, warning?: { message: string; code: string }): void {
  if (emitter.listenerCount('error') > 0) {
    emitter.emit('error', error);
    return;
  }
  const message = warning?.message ?? (error instanceof Error ? error.message : String(error));
  process.emitWarning(message, { code: warning?.code ?? (error as LarderError | undefined)?.code ?? 'ERR_LARDER' });
}
