/**
 * Opt-in process-exit handling (`exitHooks: true`). One set of process listeners serves every
 * cacher that asked for it:
 * - SIGINT/SIGTERM: stop each cacher (flush with a bounded wait), then re-raise the signal so
 *   the process still ends the way the sender meant;
 * - beforeExit: start a flush if anything is pending (that keeps the loop alive until done);
 * - exit: the loop is gone, so write whatever is still unwritten synchronously, on this thread.
 */

export interface ExitFlushable {
  readonly pendingCount: number;
  stop(options: { timeout: number }): Promise<void>;
  sync(options: { timeout: number }): Promise<void>;
  flushSync(): void;
}

const SIGNAL_FLUSH_TIMEOUT = 10_000;
const members = new Set<ExitFlushable>();

function onSignal(signal: NodeJS.Signals): void {
  const all = [...members];
  Promise.allSettled(all.map((c) => c.stop({ timeout: SIGNAL_FLUSH_TIMEOUT }))).finally(() => {
    uninstall();
    process.kill(process.pid, signal);
  });
}

function onBeforeExit(): void {
  for (const c of members) {
    if (c.pendingCount > 0) c.sync({ timeout: SIGNAL_FLUSH_TIMEOUT }).catch(() => {});
  }
}

function onExit(): void {
  for (const c of members) {
    try {
      c.flushSync();
    } catch {
      // The process is ending; there is nobody left to tell but stderr.
      process.stderr.write('larder: the last synchronous flush on exit failed\n');
    }
  }
}

function install(): void {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
}

function uninstall(): void {
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('beforeExit', onBeforeExit);
  process.off('exit', onExit);
}

export function addExitHooks(cacher: ExitFlushable): void {
  if (members.size === 0) install();
  members.add(cacher);
}

export function removeExitHooks(cacher: ExitFlushable): void {
  if (members.delete(cacher) && members.size === 0) uninstall();
}
