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
});

describe('bad input: one line, exit code 2, nothing written', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown flag', ['train', '--bogus', '1'], /Unknown option '--bogus'.*valid flags for train: --task, --model/],
    ['unknown task', ['train', '--task', 'cifar'], /unknown task 'cifar' \(choose from smnist, psmnist, listops, copy, recall, scifar, lra-listops, lra-text, lra-retrieval, lra-image, lra-pathfinder, lra-pathx, smnist-full, custom\)/],
    ['unknown model', ['train', '--model', 'mamba'], /unknown model 'mamba' \(choose from s4d, s4, sgconv, multires\)/],
    ['bad number', ['train', '--epochs', 'two'], /--epochs: expected an integer >= 1, got 'two'/],
    ['negative lr', ['train', '--lr=-1'], /--lr: expected a number > 0, got '-1'/],
    ['missing resume dir', ['train', '--resume', '/nonexistent/run'], /--resume: no such directory '\/nonexistent\/run'/],
    ['unknown command', ['fly'], /unknown command 'fly' \(choose from train, eval, presets, info, bench\)/],
    ['eval without checkpoint', ['eval'], /missing --checkpoint DIR/],
    ['eval of a missing dir', ['eval', '--checkpoint', '/nonexistent/run'], /--checkpoint: no such directory '\/nonexistent\/run'/],
  ];
  for (const [name, args, message] of cases) {
    test(name, () => {
      const out = path.join(tmp, `bad-${name.replace(/ /g, '-')}`);
      const r = run([...args, '--out', out].filter((a, i, all) => args[0] === 'train' || !(a === '--out' || all[i - 1] === '--out')));
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
    expect(r.stderr).toMatch(/^longconv: --device cuda: CUDA is not available \(.+\) \(choose from cpu, auto\)\n$/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

test('longconv info', () => {
  const r = run(['info', '--json']);
  expect(r.code).toBe(0);
  const info = JSON.parse(r.stdout);
  expect(info).toMatchObject({ event: 'info', longconv: expect.any(String), threads: expect.any(Number) });
  expect(info.backend.cuda).toHaveProperty('available');
});
