// The `longconv` CLI end to end, as a user runs it (the compiled bin/ and dist/).
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as lc from '../lib';

const bin = path.join(__dirname, '..', 'bin', 'longconv.js');
const tiny = ['--d-model', '16', '--layers', '1', '--batch', '32', '--train-limit', '192', '--test-limit', '64'];

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'longconv-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('longconv train', () => {
  for (const model of ['s4d', 's4', 'sgconv', 'multires']) {
    test(`${model} on smnist: files, JSON lines, falling loss`, () => {
      const out = path.join(tmp, `smnist-${model}`);
      const r = run(['train', '--task', 'smnist', '--model', model, '--epochs', '2', ...tiny, '--out', out, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = jsonLines(r.stdout);
      expect(lines[0]).toMatchObject({ event: 'start', task: 'smnist', model, device: 'cpu', trainSize: 192, testSize: 64 });
      const epochs = lines.filter((l) => l.event === 'epoch');
      expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
      expect(epochs[1].trainLoss as number).toBeLessThan(epochs[0].trainLoss as number);
      const done = lines[lines.length - 1];
      expect(Object.keys(done)).toEqual(expect.arrayContaining(['event', 'task', 'model', 'testAccuracy', 'seconds']));
      expect(done).toMatchObject({ event: 'done', task: 'smnist', model });
      for (const f of ['config.json', 'metrics.jsonl', 'best.safetensors', 'last.safetensors', 'curves.svg']) {
        expect(fs.existsSync(path.join(out, f))).toBe(true);
      }
      // One optimizer file, the last save's; no temporary files.
      const optimizerFile = lc.io.optimizerPath(path.join(out, 'last.safetensors'))!;
      expect(fs.readdirSync(out).filter((f) => f.includes('.optim.') || f.endsWith('.tmp'))).toEqual([path.basename(optimizerFile)]);
      expect(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
      expect(fs.readFileSync(path.join(out, 'curves.svg'), 'utf8')).toMatch(/^<svg[\s\S]*accuracy[\s\S]*<\/svg>\n$/);
      // eval reads the run back.
      const e = run(['eval', '--checkpoint', out, '--test-limit', '64', '--json']);
      expect(e.code).toBe(0);
      expect(jsonLines(e.stdout)[0]).toMatchObject({ event: 'eval', task: 'smnist', model, testSize: 64 });
    });
  }

  for (const task of ['listops', 'copy', 'recall', 'psmnist']) {
    test(`${task} runs`, () => {
      const r = run(['train', '--task', task, '--model', 's4d', '--epochs', '1', ...tiny, '--length', '64', '--out', path.join(tmp, task), '--json']);
      expect(r.code).toBe(0);
      const done = jsonLines(r.stdout).pop()!;
      expect(done).toMatchObject({ event: 'done', task });
      expect(done.testAccuracy as number).toBeGreaterThanOrEqual(0);
    });
  }

  test('--resume after an interruption gives the same result as an uninterrupted run', async () => {
    const straight = path.join(tmp, 'straight');
    const split = path.join(tmp, 'split');
    const args = ['train', '--task', 'smnist', '--model', 's4d', '--dropout', '0.2', '--seed', '3', '--epochs', '3', ...tiny, '--json'];
    expect(run([...args, '--out', straight]).code).toBe(0);
    // Interrupt the second run once its first epoch is reported (it may get further: resume
    // starts after whatever epoch its last checkpoint holds).
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, [bin, ...args, '--out', split]);
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('"event":"epoch"')) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    expect(fs.readFileSync(path.join(split, 'metrics.jsonl'), 'utf8').trim().split('\n').length).toBeLessThan(3);
    const resumed = run(['train', '--resume', split, '--json']);
    expect(resumed.code).toBe(0);
    const strip = (dir: string) =>
      fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
        const { seconds, sequencesPerSecond, ...rest } = JSON.parse(l);
        return { ...rest, timed: seconds > 0 && sequencesPerSecond > 0 };
      });
    expect(strip(split)).toEqual(strip(straight));
    expect(fs.readFileSync(path.join(split, 'last.safetensors'))).toEqual(fs.readFileSync(path.join(straight, 'last.safetensors')));
  });

  test('--resume with a new --epochs: the rest follows the new total\'s schedule, recorded in config.json', () => {
    const args = ['train', '--task', 'smnist', '--model', 's4d', ...tiny, '--json'];
    const three = path.join(tmp, 'three-epochs');
    const extended = path.join(tmp, 'one-then-three');
    expect(run([...args, '--epochs', '3', '--out', three]).code).toBe(0);
    expect(run([...args, '--epochs', '1', '--out', extended]).code).toBe(0);
    const resumed = run(['train', '--resume', extended, '--epochs', '3', '--json']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const lrs = (dir: string) => fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).lr as number);
    // Epoch 1 ran under the 1-epoch schedule (nearly decayed at its end); epochs 2 and 3 under the 3-epoch one.
    expect(lrs(extended)[0]).toBeLessThan(lrs(three)[0] / 5);
    expect(lrs(extended).slice(1)).toEqual(lrs(three).slice(1));
    const config = JSON.parse(fs.readFileSync(path.join(extended, 'config.json'), 'utf8'));
    expect(config.epochs).toBe(3);
    expect(config.resumes).toEqual([{ epoch: 1, step: 0, epochsBefore: 1, epochsAfter: 3 }]);
    // Fewer epochs than the run has done: refused, nothing changed.
    const shrink = run(['train', '--resume', extended, '--epochs', '2']);
    expect(shrink.code).toBe(2);
    expect(shrink.stderr).toMatch(/^longconv: --epochs 2: the run in '.*' has completed 3 epochs \(give --epochs ≥ 3\)\n$/);
    expect(JSON.parse(fs.readFileSync(path.join(extended, 'config.json'), 'utf8')).epochs).toBe(3);
  });

  test('--resume refuses flags that would change the model, task or data, naming them', () => {
    const dir = path.join(tmp, 'smnist-s4d');
    const before = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
    const r = run(['train', '--resume', dir, '--model', 's4', '--lr', '5', '--task', 'copy']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^longconv: --resume: --model, --lr, --task would change the run in '.*' \(its config.json\); a resumed run takes only --epochs, --data-dir, --checkpoint-every, --device, --json, --quiet, --progress-seconds/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).toBe(before);
  });
});

describe('the event loop during training', () => {
  test('train yields between steps: timers fire while it runs (it used to block until the end)', () => {
    const dist = JSON.stringify(path.join(__dirname, '..', 'dist', 'cli', 'main'));
    const args = JSON.stringify(['train', '--task', 'smnist', '--model', 's4d', '--epochs', '1', ...tiny, '--out', path.join(tmp, 'event-loop'), '--json']);
    const r = spawnSync(process.execPath, ['-e', `
      let ticks = 0;
      const timer = setInterval(() => ticks++, 0);
      const done = require(${dist}).main(${args});
      const returnedPromise = done instanceof Promise;
      Promise.resolve(done).then((code) => { clearInterval(timer); console.log(JSON.stringify({ code, ticks, returnedPromise })); });`], { encoding: 'utf8', timeout: 300000 });
    expect(r.stderr).toBe('');
    const lines = jsonLines(r.stdout);
    expect(lines[lines.length - 2]).toMatchObject({ event: 'done' });
    const { code, ticks, returnedPromise } = lines[lines.length - 1] as { code: number; ticks: number; returnedPromise: boolean };
    expect(code).toBe(0);
    expect(returnedPromise).toBe(true);
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('progress', () => {
  const args = ['train', '--task', 'smnist', '--model', 's4d', '--epochs', '1', ...tiny];
  test('off a terminal: one line to stderr every --progress-seconds', () => {
    const r = run([...args, '--out', path.join(tmp, 'progress-lines'), '--progress-seconds', '0']);
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split('\n');
    // 192 examples in steps of 32: a line after each step but the last (the epoch's own line follows).
    expect(lines.map((l) => l.replace(/ \| loss.*$/, ''))).toEqual([32, 64, 96, 128, 160].map((n) => `epoch 1/1: ${n}/192 (${((100 * n) / 192).toFixed(1)}%)`));
    lines.forEach((l) => expect(l).toMatch(/ \| loss \d+\.\d{4} \| acc \d+\.\d{2}% \| \d+\.\d seq\/s$/));
    expect(r.stdout).toMatch(/^epoch 1: train loss/m);
  });

  test('the default interval is 10 s; --quiet and --json print no progress', () => {
    for (const flags of [[], ['--quiet'], ['--json']]) {
      const r = run([...args, '--out', path.join(tmp, `progress-${flags.join('') || 'default'}`), ...flags]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(''); // this run takes less than 10 s between two steps
    }
  });
});

describe('help', () => {
  test('longconv --help lists the commands; longconv alone does too, with exit code 2', () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = run(args);
      expect(r.code).toBe(0);
      for (const command of ['train', 'eval', 'presets', 'info', 'bench']) expect(r.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
      expect(r.stdout).toMatch(/runs\/<task>-<model>-<timestamp>/);
    }
    const bare = run([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toMatch(/^usage: longconv <command>/);
  });

  test('longconv train --help lists every flag with its default', () => {
    const r = run(['train', '--help']);
    expect(r.code).toBe(0);
    const { TRAIN_FLAGS } = require('../lib/cli/args');
    for (const [name, flag] of Object.entries(TRAIN_FLAGS as Record<string, { value?: string }>)) {
      expect(r.stdout).toContain(`  --${name}${flag.value ? ` ${flag.value}` : ''}  `);
    }
    expect(r.stdout).toMatch(/--epochs E .*\(default: per task: smnist\/psmnist 10, .*\)$/m);
    expect(r.stdout).toMatch(/--lr LR .*\(default: per model: s4d\/s4\/sgconv 0\.01, multires 0\.005; or the preset's\)$/m);
    expect(r.stdout).toMatch(/--out DIR .*\(default: runs\/<task>-<model>-<timestamp>, or runs\/<preset>-<timestamp> with --preset\)$/m);
    expect(r.stdout).not.toMatch(/\) \(/); // no doubled parentheses
    expect(run(['help', 'train']).stdout).toBe(r.stdout);
    for (const command of ['eval', 'presets', 'info', 'bench']) {
      const h = run([command, '--help']);
      expect(h.code).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`^usage: longconv ${command}`));
    }
  });
});

describe('bad input: one line, exit code 2, nothing written', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown flag', ['train', '--bogus', '1'], /Unknown option '--bogus' \(valid flags for train: --preset, --task, .*--progress-seconds; longconv train --help\)$/m],
    ['unknown task', ['train', '--task', 'cifar'], /unknown task 'cifar' \(choose from smnist, psmnist, listops, copy, recall, scifar, lra-listops, lra-text, lra-retrieval, lra-image, lra-pathfinder, lra-pathx, smnist-full, custom\)/],
    ['unknown model', ['train', '--model', 'mamba'], /unknown model 'mamba' \(choose from s4d, s4, sgconv, multires\)/],
    ['bad number', ['train', '--epochs', 'two'], /--epochs: expected an integer ≥ 1, got 'two'/],
    ['negative epochs', ['train', '--epochs', '-1'], /^longconv: --epochs: expected an integer ≥ 1, got '-1'$/m],
    ['negative lr', ['train', '--lr=-1'], /--lr: expected a number > 0, got '-1'/],
    ['negative lr, two words', ['train', '--lr', '-1e-3'], /--lr: expected a number > 0, got '-1e-3'/],
    ['--out under a file', ['train', '--out', '/etc/passwd/run'], /^longconv: --out: cannot write to '\/etc\/passwd\/run': '\/etc\/passwd' is a file, not a directory$/m],
    ['missing resume dir', ['train', '--resume', '/nonexistent/run'], /--resume: no such directory '\/nonexistent\/run'/],
    ['unknown command', ['fly'], /unknown command 'fly' \(choose from train, eval, presets, info, bench; longconv --help\)/],
    ['eval without checkpoint', ['eval'], /missing --checkpoint DIR/],
    ['eval of a missing dir', ['eval', '--checkpoint', '/nonexistent/run'], /--checkpoint: no such directory '\/nonexistent\/run'/],
  ];
  for (const [name, args, message] of cases) {
    test(name, () => {
      const out = path.join(tmp, `bad-${name.replace(/ /g, '-')}`);
      // Train commands get an --out to check that nothing was written (unless they name one or resume).
      const r = run(args[0] === 'train' && !args.includes('--out') && !args.includes('--resume') ? [...args, '--out', out] : args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(fs.existsSync(out)).toBe(false);
    });
  }

  test('--device cuda without a GPU', () => {
    const out = path.join(tmp, 'bad-cuda');
    const r = run(['train', '--device', 'cuda', '--out', out]);
    const { cuda } = require('../lib').backendInfo();
    if (cuda.available) return; // nothing to check on a GPU machine
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^longconv: --device cuda: CUDA is not available here: .+; use --device cpu or auto\n$/);
    expect(r.stderr).not.toMatch(/\) \(/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

test('longconv info: the addon file, CUDA compiled in, the SIMD path, the CUDA libraries', () => {
  const r = run(['info', '--json']);
  expect(r.code).toBe(0);
  const info = JSON.parse(r.stdout);
  expect(info).toMatchObject({ event: 'info', longconv: expect.any(String), threads: expect.any(Number) });
  const { backend } = info;
  expect(['AVX2+FMA', 'SSE2']).toContain(backend.cpu.simd);
  expect(fs.existsSync(backend.addon.path)).toBe(true);
  expect(typeof backend.cuda.compiled).toBe('boolean');
  expect(backend.cuda).toHaveProperty('available');
  const text = run(['info']);
  expect(text.code).toBe(0);
  const lines = text.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^longconv \S+ · Node \S+ \(N-API \d+\) · linux-x64$/);
  expect(lines[1]).toBe(`addon: ${backend.addon.path} (CUDA support compiled in: ${backend.cuda.compiled ? 'yes' : 'no'})`);
  expect(lines[2]).toBe(`CPU: ${backend.cpu.threads} threads, ${backend.cpu.simd} kernels`);
  if (backend.cuda.available) {
    expect(text.stdout).toMatch(/^cuFFT \d+\.\d+\.\d+: \//m);
    expect(text.stdout).toMatch(/^cuBLAS (\d+\.\d+\.\d+|\(version unknown\)): \/|^cuBLAS: not found: /m);
  } else {
    expect(lines[3]).toBe(`CUDA: not available: ${backend.cuda.reason}`);
    expect(lines[4]).toMatch(/^cuFFT, cuBLAS: not loaded/);
  }
  const { mpi, nccl } = backend.distributed;
  expect(text.stdout).toContain(mpi.available ? `MPI (${mpi.abi}): ${mpi.version}: ${mpi.path}\n` : `MPI: not available: ${mpi.reason}\n`);
  expect(lines[lines.length - 1]).toMatch(nccl.available ? /^NCCL \d+\.\d+\.\d+: \// : /^NCCL: not available: /);
});
