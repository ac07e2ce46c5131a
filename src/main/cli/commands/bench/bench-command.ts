/** `larder bench`: the side-by-side harness as a subcommand, with a progress bar on stderr. */
import { readdirSync, rmSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { Option, type Command } from 'commander';
import { UsageError } from '../../cli-errors.js';
import { detectStore } from '../../store-dir.js';
import { positiveIntArg, type Io } from '../../cli-io.js';
import { runBench } from './harness.js';
import { peers } from './peers.js';
import { machine, renderJson, renderMarkdown, renderText } from './report.js';
import { unlessMissing } from '../../../../shared/fs/unless-missing.js';

interface BenchFlags {
  entries: number;
  valueSize: number;
  peers: string;
  store: 'log' | 'files';
  dir?: string;
  replace?: boolean;
  json?: boolean;
  markdown?: boolean;
}

function parsePeers(list: string): string[] {
  if (list === '' || list === 'none') return [];
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const name of names) {
    if (!peers.has(name)) throw new UsageError(`unknown peer ${JSON.stringify(name)}; known: ${[...peers.keys()].join(', ')}`);
  }
  return [...new Set(names)];
}

/** `--dir` must be new or empty; with `--replace` it may hold a larder store, which is removed first. */
function prepareDir(dir: string, replace: boolean): void {
  const names = unlessMissing(() => readdirSync(dir), []);
  if (names.length === 0) return;
  detectStore(dir); // throws for anything but a larder store
  if (!replace) throw new UsageError(`${dir} already holds a larder store; pass --replace to overwrite it, or choose another --dir`);
  rmSync(dir, { recursive: true, force: true });
}

export function benchCommand(program: Command, io: Io): void {
  program
    .command('bench')
    .description('durable write-behind workload through larder and its peers, side by side in one run')
    .option('--entries <n>', 'entries to write', positiveIntArg, 20_000)
    .option('--value-size <bytes>', 'approximate size of each value', positiveIntArg, 1024)
    .option('--peers <list>', 'comma-separated peers, or "none"', [...peers.keys()].join(','))
    .addOption(new Option('--store <kind>', "larder's store").choices(['log', 'files']).default('log'))
    .option('--dir <dir>', "write larder's store here and keep it (for larder verify); default: a temporary directory")
    .option('--replace', 'let --dir hold a larder store from an earlier run; it is removed first')
    .option('--json', 'print the results as JSON')
    .option('--markdown', 'print the table as markdown')
    .action(async (flags: BenchFlags) => {
      const peerNames = parsePeers(flags.peers);
      if (flags.dir !== undefined) prepareDir(flags.dir, flags.replace === true);
      const tty = process.stderr.isTTY === true;
      const bar = new cliProgress.SingleBar(
        { format: '{name} [{bar}] {percentage}% | {value}/{total}', stream: process.stderr, hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      );
      const result = await runBench({
        entries: flags.entries,
        valueSize: flags.valueSize,
        store: flags.store,
        peers: peerNames,
        larderDir: flags.dir,
        onStart(name, total) {
          if (!tty) {
            io.err(`larder bench: ${name}\n`);
            return () => {};
          }
          bar.start(total, 0, { name: name.padEnd(24) });
          return (done) => bar.update(done);
        },
        onDone() {
          if (tty) bar.stop();
        },
      });
      const m = machine();
      const text = flags.json === true ? renderJson(result, m, process.argv.slice(2)) : flags.markdown === true ? renderMarkdown(result, m) : renderText(result, m);
      await io.out(`${text}\n`);
      if (flags.dir !== undefined) await io.out(flags.json === true ? '' : `larder's store kept at ${flags.dir}\n`);
    });
}
