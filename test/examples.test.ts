// The examples/ scripts run as written (node examples/X.js, loading the package through
// require('..'), i.e. dist/ from `npm run build:ts`), with small sizes to stay fast.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import * as lc from '../lib';

const root = path.join(__dirname, '..');

beforeAll(() => {
  if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build:ts` first (npm test does)');
});

function runExample(file: string, args: string[] = []) {
  const r = spawnSync(process.execPath, [path.join(root, 'examples', file), ...args], { cwd: root, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('fit-kernel.js learns the kernel', () => {
  const r = runExample('fit-kernel.js');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const err = Number(/relative kernel error ([\d.e+-]+)/.exec(r.stdout)![1]);
  expect(err).toBeLessThan(0.05);
});

test('train-classifier.js trains and reports the test accuracy (sMNIST, tiny)', () => {
  const r = runExample('train-classifier.js', ['--train', '96', '--test', '32', '--epochs', '2', '--d-model', '16', '--layers', '1', '--device', 'cpu']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^smnist: 96 train \/ 32 test sequences of length 784/);
  const losses = [...r.stdout.matchAll(/epoch \d\/2: train loss ([\d.]+)/g)].map((m) => Number(m[1]));
  expect(losses).toHaveLength(2);
  losses.forEach((l) => expect(Number.isFinite(l)).toBe(true));
  const acc = Number(/test accuracy: ([\d.]+)% \(32 sequences/.exec(r.stdout)![1]);
  expect(acc).toBeGreaterThanOrEqual(0);
  expect(acc).toBeLessThanOrEqual(100);
});

test('train-classifier.js runs the recall task with token inputs', () => {
  const r = runExample('train-classifier.js', ['--task', 'recall', '--length', '32', '--train', '64', '--test', '32', '--epochs', '1', '--d-model', '16', '--layers', '1', '--device', 'cpu']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^recall: 64 train \/ 32 test sequences of length 32/);
  expect(r.stdout).toMatch(/test accuracy: [\d.]+%/);
});

test('train-classifier.js rejects an unknown flag', () => {
  const r = runExample('train-classifier.js', ['--nope', '1']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^Unknown option '--nope' \(flags: --task VALUE --train N /);
});

test('data-parallel.js alone: a world of one process trains and scores', () => {
  const r = runExample('data-parallel.js', ['--train', '96', '--test', '32', '--epochs', '1', '--d-model', '16', '--layers', '1']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^1 rank: 96 training digits in global batches of 32, \d+ parameters\nepoch 1\/1: train loss [\d.]+ \([\d.]+ s, all-reduce [\d.]+ s\)\ntest accuracy: [\d.]+% \(32 digits\)\n$/);
});

test('bench-fftconv.js times forward and forward+backward', () => {
  const r = runExample('bench-fftconv.js', ['--sizes', '128,1000', '--batch', '2', '--h', '4', '--reps', '3', '--warmup', '1', '--device', 'cpu', '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(rows.map((x) => x.L)).toEqual([128, 1000]);
  for (const row of rows) {
    expect(row).toMatchObject({ device: 'cpu', B: 2, H: 4 });
    expect(row.forwardMs).toBeGreaterThan(0);
    expect(row.forwardBackwardMs).toBeGreaterThan(0);
  }
  const table = runExample('bench-fftconv.js', ['--sizes', '64', '--batch', '1', '--h', '2', '--reps', '2', '--warmup', '0', '--device', 'cpu']);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/forward ms[\s\S]*\n\s+64\s/);
});

test('stream-server.js --self-test: HTTP answers equal the convolution mode', () => {
  const r = runExample('stream-server.js', ['--self-test', '--samples', '60', '--h', '4', '--d-state', '16', '--device', 'cpu']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/self-test: 2 sessions × 60 samples over HTTP on cpu; max \|step − convolution\| = \S+; reset ok; bad input -> 400: ok/);
});

test('worker-server.js --self-test: /health answers while a worker thread classifies, with the main thread\'s logits', () => {
  const r = runExample('worker-server.js', ['--self-test', '--batch', '16', '--d-model', '16', '--layers', '1']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/self-test: 16 sequences of 784 classified in a worker thread; [1-9]\d* \/health answers arrived while it ran; max \|worker − main thread\| = \S+; bad input -> 400: ok/);
});

describe('stream-server.js as a server', () => {
  const H = 3, N = 8, seed = 5;
  let child: ChildProcess;
  let port = 0;
  let stderr = '';

  beforeAll(async () => {
    child = spawn(process.execPath, [path.join(root, 'examples', 'stream-server.js'), '--port', '0', '--host', '127.0.0.1', '--h', String(H), '--d-state', String(N), '--seed', String(seed), '--device', 'cpu'], { cwd: root });
    child.stderr!.on('data', (c) => (stderr += c));
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c) => {
        out += c;
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`server exited early (${code}): ${stderr}`)));
    });
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  function request(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: route, method, headers: { 'content-type': 'application/json' } }, (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    });
  }

  test('per-session streaming, equal to the layer run on the whole sequence', async () => {
    const xs = [0.5, -1, 2, 0.25, 0, 1.5, -0.75];
    const first = await request('POST', '/step', { x: xs[0] });
    expect(first.status).toBe(200);
    const id = first.body.session;
    expect(typeof id).toBe('string');
    const answers = [first.body];
    // Another client in between must not disturb this session's state.
    const other = await request('POST', '/step', { session: 'other', x: [9, 9, 9] });
    expect(other.body).toMatchObject({ session: 'other', t: 0 });
    for (let t = 1; t < xs.length; t++) answers.push((await request('POST', '/step', { session: id, x: xs[t] })).body);
    expect(answers.map((a) => a.t)).toEqual(xs.map((_, t) => t));

    // The same layer (same seed and sizes) in convolution mode, here in the test process.
    const layer = new lc.nn.S4D(H, { dState: N, seed });
    layer.eval();
    const L = xs.length;
    const u = new Float32Array(H * L);
    for (let h = 0; h < H; h++) u.set(xs, h * L);
    const want = lc.tidy(() => lc.noGrad(() => layer.forward(lc.tensor(u, [1, H, L]))).toFloat32Array());
    layer.dispose();
    for (let t = 0; t < L; t++) {
      expect(answers[t].y).toHaveLength(H);
      for (let h = 0; h < H; h++) expect(Math.abs(answers[t].y[h] - want[h * L + t])).toBeLessThan(1e-4);
    }

    const info = await request('GET', '/info');
    expect(info.body).toMatchObject({ H, dState: N, device: 'cpu', sessions: 2 });
    const reset = await request('POST', '/reset', { session: id });
    expect(reset.body).toEqual({ session: id, reset: true });
    const restarted = await request('POST', '/step', { session: id, x: xs[0] });
    expect(restarted.body.t).toBe(0);
    restarted.body.y.forEach((v: number, h: number) => expect(v).toBeCloseTo(answers[0].y[h], 6));
  });

  test('bad requests get 4xx answers and the server keeps running', async () => {
    expect((await request('POST', '/step', { x: [1, 2] })).status).toBe(400);
    expect((await request('POST', '/step', { x: 'a' })).status).toBe(400);
    expect((await request('POST', '/step', '{not json')).status).toBe(400);
    expect((await request('POST', '/reset', { session: 'missing' })).status).toBe(404);
    expect((await request('GET', '/step')).status).toBe(405);
    expect((await request('GET', '/nope')).status).toBe(404);
    expect((await request('POST', '/step', { session: 'ok', x: 1 })).status).toBe(200);
    expect(stderr).toBe('');
  });
});
