// The CPU thread pool: the thread count is validated (setNumThreads and LONGCONV_NUM_THREADS,
// integers 1..1024), and when the system refuses threads the pool runs with those it got —
// checked as an unprivileged user under a process limit (`ulimit -u`), where it used to hang.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as lc from '../lib';

const root = path.join(__dirname, '..');

describe('setNumThreads', () => {
  const initial = lc.getNumThreads();
  afterAll(() => lc.setNumThreads(initial));

  test.each([
    [0, RangeError, /n: expected an integer in \[1, 1024\], got 0/],
    [1025, RangeError, /got 1025/],
    [2 ** 32 + 2, RangeError, /got 4294967298/], // used to wrap to 2
    [-1, RangeError, /got -1/],
    [1.5, TypeError, /n: expected an integer in \[1, 1024\], got number 1.5/],
    ['2', TypeError, /got string 2/],
    [NaN, TypeError, /got number NaN/],
  ])('refuses %p', (n, type, message) => {
    expect(() => lc.setNumThreads(n as number)).toThrow(type);
    expect(() => lc.setNumThreads(n as number)).toThrow(message);
    expect(lc.getNumThreads()).toBe(initial);
  });

  test('accepts 1 and 1024 (the limits)', () => {
    lc.setNumThreads(1024);
    expect(lc.getNumThreads()).toBe(1024);
    lc.setNumThreads(1);
    expect(lc.getNumThreads()).toBe(1);
    lc.setNumThreads(initial);
  });
});

/** Runs `code` in a fresh node with the given environment; returns its output. */
function runNode(code: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('LONGCONV_NUM_THREADS', () => {
  const cores = Math.min(os.availableParallelism(), 1024);
  const lib = JSON.stringify(path.join(root, 'dist'));

  test.each(['abc', '0', '-3', '1.5', '2000', '4294967298', '', ' 4'])('a bad value (%p) is reported once, and the number of cores used', (value) => {
    // The main thread and a worker thread both load the library: one warning for the process.
    const r = runNode(
      `const lc = require(${lib});
       const { Worker } = require('worker_threads');
       new Worker('require(${lib.replace(/"/g, '\\"')}); ', { eval: true }).on('exit', () => console.log(lc.getNumThreads()));`,
      { LONGCONV_NUM_THREADS: value },
    );
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(String(cores));
    const warnings = r.stderr.split('\n').filter((l) => l.includes('LongconvWarning'));
    expect(warnings).toEqual([
      expect.stringContaining(`LONGCONV_NUM_THREADS='${value}' is not an integer from 1 to 1024; using ${cores} threads (the number of cores)`),
    ]);
  });

  test('a good value is used without a word', () => {
    const r = runNode(`console.log(require(${lib}).getNumThreads())`, { LONGCONV_NUM_THREADS: '3' });
    expect(r).toEqual({ status: 0, stdout: '3\n', stderr: '' });
  });
});

// Needs root to become an unprivileged user (CI runs as root); the process limit applies to
// that user's processes and threads together.
const canDropPrivileges = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
const unprivileged = 65534; // nobody

(canDropPrivileges ? describe : describe.skip)('under a process limit, as an unprivileged user', () => {
  if (!canDropPrivileges) console.log('thread-limit test skipped: needs root and setpriv to run as an unprivileged user');

  test('the pool runs with the threads it got, and the results are right', () => {
    // A copy the unprivileged user can read (the checkout may sit in root's home).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'longconv-threads-'));
    try {
      fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
      // ...with the packages it loads (those in require.cache after loading it).
      const loaded = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(root, 'dist'))}); console.log(JSON.stringify(Object.keys(require.cache)))`], { encoding: 'utf8' });
      const modules = new Set((JSON.parse(loaded.stdout) as string[]).map((f) => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter((m): m is string => !!m));
      for (const m of modules) fs.cpSync(path.join(root, 'node_modules', m), path.join(dir, 'node_modules', m), { recursive: true });
      const addon = path.join(process.env.LONGCONV_BUILD_DIR ?? path.join(root, 'build'), 'Release', 'longconv.node');
      fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
      fs.copyFileSync(addon, path.join(dir, 'build', 'Release', 'longconv.node'));
      fs.chmodSync(dir, 0o755);
      const script = path.join(dir, 'child.js');
      fs.writeFileSync(
        script,
        `const lc = require('./dist');
         const x = lc.randn([64, 3000], { seed: 5 });
         lc.setNumThreads(1);
         const serial = lc.rfft(x).toFloat32Array();
         lc.setNumThreads(64);
         const parallel = lc.rfft(x).toFloat32Array();
         const same = serial.every((v, i) => v === parallel[i]);
         console.log(JSON.stringify({ threads: lc.getNumThreads(), same }));`,
      );
      spawnSync('chmod', ['-R', 'a+rX', dir]);
      for (const limit of [12, 20, 40]) {
        const r = spawnSync(
          'setpriv',
          ['--reuid', String(unprivileged), '--regid', String(unprivileged), '--clear-groups', 'bash', '-c', `ulimit -u ${limit} && cd ${dir} && exec ${process.execPath} child.js`],
          { encoding: 'utf8', env: { ...process.env, LONGCONV_BUILD_DIR: path.join(dir, 'build') }, timeout: 60_000 },
        );
        expect([limit, r.error?.message ?? 'no timeout', r.stderr]).toEqual([limit, 'no timeout', '']); // before: hung forever
        expect(r.status).toBe(0);
        const result = JSON.parse(r.stdout);
        expect(result.same).toBe(true);
        expect(result.threads).toBeGreaterThanOrEqual(1);
        expect(result.threads).toBeLessThan(64); // the system refused some
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
