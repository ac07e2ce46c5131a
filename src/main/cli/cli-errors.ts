/**
 * What the `larder` command reports as a one-line message and exit code 2: the directory is
 * missing, is not a larder store, or the command line is wrong. Failures found *in* a store
 * (a damaged record) are results, not errors: `verify` exits 1 for those.
 */
import { LarderError, registerError } from '../core/errors.js';

export class StoreDirError extends LarderError {
  readonly dir: string;
  constructor(code: 'ERR_STORE_MISSING' | 'ERR_STORE_FOREIGN', dir: string, message: string) {
    super(code, message);
    this.dir = dir;
  }
}

/** A command-line value that is out of range or malformed (commander reports the rest itself). */
export class UsageError extends LarderError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

/** Exit codes of every command: 0 done, 1 the answer is "bad" (damage found, key missing), 2 cannot run. */
export const ExitCode = { ok: 0, bad: 1, error: 2 } as const;

registerError(StoreDirError, UsageError);
