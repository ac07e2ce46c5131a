/**
 * The process `larder bench` runs each contender in (harness.ts forks one per contender, with the
 * parent's Node flags). In one shared process the contender that ran first paid for growing the
 * heap, the later ones inherited it grown, along with compiled shared code and the RSS earlier
 * contenders left: the same store measured 64–98k entries/s as the first contender of a process
 * and up to 183k as the fourth. Here every contender starts alike.
 *
 * The job comes as the first argument (JSON); what happens comes back over the IPC channel.
 */
import { larderPeer } from './larder-peer.js';
import { PeerMissingError, type Peer } from './peer.js';
import { peers } from './peers.js';
import { runContender, type ContenderResult } from './run-contender.js';
import { makeWorkload } from './workload.js';

export interface ContenderJob {
  /** `larder`, or a name from peers.ts. */
  contender: string;
  store: 'log' | 'files';
  dir: string;
  entries: number;
  valueSize: number;
}

export type ContenderMessage =
  | { kind: 'started'; name: string }
  | { kind: 'progress'; done: number }
  | { kind: 'result'; result: ContenderResult }
  | { kind: 'skipped'; name: string; reason: string }
  | { kind: 'failed'; message: string };

/** Progress messages per contender at most: the channel's writes are on the measured thread. */
const PROGRESS_STEPS = 20;

function send(message: ContenderMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) throw new Error('contender-process.ts runs as a child of larder bench (an IPC channel is needed)');
    process.send(message, undefined, {}, () => resolve());
  });
}

async function run(job: ContenderJob): Promise<ContenderMessage> {
  const peer: Peer | undefined = job.contender === 'larder' ? larderPeer(job.store) : peers.get(job.contender);
  if (peer === undefined) return { kind: 'failed', message: `unknown contender ${JSON.stringify(job.contender)}` };
  const step = Math.max(1, Math.ceil(job.entries / PROGRESS_STEPS));
  let reported = 0;
  try {
    const result = await runContender(
      peer,
      job.dir,
      makeWorkload(job.entries, job.valueSize),
      () => void send({ kind: 'started', name: peer.name }),
      (done) => {
        if (done - reported < step && done < job.entries) return;
        reported = done;
        void send({ kind: 'progress', done });
      },
    );
    return { kind: 'result', result };
  } catch (error) {
    if (error instanceof PeerMissingError) return { kind: 'skipped', name: peer.name, reason: error.message };
    return { kind: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
}

// node-persist's write-queue timer is unref'd, and the IPC channel holds nothing open: with
// nothing else pending, this process would end (exit code 13) with the run's promises unsettled.
setInterval(() => {}, 60_000);
const message = await run(JSON.parse(process.argv[2] ?? '{}') as ContenderJob);
await send(message);
// Some peers leave timers or threads behind; the answer is sent, so nothing here is still needed.
process.exit(0);
