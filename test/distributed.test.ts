// lc.distributed: a world of one process in this jest process (no launcher), and two ranks
// under each MPI launcher found here — Open MPI's mpirun and MPICH's mpiexec — running
// test/distributed_worker.js (the compiled package): exact collectives, data-parallel training
// equal to one process on the same global batch, and an error on one rank stopping both.
//
// LONGCONV_TEST_MPI selects the mode:
//   auto     (default) run the two-rank tests with the launchers found, skipping the others
//            after one printed line saying why (a machine without MPI);
//   require  a missing launcher or libmpi fails its tests instead (CI, which installs both).
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as lc from '../lib';
import { expectBadInput } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { rankData, SIZES, collectiveMismatches, maxAbsDiff, trainingDifference } = require('./distributed_worker') as {
  rankData: (k: number, r: number, n: number) => Float32Array;
  SIZES: number[];
  collectiveMismatches: (sums: number[][], broadcasts: number[][], size: number) => string[];
  maxAbsDiff: (a: number[][], b: number[][]) => number;
  trainingDifference: (ref: TrainRecord, res: TrainRecord) => { grad: number; param: number; steps: number };
};

/** What a rank of the worker's `train` modes writes: every step's gradients and parameters. */
interface TrainRecord {
  grads: number[][][];
  params: number[][][];
}

const worker = path.join(__dirname, 'distributed_worker.js');
const bin = path.join(__dirname, '..', 'bin', 'longconv.js');
const mode = process.env.LONGCONV_TEST_MPI || 'auto';
if (mode !== 'auto' && mode !== 'require') throw new RangeError(`LONGCONV_TEST_MPI: expected 'auto' or 'require', got '${mode}'`);

interface Launcher {
  name: string;
  /** The command and its arguments for two ranks, or why there is none. */
  command?: string[];
  reason?: string;
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

// The first of `commands` whose --version output matches `banner`.
function findLauncher(name: string, commands: string[], banner: RegExp, twoRanks: string[]): Launcher {
  const found = commands.filter(onPath);
  for (const cmd of found) {
    const v = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
    if (banner.test(`${v.stdout}${v.stderr}`)) return { name, command: [cmd, ...twoRanks] };
  }
  return { name, reason: found.length ? `${found.join(', ')} ${found.length > 1 ? 'are' : 'is'} not ${name}'s launcher` : `none of ${commands.join(', ')} is on PATH` };
}

const launchers: Launcher[] = [
  // Root in CI containers; more ranks than cores on small machines.
  findLauncher('Open MPI', ['mpirun.openmpi', 'mpirun'], /Open MPI|OpenRTE/, ['--allow-run-as-root', '--oversubscribe', '-np', '2']),
  findLauncher('MPICH', ['mpiexec.mpich', 'mpiexec.hydra'], /HYDRA/, ['-n', '2']),
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'longconv-distributed-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ranks: Record<string, unknown>[];
}

// Fails unless the launch's stderr matches `pattern`, with its whole account in the message:
// a launcher that loses a rank's output leaves an empty stderr, and its stdout and exit status
// tell why.
function expectStderr(r: Omit<Run, 'ranks'>, pattern: RegExp): void {
  if (!pattern.test(r.stderr)) {
    throw new Error(`stderr does not match ${pattern} (exit code ${r.code}, signal ${r.signal})\n--- stderr:\n${r.stderr}\n--- stdout:\n${r.stdout}`);
  }
}

// Runs the worker in `workerMode` under `command` (or alone, as a world of one).
function run(command: string[], workerMode: string, env: NodeJS.ProcessEnv = {}): Run {
  const out = path.join(tmp, `${workerMode}-${command.length ? path.basename(command[0]) : 'alone'}`);
  const [cmd, ...args] = command.length ? command : [process.execPath];
  const r = spawnSync(cmd, [...(command.length ? [...args, process.execPath] : args), worker, workerMode, out], {
    encoding: 'utf8', timeout: 240000, env: { ...process.env, ...env },
  });
  if (r.error) throw new Error(`${cmd} ${workerMode}: ${r.error.message} (a hang?)\n${r.stderr}`);
  const ranks = [0, 1].map((k) => `${out}.rank${k}.json`).filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ranks };
}

describe('a world of one process (no MPI launch)', () => {
  test('before init: rank() and getWorld() say to call init(); finalize() is a no-op', () => {
    expect(lc.distributed.isInitialized()).toBe(false);
    expect(() => lc.distributed.rank()).toThrow(/^distributed\.rank: not initialised \(call lc\.distributed\.init\(\) first\)$/);
    expect(() => lc.distributed.allReduce(lc.zeros([1]))).toThrow(/^distributed\.allReduce: not initialised/);
    lc.distributed.finalize();
  });

  test('init() gives rank 0 of 1 without loading MPI; collectives keep the values', () => {
    const w = lc.distributed.init();
    expect(w).toEqual({ rank: 0, size: 1, localRank: 0, localSize: 1, backend: 'none', cudaDevice: -1, cudaAware: false });
    expect(lc.distributed.init()).toBe(w);
    expect([lc.distributed.rank(), lc.distributed.size(), lc.distributed.localRank()]).toEqual([0, 1, 0]);
    lc.tidy(() => {
      const a = lc.tensor([1, -2, 3], [3]);
      expect(lc.distributed.allReduce(a, { op: 'mean' })).toBe(a);
      lc.distributed.allReduce([a], { op: 'sum' });
      lc.distributed.broadcast(a, 0);
      lc.distributed.barrier();
      const settings = { lr: 0.01 };
      expect(lc.distributed.broadcastObject(settings)).toBe(settings);
      expect(Array.from(a.toFloat32Array())).toEqual([1, -2, 3]);
    });
  });

  test('DataParallel in a world of one: the gradients are the module\'s own', () => {
    lc.tidy(() => {
      const model = new lc.nn.Linear(3, 2, { seed: 1 });
      const dp = new lc.distributed.DataParallel(model, { bucketBytes: 8 });
      const x = lc.tensor([1, 2, 3, -1, 0, 4], [2, 3]);
      dp.backward(lc.sum(model.forward(x)), { weight: 2 });
      const grads = model.parameters().map((p) => Array.from(p.grad!.toFloat32Array()));
      expect(grads).toEqual([[0, 2, 7, 0, 2, 7], [2, 2]]);
      model.parameters().forEach((p) => p.grad!.dispose());
    });
  });

  test('bad input', () => {
    const a = lc.zeros([2]);
    expectBadInput(() => lc.distributed.allReduce(a, { op: 'max' } as never), TypeError, /^allReduce options\.op: expected 'sum' or 'mean', got string max/);
    expectBadInput(() => lc.distributed.allReduce(a, { bucketBytes: 2 }), RangeError, /^allReduce options\.bucketBytes: expected an integer >= 4, got 2/);
    expectBadInput(() => lc.distributed.allReduce(a, { root: 0 } as never), TypeError, /^allReduce options: expected only the options op, bucketBytes, got unknown option 'root'/);
    expectBadInput(() => lc.distributed.allReduce([a, 3] as never), TypeError, /^tensors\[1\]: expected a Tensor, got number 3/);
    expectBadInput(() => lc.distributed.allReduce('a' as never), TypeError, /^tensors: expected a Tensor or an array of Tensors, got string a/);
    expectBadInput(() => lc.distributed.broadcast(a, 1), RangeError, /^root: expected an integer in \[0, 0\], got 1/);
    expectBadInput(() => lc.distributed.init({ backend: 'gloo' } as never), TypeError, /^init options\.backend: expected 'mpi' or 'nccl', got string gloo/);
    expect(() => lc.distributed.init({ backend: 'mpi' })).toThrow(/^distributed\.init: already initialised with backend 'none', not 'mpi'$/);
    expectBadInput(() => new lc.distributed.DataParallel({} as never), TypeError, /^module: expected an nn\.Module, got an object of class Object/);
    const model = new lc.nn.Linear(2, 1);
    expectBadInput(() => new lc.distributed.DataParallel(model, { root: 1 }), RangeError, /^DataParallel options\.root: expected an integer in \[0, 0\], got 1/);
    const dp = new lc.distributed.DataParallel(model);
    expectBadInput(() => dp.synchronize({ weight: -1 }), RangeError, /^synchronize options\.weight: expected a finite number >= 0, got -1/);
    expectBadInput(() => lc.distributed.abort('x', 0), RangeError, /^code: expected an integer in \[1, 255\], got 0/);
    model.dispose();
    a.dispose();
  });

  test('backendInfo().distributed says what MPI and NCCL were found, or why not', () => {
    const { mpi, nccl } = lc.backendInfo().distributed;
    for (const lib of [mpi, nccl]) {
      expect(typeof lib.available).toBe('boolean');
      if (lib.available) expect(typeof lib.path).toBe('string');
      else expect(lib.reason).toMatch(/not found \(tried .*; set LONGCONV_(MPI|NCCL)_PATH\)|built without CUDA support/);
    }
    if (mpi.available) {
      expect(['Open MPI', 'MPICH']).toContain(mpi.abi);
      expect(mpi.version).toMatch(/MPI|MPICH/);
    }
    if (!nccl.available) process.stdout.write(`NCCL unavailable here: ${nccl.reason}\n`);
  });
});

// Each of two ranks' 4 training steps against one process's on the same global batch: the
// averaged gradients agree to float32 rounding of their sums (1e-5 of each tensor's largest),
// and so do the parameters after each AdamW step, within 1% of a step (lr 0.01), on both ranks.
function expectSameTraining(ref: TrainRecord, ranks: TrainRecord[]): void {
  expect(ranks).toHaveLength(2);
  for (const res of ranks) {
    const d = trainingDifference(ref, res);
    expect(d.steps).toBe(4);
    expect(d.grad).toBeLessThanOrEqual(1e-5);
    expect(d.param).toBeLessThan(1e-4);
  }
  expect(ranks[1].params).toEqual(ranks[0].params);
}

// `longconv ARGS` under `command` (or alone).
function cli(command: string[], args: string[]) {
  const [cmd, ...launch] = command.length ? command : [process.execPath];
  const r = spawnSync(cmd, [...(command.length ? [...launch, process.execPath] : []), bin, ...args], { encoding: 'utf8', timeout: 240000 });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message} (a hang?)\n${r.stderr}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

// The processes (ranks) started with `arg` among their arguments. A launcher stopped by a signal
// can exit before its ranks do: a rank left running would still write into the directory that
// the next launch reads.
function processesWith(arg: string): number[] {
  return fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(arg);
    } catch {
      return false; // exited meanwhile
    }
  }).map(Number);
}

function maxAbs(a: number[][]): number {
  return Math.max(...a.map((t) => Math.max(...t.map(Math.abs))));
}

const mpiInfo = lc.backendInfo().distributed.mpi;
let noticePrinted = false;

for (const launcher of launchers) {
  const reason = launcher.reason ?? (mpiInfo.available ? undefined : `libmpi: ${mpiInfo.reason}`);
  const command = launcher.command ?? [];
  let suite: (name: string, fn: () => void) => void = describe;
  if (reason && mode === 'require') {
    suite = (name, fn) => describe(name, () => {
      beforeAll(() => {
        throw new Error(`${launcher.name}: required (LONGCONV_TEST_MPI=require) but unavailable: ${reason}`);
      });
      fn();
    });
  } else if (reason) {
    process.stdout.write(`two-rank tests under ${launcher.name} skipped: ${reason}${noticePrinted ? '' : ' (LONGCONV_TEST_MPI=require makes this a failure)'}\n`);
    noticePrinted = true;
    suite = describe.skip;
  }

  suite(`two ranks under ${launcher.name}`, () => {
    test('allReduce (sum, mean) and broadcast: packed in buckets and in place, exact', () => {
      const r = run(command, 'collectives');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.ranks).toHaveLength(2);
      r.ranks.forEach((res, rank) => {
        expect(res.world).toEqual({ rank, size: 2, localRank: rank, localSize: 2, backend: 'mpi', cudaDevice: -1, cudaAware: false });
        expect((res.info as lc.distributed.DistributedInfo).mpi.abi).toBe(launcher.name);
        const sum = res.sum as { same: boolean; values: number[][] };
        const mean = res.mean as { values: number[][] };
        expect(sum.same).toBe(true);
        expect(collectiveMismatches(sum.values, res.broadcast as number[][], 2)).toEqual([]);
        SIZES.forEach((n, k) => {
          const a = rankData(k, 0, n), b = rankData(k, 1, n);
          expect(mean.values[k]).toEqual(Array.from(a, (v, i) => Math.fround(Math.fround(v + b[i]) * 0.5)));
        });
        expect(res.badRoot).toBe('RangeError: root: expected an integer in [0, 1], got 2');
        expect(res.object).toEqual({ from: 1, text: 'ça ✓', list: [1.5, null] });
        // Two ranks share the machine's cores (or each has the cores it is bound to).
        expect(res.threads).toBeGreaterThanOrEqual(1);
        expect(res.threads).toBeLessThanOrEqual(Math.max(1, Math.floor(os.cpus().length / 2)));
      });
    });

    // Data-parallel training on 3 + 4 samples of a global batch of 7 against one process on
    // all 7 (expectSameTraining). Adam divides by sqrt(v) + 1e-8, so a component whose gradient
    // is rounding noise (~1e-9) moves by a rounding-sized fraction of a step. Averaging the
    // ranks equally, or drawing dropout masks per rank, moves parameters by whole steps.
    test('DataParallel on two ranks = one process on the global batch, step by step', () => {
      const one = run([], 'train');
      expect(one.code).toBe(0);
      const two = run(command, 'train');
      expect(two.stderr).toBe('');
      expect(two.code).toBe(0);
      const ref = one.ranks[0] as unknown as TrainRecord;
      expectSameTraining(ref, two.ranks as unknown as TrainRecord[]);
      expect(maxAbs(ref.params[0])).toBeGreaterThan(0.1);
      for (const variant of ['train-unweighted', 'train-no-offset']) {
        const off = run(command, variant);
        expect(off.code).toBe(0);
        expect(maxAbsDiff((off.ranks[0] as unknown as TrainRecord).params[0], ref.params[0])).toBeGreaterThan(5e-3);
      }
    });

    test('examples/data-parallel.js on two ranks prints what it prints alone (rank 0 only)', () => {
      const example = path.join(__dirname, '..', 'examples', 'data-parallel.js');
      const args = [example, '--train', '100', '--test', '30', '--epochs', '1', '--batch', '25', '--d-model', '8', '--layers', '1'];
      const alone = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 240000 });
      const [cmd, ...launch] = command;
      const two = spawnSync(cmd, [...launch, process.execPath, ...args], { encoding: 'utf8', timeout: 240000 });
      expect(two.stderr).toBe('');
      expect(two.status).toBe(0);
      // The same figures, to rounding: the loss to its printed digits, the accuracy to a digit.
      const figures = (out: string) => {
        const m = /^\d+ ranks?: (.*)\nepoch 1\/1: train loss ([\d.]+) .*\ntest accuracy: ([\d.]+)% \(30 digits\)\n$/.exec(out);
        if (!m) throw new Error(`unexpected output:\n${out}`);
        return { header: m[1], loss: Number(m[2]), accuracy: Number(m[3]) };
      };
      expect(two.stdout).toMatch(/^2 ranks: /);
      const a = figures(alone.stdout), b = figures(two.stdout);
      expect(b.header).toBe(a.header);
      expect(Math.abs(b.loss - a.loss)).toBeLessThanOrEqual(1e-4);
      expect(Math.abs(b.accuracy - a.accuracy)).toBeLessThanOrEqual(100 / 30 + 1e-9);
    });

    test('examples/allreduce-time.js times the gradient all-reduce', () => {
      const [cmd, ...launch] = command;
      const example = path.join(__dirname, '..', 'examples', 'allreduce-time.js');
      const r = spawnSync(cmd, [...launch, process.execPath, example, '--d-model', '8', '--layers', '1', '--d-state', '4', '--repeat', '3'], { encoding: 'utf8', timeout: 240000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^2 ranks \(mpi\): all-reduce of \d+ gradients, \d+ floats \([\d.]+ MiB\): median [\d.]+ ms, fastest [\d.]+ ms \(3 runs\)\n$/);
    });

    test("the README's training loop runs as written", () => {
      const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
      const at = readme.indexOf('`lc.distributed` in a training loop');
      const block = /```js\n([\s\S]*?)```/.exec(readme.slice(at))![1];
      const file = path.join(tmp, 'readme-train.js');
      fs.writeFileSync(file, block.replace("require('longconv')", `require(${JSON.stringify(path.join(__dirname, '..'))})`));
      const [cmd, ...launch] = command;
      const r = spawnSync(cmd, [...launch, process.execPath, file], { encoding: 'utf8', timeout: 240000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^step 10: loss of rank 0's share [\d.]+\nstep 20: loss of rank 0's share [\d.]+\n$/);
    });

    // `longconv train` on two ranks: 3 steps of 25 sequences (13 + 12 per rank) with dropout, as
    // the library test above: the same weights as one process, to a fraction of a step.
    test('longconv train: two ranks = one process; rank 0 alone prints and writes', () => {
      const args = ['train', '--task', 'smnist', '--model', 's4d', '--epochs', '1', '--d-model', '16', '--layers', '1', '--batch', '25',
        '--train-limit', '75', '--val-limit', '30', '--test-limit', '30', '--dropout', '0.2', '--seed', '4', '--json'];
      const one = cli([], [...args, '--out', path.join(tmp, 'cli-one')]);
      const two = cli(command, [...args, '--out', path.join(tmp, 'cli-two')]);
      expect(two.stderr).toBe('');
      expect(two.code).toBe(0);
      const events = jsonLines(two.stdout);
      expect(events.map((e) => e.event)).toEqual(['start', 'epoch', 'done']); // once: rank 0's
      expect(events[0]).toMatchObject({ ranks: 2, backend: 'mpi', trainSize: 75 });
      expect(events[1].allReduceSeconds).toBeGreaterThan(0);
      const ref = jsonLines(one.stdout);
      expect(events[1].trainLoss as number).toBeCloseTo(ref[1].trainLoss as number, 5);
      expect(events[2].testAccuracy).toBe(ref[2].testAccuracy);
      const weights = (dir: string) => lc.tidy(() => Object.values(lc.io.loadTensors(path.join(tmp, dir, 'last.safetensors')).tensors).map((t) => Array.from(t.toFloat32Array())));
      expect(maxAbsDiff(weights('cli-two'), weights('cli-one'))).toBeLessThan(1e-4);
      // The same files (the optimizer file's name carries an id of its contents: lib/io/checkpoint.ts).
      const files = (dir: string) => fs.readdirSync(path.join(tmp, dir)).map((f) => f.replace(/\.optim\.[0-9a-f]+\./, '.optim.<id>.')).sort();
      expect(files('cli-two')).toEqual(files('cli-one'));
      // eval of the run, on two ranks: each scores half the test split.
      const evalArgs = ['eval', '--checkpoint', path.join(tmp, 'cli-two'), '--test-limit', '30', '--json'];
      const [a, b] = [cli([], evalArgs), cli(command, evalArgs)].map((r) => jsonLines(r.stdout));
      expect(b).toHaveLength(1);
      expect(b[0].testLoss as number).toBeCloseTo(a[0].testLoss as number, 5);
      expect(b[0].testAccuracy).toBe(a[0].testAccuracy);
    });

    test('longconv train --resume on two ranks, from a checkpoint within an epoch, repeats the run', async () => {
      // 80 steps an epoch, a checkpoint every 2: the launch is stopped well before the first
      // epoch's end, and may be stopped inside a save, which must leave the previous complete
      // checkpoint or the new one (lib/io/checkpoint.ts).
      const args = ['train', '--task', 'smnist', '--model', 's4d', '--epochs', '2', '--d-model', '8', '--layers', '1', '--batch', '4',
        '--train-limit', '320', '--val-limit', '16', '--test-limit', '16', '--dropout', '0.2', '--checkpoint-every', '2', '--json'];
      const straight = path.join(tmp, `resume-straight-${launcher.name}`), split = path.join(tmp, `resume-split-${launcher.name}`);
      expect(cli(command, [...args, '--out', straight]).code).toBe(0);
      // Stop the launch once rank 0 committed its first checkpoint (mid-epoch 1), then resume it.
      // The commit is last.safetensors itself (io.save writes the optimizer file first, then the
      // weights naming it); it is watched rather than the checkpoint event, which the launcher
      // forwards late.
      await new Promise<void>((resolve) => {
        const [cmd, ...launch] = command;
        const child = spawn(cmd, [...launch, process.execPath, bin, ...args, '--out', split], { stdio: 'ignore' });
        const poll = setInterval(() => {
          if (fs.existsSync(path.join(split, 'last.safetensors'))) child.kill('SIGTERM');
        }, 5);
        child.on('exit', () => {
          clearInterval(poll);
          // Ranks still running after their launcher are killed (at any moment, like the stop
          // itself) and waited for.
          const gone = setInterval(() => {
            const left = processesWith(split);
            for (const pid of left) {
              try {
                process.kill(pid, 'SIGKILL');
              } catch {
                // exited meanwhile
              }
            }
            if (left.length === 0) {
              clearInterval(gone);
              resolve();
            }
          }, 5);
        });
      });
      expect(fs.readFileSync(path.join(split, 'metrics.jsonl'), 'utf8').trim().split('\n').filter(Boolean).length).toBeLessThan(2);
      const resumed = cli(command, ['train', '--resume', split, '--json']);
      expect(resumed.stderr).toBe('');
      expect(resumed.code).toBe(0);
      const strip = (dir: string) => fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
        const { seconds, sequencesPerSecond, allReduceSeconds, ...rest } = JSON.parse(l);
        return { ...rest, timed: seconds > 0 && sequencesPerSecond > 0 && allReduceSeconds > 0 };
      });
      expect(strip(split)).toEqual(strip(straight));
      expect(fs.readFileSync(path.join(split, 'last.safetensors'))).toEqual(fs.readFileSync(path.join(straight, 'last.safetensors')));
    });

    // MPMD: rank 1 alone asks for --device cuda, which this machine lacks, while rank 0 waits
    // for it in a collective (on a GPU machine this error does not arise).
    (lc.backendInfo().cuda.available ? test.skip : test)('longconv train: an error on one rank stops both with its message', () => {
      const args = ['train', '--task', 'smnist', '--model', 's4d', '--epochs', '1', '--d-model', '8', '--layers', '1', '--train-limit', '32', '--json', '--out', path.join(tmp, 'cli-fail')];
      const [cmd, ...launch] = command;
      const oneRank = launch.slice(0, -1).concat('1'); // the launcher's flags, with 1 rank
      const r = spawnSync(cmd, [...oneRank, process.execPath, bin, ...args, ':', ...oneRank.filter((a) => !a.startsWith('--')), process.execPath, bin, ...args, '--device', 'cuda'],
        { encoding: 'utf8', timeout: 240000 });
      expect(r.error).toBeUndefined();
      expect(r.status).not.toBe(0);
      expectStderr({ code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }, /^longconv: rank 1\/2: --device cuda: CUDA is not available/m);
      expect(r.stdout).toBe('');
    });

    test('an error on one rank stops both, with its message, never a hang', () => {
      const r = run(command, 'fail');
      expect(r.code).not.toBe(0);
      expectStderr(r, /^rank 1\/2: Error: deliberate failure on rank 1\n/m);
      expect(r.stderr).toMatch(/distributed_worker\.js:\d+/); // its stack
      expect(r.ranks).toHaveLength(0);
    });

    test('DataParallel stops every rank when their modules differ, naming the difference', () => {
      const r = run(command, 'mismatch');
      expect(r.code).not.toBe(0);
      expectStderr(r, /rank 1\/2: Error: DataParallel: this rank's module differs from rank 0's: encoder\.weight\[6,1\] here, encoder\.weight\[8,1\] there/);
      expect(r.ranks).toHaveLength(0);
    });
  });
}

// CUDA tensors: through host copies over MPI, and through NCCL (one GPU per rank).
const cuda = lc.backendInfo().cuda;
const nccl = lc.backendInfo().distributed.nccl;
const openMpi = launchers[0];
for (const [backend, why] of [['mpi', cuda.available ? undefined : `CUDA: ${cuda.reason}`], ['nccl', !cuda.available ? `CUDA: ${cuda.reason}` : nccl.available ? undefined : `NCCL: ${nccl.reason}`]] as const) {
  const reason = why ?? openMpi.reason;
  if (reason) process.stdout.write(`two-rank CUDA tests over ${backend} skipped: ${reason}\n`);
  (reason ? describe.skip : describe)(`two ranks, CUDA tensors over ${backend}`, () => {
    test('allReduce and broadcast: the same sums as on the CPU', () => {
      const r = run(openMpi.command ?? [], `cuda-${backend}`);
      expect(r.code).toBe(0);
      expect(r.ranks).toHaveLength(2);
      r.ranks.forEach((res) => {
        expect((res.world as lc.distributed.World).backend).toBe(backend);
        expect(collectiveMismatches(res.sum as number[][], res.broadcast as number[][], 2)).toEqual([]);
      });
    });

    if (backend === 'mpi') {
      test('DataParallel with CUDA tensors: two ranks = one process on the global batch, step by step', () => {
        const one = run([], 'train-cuda');
        expect(one.code).toBe(0);
        const two = run(openMpi.command ?? [], 'train-cuda');
        expect(two.stderr).toBe('');
        expect(two.code).toBe(0);
        expectSameTraining(one.ranks[0] as unknown as TrainRecord, two.ranks as unknown as TrainRecord[]);
      });
    }
  });
}

// Where NCCL cannot start (no GPU or no libnccl here), init({backend: 'nccl'}) fails on every
// rank alike (the ranks agree on it), with a named error: never a hang in a later collective.
const ncclStarts = cuda.available && nccl.available;
(ncclStarts || openMpi.reason ? describe.skip : describe)('two ranks, NCCL unavailable', () => {
  test("init({backend: 'nccl'}) stops every rank with the named reason", () => {
    const r = run(openMpi.command!, 'cuda-nccl');
    expect(r.code).not.toBe(0);
    expect(r.ranks).toHaveLength(0);
    // A rank that aborts first may end the other before it prints: at least one says why.
    expect(r.stderr).toMatch(/^rank [01]\/2: Error: longconv native: NCCL (could not start: |is not available: built without CUDA)/m);
  });
});
