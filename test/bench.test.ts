// `longconv bench` end to end on tiny sizes (the compiled bin/ and dist/): rows, the JSON row
// shape, the chart, --out, peers through the subprocess protocol (a fake interpreter, since CI
// has no numpy/PyTorch; the real peers too where python3 can import numpy), and bad flags.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { XMLValidator } from 'fast-xml-parser';
import { summarize } from '../lib/bench/timing';
import { PEER_SCRIPT } from '../lib/bench/peers';

const bin = path.join(__dirname, '..', 'bin', 'longconv.js');
const fakePython = path.join(__dirname, 'fake_python_peer.js');
const tiny = ['--sizes', '64,128', '--batch', '1', '--heads', '2', '--state', '4', '--repeat', '2', '--warmup', '0'];

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, 'bench', ...args], { encoding: 'utf8', env: { ...process.env, LONGCONV_PYTHON: '', ...env }, timeout: 300000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const jsonLines = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'longconv-bench-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('summarize: median and 10th/90th percentiles between order statistics', () => {
  expect(summarize([5, 1, 3, 2, 4])).toEqual({ median: 3, p10: 1.4, p90: 4.6, samples: 5 });
  expect(summarize([2, 1])).toEqual({ median: 1.5, p10: 1.1, p90: 1.9, samples: 2 });
  expect(() => summarize([])).toThrow(RangeError);
});

test('every suite runs on tiny sizes: one JSON row per case with the documented keys', () => {
  const r = run(['all', ...tiny, '--sizes', '64', '--peers', 'none', '--json']);
  expect(r.code).toBe(0);
  const rows = jsonLines(r.stdout);
  expect(rows.map((row) => row.op)).toEqual([
    'fftconv', 'rfft', 'cauchy', 'vandermonde', 's4d-kernel', 's4-kernel', 'sgconv-kernel', 'multires',
    'layer:s4d', 'layer:s4', 'layer:sgconv', 'layer:multires', 'train-step',
  ]);
  for (const row of rows) {
    expect(Object.keys(row).slice(0, 9)).toEqual(['op', 'device', 'shape', 'L', 'threads', 'fwdMs', 'fwdBwdMs', 'gbps', 'peers']);
    expect(row).toMatchObject({ device: 'cpu', L: 64, peers: {}, samples: 2 });
    expect(row.shape.H).toBe(2);
    for (const key of ['fwdMs', 'fwdBwdMs', 'gbps', 'fwdP10', 'fwdP90', 'fwdBwdP10', 'fwdBwdP90', 'bandwidthFraction']) {
      expect(row[key]).toBeGreaterThan(0);
    }
    expect(row.fwdP10).toBeLessThanOrEqual(row.fwdMs);
    expect(row.fwdP90).toBeGreaterThanOrEqual(row.fwdMs);
    expect(row.bytes.fwdBwd).toBeGreaterThan(row.bytes.fwd);
  }
});

test('the table, with a peer through the subprocess protocol and a missing one named in each row', () => {
  const r = run(['fftconv', 'rfft', ...tiny, '--threads', '1,2', '--peers', 'all', '--python', fakePython]);
  expect(r.code).toBe(0);
  const lines = r.stdout.split('\n');
  const header = lines.find((l) => l.startsWith('op '))!;
  expect(header).toMatch(/fwd ms \(p10–p90\).*GB\/s.*numpy fwd.*fftw fwd.*torch fwd/);
  // fftconv and rfft at 2 lengths and 2 thread counts
  expect(lines.filter((l) => /^fftconv +cpu +B=1 H=2 +(64|128) +[12] /.test(l))).toHaveLength(4);
  expect(lines.filter((l) => /^rfft +cpu +B=1 H=2 +(64|128) +[12] /.test(l))).toHaveLength(4);
  expect(r.stdout).toMatch(/fftw: .*fake python cannot import pyfftw/);
  expect(r.stdout).toMatch(/torch: fake torch failed on rfft at L=64/);
  expect(r.stdout).toMatch(/load average [\d.]+ before, [\d.]+ after/);
  expect(r.stderr).toMatch(/peer fftw skipped: .*cannot import pyfftw/);
});

test('JSON rows carry each peer\'s timings and ratio, or why it was skipped', () => {
  const r = run(['fftconv', 'rfft', ...tiny, '--sizes', '64', '--peers', 'all', '--python', fakePython, '--json']);
  expect(r.code).toBe(0);
  const [conv, rfft] = jsonLines(r.stdout);
  expect(conv.peers.numpy).toMatchObject({ fwdMs: 1000, fwdBwdMs: 2000, fwdP10: 1000, fwdP90: 1000 });
  expect(conv.peers.numpy.fwdRatio).toBeCloseTo(1000 / conv.fwdMs, 6);
  expect(conv.peers.numpy.fwdBwdRatio).toBeCloseTo(2000 / conv.fwdBwdMs, 6);
  expect(conv.peers.torch).toMatchObject({ fwdMs: 5000, fwdBwdMs: 10000 });
  expect(conv.peers.fftw.skipped).toMatch(/fake_python_peer\.js: fake python cannot import pyfftw/);
  expect(rfft.peers.torch).toEqual({ skipped: 'fake torch failed on rfft at L=64' });
});

test('by default only the importable peers run; ops a peer lacks have no cell', () => {
  const r = run(['fftconv', 'cauchy', ...tiny, '--sizes', '64', '--python', fakePython, '--json']);
  expect(r.code).toBe(0);
  const [conv, cauchy] = jsonLines(r.stdout);
  expect(Object.keys(conv.peers).sort()).toEqual(['numpy', 'torch']);
  expect(cauchy.peers).toEqual({});
  expect(r.stderr).toMatch(/peer fftw left out: .*pyfftw/);
});

test('a peer whose interpreter is missing is reported, not fatal', () => {
  const r = run(['fftconv', ...tiny, '--sizes', '64', '--peers', 'numpy,torch', '--python', path.join(tmp, 'no-such-python'), '--json']);
  expect(r.code).toBe(0);
  const [row] = jsonLines(r.stdout);
  expect(row.peers.numpy.skipped).toMatch(/no-such-python: not found/);
  expect(row.peers.torch.skipped).toMatch(/no-such-python: not found/);
  expect(row.fwdMs).toBeGreaterThan(0);
});

test('--svg: a well-formed log-log chart with one path per implementation; --out: JSON and RESULTS.md', () => {
  const svg = path.join(tmp, 'chart', 'bench.svg');
  const out = path.join(tmp, 'out');
  const r = run(['fftconv', ...tiny, '--peers', 'numpy,torch,fftw', '--python', fakePython, '--svg', svg, '--out', out]);
  expect(r.code).toBe(0);
  const text = fs.readFileSync(svg, 'utf8');
  expect(XMLValidator.validate(text)).toBe(true);
  expect(text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  const paths = [...text.matchAll(/<path class="series"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]);
  expect(paths.sort()).toEqual(['longconv cpu', 'numpy cpu', 'torch cpu']); // fftw could not run: no line
  expect(text.match(/<path/g)).toHaveLength(3);
  expect(text).toMatch(/>forward\+backward ms</);
  expect(text).toMatch(/>L</);

  const file = JSON.parse(fs.readFileSync(path.join(out, 'cpu-fftconv.json'), 'utf8'));
  expect(file.suite).toBe('fftconv');
  expect(file.rows).toHaveLength(2);
  expect(file.meta).toMatchObject({ device: 'cpu', peers: { numpy: { version: 'fake-1.0' }, fftw: { skipped: expect.any(String) } } });
  const md = fs.readFileSync(path.join(out, 'RESULTS.md'), 'utf8');
  expect(md).toMatch(/### fftconv — cpu/);
  expect(md).toMatch(/\| fftconv \| cpu \| B=1 H=2 \| 64 \|/);
});

describe('bad flags exit 2 with one line', () => {
  const cases: [string[], RegExp][] = [
    [['fftconv', '--sizes', '1024,abc'], /--sizes: expected an integer ≥ 2, got 'abc'/],
    [['fftconv', '--sizes', '64,64'], /--sizes: expected distinct integers/],
    [['nosuch'], /unknown suite 'nosuch' \(choose from fftconv, rfft, .*, all\)/],
    [['--peers', 'matlab'], /unknown peer 'matlab' \(choose from numpy, fftw, torch, all, none\)/],
    [['--peers', 'all,numpy'], /--peers: 'all' stands alone/],
    [['--device', 'tpu'], /unknown device 'tpu' \(choose from cpu, cuda, auto\)/],
    [['--state', '5'], /--state: expected an even state size/],
    [['--threads', '0'], /--threads: expected an integer ≥ 1, got '0'/],
    [['--repeat'], /--repeat/],
    [['--bogus'], /Unknown option '--bogus'.*valid flags for bench/],
    [['--out', ''], /--out: expected a path/],
  ];
  for (const [args, message] of cases) {
    test(args.join(' '), () => {
      const r = run(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  }

  const cudaAvailable = require('../lib').backendInfo().cuda.available;
  (cudaAvailable ? test.skip : test)('--device cuda without CUDA', () => {
    const r = run(['fftconv', '--device', 'cuda']);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--device cuda: CUDA is not available/);
  });
});

// The real peer server where this machine can run it (CI has python3 without numpy at most).
const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0);
(python ? test : test.skip)(`the numpy peer through python/bench_peer.py (${python ?? 'no python3 with numpy here'})`, () => {
  expect(fs.existsSync(PEER_SCRIPT)).toBe(true);
  const r = run(['fftconv', 'cauchy', 'vandermonde', 'rfft', ...tiny, '--sizes', '64', '--peers', 'numpy', '--python', python!, '--json']);
  expect(r.code).toBe(0);
  for (const row of jsonLines(r.stdout)) {
    expect(row.peers.numpy.fwdMs).toBeGreaterThan(0);
    expect(row.peers.numpy.fwdBwdMs).toBeGreaterThan(0);
  }
});
if (!python) console.log('bench.test.ts: no python3 with numpy here, the real numpy peer is not run');

test('python/bench_peer.py answers an unknown peer with a skip, as JSON', () => {
  const r = spawnSync('python3', [PEER_SCRIPT, 'matlab'], { encoding: 'utf8' });
  if (r.error) {
    console.log(`bench.test.ts: no python3 here (${r.error.message}); bench_peer.py not run`);
    return;
  }
  expect(JSON.parse(r.stdout)).toEqual({ ready: false, skipped: "unknown peer 'matlab' (choose from numpy, fftw, torch)" });
});
