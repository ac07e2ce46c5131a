/**
 * Where the commands write (a seam tests replace) and the argument parsers they share; its own
 * file so that the program and its commands do not import each other.
 */
import { InvalidArgumentError } from 'commander';

export interface Io {
  out(text: string): Promise<void>;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) =>
    new Promise((resolve, reject) => {
      process.stdout.write(text, (error) => (error ? reject(error) : resolve()));
    }),
  err: (text) => {
    process.stderr.write(text);
  },
};

/** A positive integer option value (commander passes strings). */
export function positiveIntArg(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`must be a positive integer, received ${JSON.stringify(value)}`);
  return n;
}
