/**
 * The `larder` command line (commander): one subcommand per file in this directory. Every
 * failure to run is one line on stderr and exit code 2; an answer that is "bad" (damage found,
 * key missing) is exit code 1. `LARDER_DEBUG=1` adds the stack trace of an unexpected error.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { LarderError } from '../core/errors.js';
import { benchCommand } from './commands/bench/bench-command.js';
import { ExitCode } from './cli-errors.js';
import { processIo, positiveIntArg, type Io } from './cli-io.js';
import { entryJson, getEntry, printValue } from './commands/get.js';
import { inspectStore, printInspection } from './commands/inspect.js';
import { listKeys } from './commands/keys.js';
import { compactStore, pruneStore } from './commands/maintain.js';
import { printVerify, verifyStore } from './commands/verify.js';

/** The package's version: package.json sits three levels up, from src/main/cli and from dist/main/cli alike. */
const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('larder')
    .description('Look into, check, repair and benchmark larder stores.')
    .version(version, '-V, --version', 'print the version of larder')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.out(s),
      writeErr: (s) => io.err(s),
      // One line, in the same form as every other failure.
      outputError: (s, write) => write(`larder: ${s.replace(/^error: /, '').trimEnd()} (see larder --help)\n`),
    });

  program
    .command('inspect')
    .description('store kind, format version, keys, live/dead bytes, disk budget and evictions, segments, oldest/newest entry, expired count')
    .argument('<dir>', 'store directory')
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: { json?: boolean }) => {
      const inspection = await inspectStore(dir);
      await io.out(`${opts.json === true ? JSON.stringify(inspection, null, 2) : printInspection(inspection)}\n`);
    });

  program
    .command('get')
    .description('print the value of one key (exit 1 if it has none)')
    .argument('<dir>', 'store directory')
    .argument('<key>', 'the key, exactly as it was set')
    .option('--json', 'print {key, value, createdAt, expiresAt, size} as JSON')
    .action(async (dir: string, key: string, opts: { json?: boolean }) => {
      const found = await getEntry(dir, key);
      if (found === undefined) {
        io.err(`larder: no value for key ${JSON.stringify(key)} in ${dir} (absent, deleted, expired or damaged)\n`);
        setExit(ExitCode.bad);
        return;
      }
      await io.out(`${opts.json === true ? entryJson(found) : printValue(found.value)}\n`);
    });

  program
    .command('keys')
    .description('list live keys, one per line (a key with control characters printed as a JSON string)')
    .argument('<dir>', 'store directory')
    .option('--prefix <p>', 'only keys starting with p', '')
    .action(async (dir: string, opts: { prefix: string }) => {
      await listKeys(dir, opts.prefix, io.out);
    });

  program
    .command('verify')
    .description('read every record and check its checksum; exit 1 if anything is bad')
    .argument('<dir>', 'store directory')
    .option('--repair', 'cut torn tails, drop damaged records (log: compacts; files: removes damaged files), then check again')
    .action(async (dir: string, opts: { repair?: boolean }) => {
      const outcome = await verifyStore(dir, opts.repair === true);
      await io.out(`${printVerify(dir, outcome)}\n`);
      if (outcome.final.problems.length > 0) setExit(ExitCode.bad);
    });

  program
    .command('compact')
    .description('rewrite live records to free the space of overwritten, deleted and expired ones (takes the lock)')
    .argument('<dir>', 'store directory')
    .action(async (dir: string) => {
      await io.out(`${await compactStore(dir)}\n`);
    });

  program
    .command('prune')
    .description('delete expired entries (takes the lock)')
    .argument('<dir>', 'store directory')
    .action(async (dir: string) => {
      await io.out(`${await pruneStore(dir)}\n`);
    });

  benchCommand(program, io);
  return program;
}

/** Runs the command line and resolves with the exit code. */
export async function run(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code: number = ExitCode.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv as string[]);
    return code;
  } catch (error) {
    return failure(error, io, process.env.LARDER_DEBUG === '1');
  }
}

function failure(error: unknown, io: Io, debug: boolean): number {
  if (error instanceof CommanderError) {
    // commander printed its message already; --help and --version are not failures.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.error;
  }
  if (error instanceof LarderError) io.err(`larder: ${error.message} (${error.code})\n`);
  else if (error instanceof TypeError || error instanceof RangeError) io.err(`larder: ${error.message}\n`);
  else io.err(`larder: ${error instanceof Error ? error.message : String(error)}\n`);
  if (debug && error instanceof Error && error.stack !== undefined) io.err(`${error.stack}\n`);
  return ExitCode.error;
}
