// The stages of the GPU bundle's verify.sh that run in Node (the bundle's own): parity,
// sanitizer, bench and summary. verify.sh time-boxes each one and records its exit status;
// each stage leaves its findings in the work folder as <stage>.json for the summary.
//
//   node verify.js parity|sanitizer|bench --work DIR --box SECONDS [--tools T,...] [--quick] [--dry-run]
//   node verify.js summary --work DIR --out OUTDIR [--quick] [--dry-run]
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { TestRecord } from './harness';

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
}

interface Manifest {
  /** Test files whose CUDA kernels use shared memory or warp shuffles (racecheck, synccheck). */
  sharedMemoryTests: string[];
  [key: string]: unknown;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { command: argv[0] ?? '', work: '', box: 60, quick: false, dryRun: false, tools: [] };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--work') args.work = argv[++i];
    else if (a === '--out') args.out = argv[++i];
    else if (a === '--box') args.box = Number(argv[++i]);
    else if (a === '--quick') args.quick = true;
    else if (a === '--tools') args.tools = argv[++i].split(',').filter(Boolean);
    else if (a === '--dry-run') args.dryRun = true;
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
    const cuda = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(path.join(APP, 'dist'))}).backendInfo().cuda.available)`], { encoding: 'utf8' });
    if (cuda.stdout.trim() === 'true') selfCheck(a.work, 'require mode fails without a GPU', true, 'not checked: this machine has a GPU');
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

/** compute-sanitizer from PATH or the usual CUDA install folders. */
function findSanitizer(): string | null {
  const dirs = (process.env.PATH ?? '').split(path.delimiter);
  for (const root of [process.env.CUDA_HOME, process.env.CUDA_PATH, '/usr/local/cuda']) if (root) dirs.push(path.join(root, 'bin'), path.join(root, 'compute-sanitizer'));
  try {
    for (const d of fs.readdirSync('/usr/local').filter((n) => /^cuda-\d/.test(n)).sort().reverse()) dirs.push(`/usr/local/${d}/bin`);
  } catch {
    // no /usr/local
  }
  for (const d of dirs) {
    const f = path.join(d, 'compute-sanitizer');
    if (d && fs.existsSync(f)) return f;
  }
  return null;
}

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
  const tool = a.dryRun ? null : findSanitizer();
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
      const reason = a.dryRun ? 'dry run' : 'compute-sanitizer not found (PATH, $CUDA_HOME/bin, /usr/local/cuda*/bin)';
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
  const version = tool ? spawnSync(tool, ['--version'], { encoding: 'utf8' }).stdout?.trim().split('\n').pop() : undefined;
  writeJson(path.join(a.work, 'sanitizer.json'), { sanitizer: tool, version, tools: results });
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

function summary(a: Args): number {
  if (!a.out) throw new Error('--out: expected the output folder');
  const work = a.work;
  const stages = readStages(work);
  const info = readJson<Record<string, unknown>>(path.join(work, 'info.json'));
  const parityResult = readJson<ReturnType<typeof tally> & { mode: Record<string, string> }>(path.join(work, 'parity.json'));
  const sanitizerResult = readJson<{ sanitizer: string | null; version?: string; tools: Record<string, unknown>[] }>(path.join(work, 'sanitizer.json'));
  const benchResult = readJson<{ skipped?: string; runs: { args: string[]; status: string; rows?: BenchRowJson[] }[] }>(path.join(work, 'bench.json'));
  const selfchecks = readText(path.join(work, 'selfchecks.jsonl')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { name: string; ok: boolean; detail: string });
  const environment = {
    gpu: readText(path.join(work, 'nvidia-smi.txt')) || 'none found (nvidia-smi)',
    torch: readText(path.join(work, 'torch.txt')) || 'not importable',
    libraries: readText(path.join(work, 'libraries.txt')),
  };
  // A dry run's stages are expected to end as the machinery intends (self-checks say so).
  const expectedStatus: Record<string, string> = { 'selfcheck:timebox': 'timed-out', 'selfcheck:failure': 'failed' };
  const stageOk = (s: StageLine) => (expectedStatus[s.name] ? s.status === expectedStatus[s.name] : s.status === 'passed');
  const passed = stages.filter((s) => s.name !== 'summary').every(stageOk) && selfchecks.every((c) => c.ok);
  const results = {
    verdict: passed ? 'passed' : 'failed',
    mode: a.dryRun ? 'dry-run' : a.quick ? 'quick' : 'full',
    date: new Date().toISOString(),
    bundle: manifest(),
    environment,
    info,
    stages,
    parity: parityResult,
    sanitizer: sanitizerResult,
    bench: benchResult,
    selfchecks,
  };
  fs.mkdirSync(a.out, { recursive: true });
  writeJson(path.join(a.out, 'results.json'), results);

  const md: string[] = [];
  const m = manifest();
  md.push(`# longconv GPU verification: ${results.verdict.toUpperCase()} (${results.mode})`, '');
  md.push(`${results.date}; bundle of longconv ${m.longconv ?? '?'} at ${m.commit ?? '?'} built ${m.built ?? '?'}.`, '');
  md.push('## Machine', '', `- GPU (nvidia-smi: name, driver, memory): ${environment.gpu.replace(/\n/g, '; ')}`, `- PyTorch: ${environment.torch}`);
  const cuda = (info?.backend as { cuda?: Record<string, unknown> } | undefined)?.cuda;
  md.push(`- longconv backend: ${cuda ? (cuda.available ? `CUDA on ${cuda.device} (sm ${cuda.computeCapability}), cuFFT ${cuda.cufftVersion} (${cuda.cufftPath}), cuBLAS ${cuda.cublasAvailable ? cuda.cublasPath : `unavailable: ${cuda.cublasReason}`}` : `CUDA unavailable: ${cuda.reason}`) : 'longconv info did not run'}`);
  for (const line of environment.libraries.split('\n').filter(Boolean)) md.push(`- ${line}`);
  md.push('', '## Stages', '', '| stage | status | time (s) | box (s) |', '| --- | --- | --- | --- |');
  for (const s of stages) md.push(`| ${s.name} | ${s.status}${expectedStatus[s.name] ? ` (expected ${expectedStatus[s.name]})` : ''} | ${s.seconds.toFixed(1)} | ${s.box} |`);

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

  if (selfchecks.length) {
    md.push('', '## Self-checks of the bundle', '');
    for (const c of selfchecks) md.push(`- ${c.ok ? 'ok' : '**FAILED**'}: ${c.name} (${cell(c.detail)})`);
  }
  md.push('', 'Files: summary.md (this), results.json (everything above, machine-readable), log.txt (the whole run).', '');
  fs.writeFileSync(path.join(a.out, 'summary.md'), md.join('\n'));
  process.stdout.write(`verify: wrote ${path.join(a.out, 'summary.md')} and results.json: ${results.verdict}\n`);
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
    case 'summary':
      return summary(args);
    default:
      throw new Error(`unknown command '${args.command}' (choose from parity, sanitizer, bench, summary)`);
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
