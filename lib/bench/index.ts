// `longconv bench`: kernel microbenchmarks with numpy, FFTW and PyTorch side by side, measured
// in one run. `npm run bench` (bench/run.js) calls the same code.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SingleBar } from 'cli-progress';
import * as lc from '..';
import type { Device } from '../tensor';
import { resolveDeviceFlag } from '../cli/args';
import { BenchOptions, parseBenchArgs, PEERS, PeerName, SUITES } from './options';
import { PeerAnswer, PeerProcess } from './peers';
import { BenchMeta, BenchRow, benchChart, describeRun, jsonRow, PeerCell, ResultsFile, resultsMarkdown, textTable } from './report';
import { benchCases } from './suites';
import { writeTextAtomically } from '../io/files';
import { machineBandwidth, roundPlan, roundsFor, sampleMs, summarize } from './timing';

export { parseBenchArgs, SUITES, PEERS } from './options';
export type { BenchOptions, SuiteName, PeerName } from './options';
export type { BenchRow, BenchMeta, PeerCell, PeerTimes, ResultsFile } from './report';
export { resultsMarkdown, benchChart } from './report';

/** Where a run writes: rows and tables to `out`, progress and notes to `err`. */
export interface BenchIO {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream & { isTTY?: boolean };
}

function peerCell(answer: PeerAnswer, fwdMs: number, fwdBwdMs: number): PeerCell {
  if ('skipped' in answer) return answer;
  const f = summarize(answer.fwdMs), b = summarize(answer.fwdBwdMs);
  return { fwdMs: f.median, fwdBwdMs: b.median, fwdP10: f.p10, fwdP90: f.p90, fwdBwdP10: b.p10, fwdBwdP90: b.p90, fwdRatio: f.median / fwdMs, fwdBwdRatio: b.median / fwdBwdMs };
}

/** Starts every peer at every thread count, in parallel; a peer that cannot start says why. */
async function startPeers(names: readonly PeerName[], threads: number[], python?: string) {
  const procs = new Map<string, PeerProcess>();
  const info: BenchMeta['peers'] = {};
  await Promise.all(names.flatMap((name) => threads.map(async (t) => {
    const p = await PeerProcess.start(name, t, python);
    if (p instanceof PeerProcess) {
      procs.set(`${name}/${t}`, p);
      info[name] = { version: p.info.version, python: p.info.python, ops: p.info.ops, devices: p.info.devices };
    } else if (!info[name]) info[name] = p;
  })));
  return { procs, info };
}

/**
 * Runs the suites of `opts`: each case on longconv and then on each peer, at each thread count,
 * all in this run. Prints JSON lines (--json) or a table per suite, writes --out and --svg.
 */
async function runBench(opts: BenchOptions, io: BenchIO = { out: process.stdout, err: process.stderr }): Promise<{ meta: BenchMeta; rows: BenchRow[] }> {
  const device = resolveDeviceFlag(opts.device);
  const initialThreads = lc.getNumThreads();
  const threadCounts = opts.threads ?? [initialThreads];
  const loadBefore = os.loadavg()[0];
  const cases = benchCases(opts);
  const requested = opts.peers === 'importable' ? PEERS : opts.peers;
  const { procs, info: peerInfo } = await startPeers(requested, threadCounts, opts.python);
  // Asked for by name, a missing peer is in every row with its reason; by default, it is left out.
  const peers = requested.filter((p) => opts.peers !== 'importable' || 'version' in (peerInfo[p] ?? {}));
  for (const p of requested) {
    const i = peerInfo[p];
    if (i && 'skipped' in i) io.err.write(`longconv bench: peer ${p} ${opts.peers === 'importable' ? 'left out' : 'skipped'}: ${i.skipped}\n`);
  }

  const bandwidth: BenchMeta['bandwidth'] = {};
  const bandwidthAt = (threads: number) => {
    const key = device === 'cuda' ? 'device' : `${threads} thread${threads > 1 ? 's' : ''}`;
    if (!bandwidth[key]) {
      const b = machineBandwidth(device);
      bandwidth[key] = { gbps: b.bytesPerSecond === null ? null : b.bytesPerSecond / 1e9, source: b.source };
    }
    return bandwidth[key].gbps;
  };

  const bar = io.err.isTTY ? new SingleBar({ format: 'bench [{bar}] {value}/{total} {label}', hideCursor: true, clearOnComplete: true, stream: io.err }) : null;
  bar?.start(cases.length * threadCounts.length, 0, { label: '' });
  const rows: BenchRow[] = [];
  const bySuite: ResultsFile[] = [];
  try {
    for (const suite of opts.suites) {
      const suiteRows: BenchRow[] = [];
      bySuite.push({ suite, meta: undefined as unknown as BenchMeta, rows: suiteRows });
      for (const c of cases.filter((k) => k.suite === suite)) {
        const prepared = c.prepare(device);
        try {
          for (const threads of threadCounts) {
            lc.setNumThreads(threads);
            const gbpsAvailable = bandwidthAt(threads);
            // Rounds alternate longconv and the peers (see ROUNDS); each side's samples are pooled.
            const mine = { fwd: [] as number[], fwdBwd: [] as number[] };
            const theirs = new Map<PeerName, PeerAnswer>();
            const covers = (p: PeerName) => {
              const info = procs.get(`${p}/${threads}`)?.info;
              return !info || (info.ops.includes(c.op) && info.devices.includes(device)); // else: not a peer of this row
            };
            const active = peers.filter(covers);
            for (let round = 0; round < roundsFor(opts.repeat); round++) {
              const plan = roundPlan(round, opts.repeat, opts.warmup);
              bar?.update({ label: `${c.op} L=${c.L} ${threads}t: longconv` });
              mine.fwd.push(...sampleMs(prepared.forward, device, plan));
              mine.fwdBwd.push(...sampleMs(prepared.forwardBackward, device, plan));
              for (const p of active) {
                const proc = procs.get(`${p}/${threads}`);
                const before = theirs.get(p);
                if (before && 'skipped' in before) continue;
                bar?.update({ label: `${c.op} L=${c.L} ${threads}t: ${p}` });
                const answer = proc
                  ? await proc.request({ op: c.op, device, shape: c.shape, L: c.L, ...plan })
                  : { skipped: (peerInfo[p] as { skipped: string }).skipped };
                theirs.set(p, 'skipped' in answer || !before || 'skipped' in before ? answer
                  : { fwdMs: [...before.fwdMs, ...answer.fwdMs], fwdBwdMs: [...before.fwdBwdMs, ...answer.fwdBwdMs] });
              }
            }
            const fwd = summarize(mine.fwd), fwdBwd = summarize(mine.fwdBwd);
            const cells: BenchRow['peers'] = {};
            for (const [p, answer] of theirs) cells[p] = peerCell(answer, fwd.median, fwdBwd.median);
            const gbps = prepared.bytes.fwd / (fwd.median / 1e3) / 1e9;
            const row: BenchRow = {
              op: c.op, device, shape: c.shape, L: c.L, threads, fwdMs: fwd.median, fwdBwdMs: fwdBwd.median, gbps, peers: cells,
              fwdP10: fwd.p10, fwdP90: fwd.p90, fwdBwdP10: fwdBwd.p10, fwdBwdP90: fwdBwd.p90, samples: fwd.samples,
              bytes: prepared.bytes, bandwidthFraction: gbpsAvailable === null ? null : gbps / gbpsAvailable,
            };
            suiteRows.push(row);
            if (opts.json) io.out.write(jsonRow(row) + '\n');
            bar?.increment();
          }
        } finally {
          prepared.dispose();
          lc.emptyCache();
        }
      }
      rows.push(...suiteRows);
      if (!opts.json && suiteRows.length) {
        bar?.stop();
        io.out.write(`\n${suite} (${device}; ratio = peer time / longconv time, above 1 means longconv is faster)\n${textTable(suiteRows)}\n`);
        if (suite !== opts.suites[opts.suites.length - 1]) bar?.start(cases.length * threadCounts.length, rows.length, { label: '' });
      }
    }
  } finally {
    bar?.stop();
    procs.forEach((p) => p.close());
    lc.setNumThreads(initialThreads);
  }

  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const pkg = require('../../package.json');
  const meta: BenchMeta = {
    date: new Date().toISOString(), longconv: pkg.version, node: process.versions.node,
    cpu: os.cpus()[0]?.model ?? 'unknown CPU', cores: os.cpus().length, device,
    ...(device === 'cuda' ? { gpu: lc.backendInfo().cuda.device } : {}),
    bandwidth, loadAverage: [loadBefore, os.loadavg()[0]], peers: peerInfo,
  };
  if (!opts.json) io.out.write(`\n${describeRun(meta)}\n`);
  if (opts.out) writeResults(opts.out, bySuite.map((f) => ({ ...f, meta })));
  if (opts.svg) {
    fs.mkdirSync(path.dirname(path.resolve(opts.svg)), { recursive: true });
    writeTextAtomically(opts.svg, benchChart(rows), '--svg');
  }
  return { meta, rows };
}

const RESULTS_HEADER = `# Benchmark results

Regenerated from the JSON files beside this one by \`longconv bench --out <this folder>\`
(\`npm run bench\` writes to bench/). Each table is one run: longconv and its peers measured
side by side, medians with the 10th–90th percentiles; × = peer time / longconv time (above 1:
longconv is faster). GB/s is the forward's minimum traffic over its time, % bw its share of the
machine's bandwidth (CPU: measured in the same run; CUDA: the device's peak).

`;

/** Writes <dir>/<device>-<suite>.json per suite, then <dir>/RESULTS.md from every such file there. */
function writeResults(dir: string, files: ResultsFile[]): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of files) if (f.rows.length) writeTextAtomically(path.join(dir, `${f.meta.device}-${f.suite}.json`), JSON.stringify(f, null, 1) + '\n', '--out');
  writeResultsMarkdown(dir);
}

/** Regenerates <dir>/RESULTS.md from the results files in <dir> (CPU first, suites in order). */
export function writeResultsMarkdown(dir: string): void {
  const order = (f: ResultsFile) => (f.meta.device === 'cpu' ? 0 : 100) + SUITES.indexOf(f.suite as never);
  const files = fs.readdirSync(dir)
    .filter((n) => /^(cpu|cuda)-[a-z0-9-]+\.json$/.test(n))
    .map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as ResultsFile)
    .filter((f) => Array.isArray(f.rows) && f.meta && SUITES.includes(f.suite as never))
    .sort((a, b) => order(a) - order(b));
  // The GPU verification runs (`.gpu/verify.sh` summaries, written by hand after each run) follow.
  const verification = path.join(dir, 'gpu-verification.md');
  const tail = fs.existsSync(verification) ? `\n${fs.readFileSync(verification, 'utf8')}` : '';
  writeTextAtomically(path.join(dir, 'RESULTS.md'), RESULTS_HEADER + resultsMarkdown(files) + tail, '--out');
}

/** `longconv bench ...`: returns the exit code (2 for a usage error, printed as one line). */
export async function benchCommand(argv: string[], io?: BenchIO): Promise<number> {
  const opts = parseBenchArgs(argv);
  await runBench(opts, io);
  return 0;
}
