/**
 * A contender in `larder bench`: larder itself or a peer package. Peers are loaded with a
 * dynamic import when their turn comes, so a package that is not installed skips that peer
 * with a note instead of failing the run.
 */
import type { BenchValue, Workload } from './workload.js';

export interface Reader {
  get(key: string): unknown;
  close(): Promise<void>;
}

export interface Session {
  /** Writes the workload and resolves once the peer's `guarantee` holds for all of it: the measured part. */
  write(w: Workload, progress: (done: number) => void): Promise<void>;
  close(): Promise<void>;
}

export interface Peer {
  /** As the table shows it. */
  readonly name: string;
  /** What a finished write phase promises about the data, for the table's notes. */
  readonly guarantee: string;
  /** Opens an empty store in `dir` (created, empty). Not measured. */
  open(dir: string): Promise<Session>;
  /** Opens what `write` left and returns a reader; absent when nothing persists. */
  reopen?(dir: string): Promise<Reader>;
}

export class PeerMissingError extends Error {
  constructor(specifier: string) {
    super(`${specifier} is not installed (npm install --save-dev ${specifier})`);
  }
}

/** `import(specifier)`, typed by the caller; a package that is not installed is a `PeerMissingError`. */
export async function importPeer<T>(specifier: string): Promise<T> {
  try {
    // A variable specifier: peers are optional, so neither tsc nor bundlers should require them.
    const name: string = specifier;
    return (await import(name)) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') throw new PeerMissingError(specifier);
    throw error;
  }
}

/** True when `got` is the workload's value for entry `i`. */
export function isValueOf(w: Workload, i: number, got: unknown): boolean {
  const v = got as BenchValue | undefined;
  return typeof v === 'object' && v !== null && v.id === i && v.payload === w.value(i).payload;
}
