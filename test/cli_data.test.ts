// `longconv train --task T --data-dir DIR` on tiny files in each published format (written
// here): one epoch each; bad data exits 2 with one line; gradient accumulation; in-epoch
// checkpoints and resuming from them; the best validation checkpoint scores the test split.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeAan, writeCifar, writeCustom, writeImdb, writeListops, writeMnist, writePathfinder } from './data_fixtures';

const bin = path.join(__dirname, '..', 'bin', 'longconv.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'longconv-cli-data-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const tiny = ['--d-model', '8', '--layers', '1', '--epochs', '1', '--json'];

function run(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 300000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

const data = {
  scifar: (d: string) => writeCifar(d),
  'lra-image': (d: string) => writeCifar(d),
  'lra-listops': (d: string) => writeListops(d),
  'lra-text': (d: string) => writeImdb(d, 4),
  'lra-retrieval': (d: string) => writeAan(d),
  'lra-pathfinder': (d: string) => writePathfinder(d, 32),
  'lra-pathx': (d: string) => writePathfinder(d, 128, 10),
  'smnist-full': (d: string) => writeMnist(d),
  custom: (d: string) => writeCustom(d, 'tokens'),
};
const dirs: Record<string, string> = {};
beforeAll(() => {
  for (const [task, write] of Object.entries(data)) {
    dirs[task] = path.join(tmp, 'data', task);
    write(dirs[task]);
  }
});

describe('one epoch on each file task', () => {
  const expected: Record<string, { train: number; val: number; test: number; valFrom: string }> = {
    scifar: { train: 18, val: 2, test: 6, valFrom: 'train' },
    'lra-image': { train: 18, val: 2, test: 6, valFrom: 'train' },
    'lra-listops': { train: 12, val: 4, test: 4, valFrom: 'file' },
    'lra-text': { train: 8, val: 8, test: 8, valFrom: 'test' },
    'lra-retrieval': { train: 8, val: 4, test: 4, valFrom: 'file' },
    'lra-pathfinder': { train: 16, val: 2, test: 2, valFrom: 'train' },
    'lra-pathx': { train: 8, val: 1, test: 1, valFrom: 'train' },
    'smnist-full': { train: 18, val: 2, test: 6, valFrom: 'train' },
    custom: { train: 10, val: 2, test: 4, valFrom: 'train' },
  };
  for (const [task, sizes] of Object.entries(expected)) {
    test(task, () => {
      const out = path.join(tmp, `run-${task}`);
      const r = run(['train', '--task', task, '--data-dir', dirs[task], '--model', 's4d', '--batch', '4', ...tiny, '--out', out]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.lines[0]).toMatchObject({ event: 'start', task, trainSize: sizes.train, valSize: sizes.val, testSize: sizes.test, valFrom: sizes.valFrom });
      const done = r.lines[r.lines.length - 1];
      expect(done).toMatchObject({ event: 'done', task, bestEpoch: 1, testSize: sizes.test });
      expect(done.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8'))).toMatchObject({ task, testAccuracy: done.testAccuracy, bestEpoch: 1 });
      const e = run(['eval', '--checkpoint', out, '--json']);
      expect(e.code).toBe(0);
      expect(e.lines[0]).toMatchObject({ event: 'eval', task, testSize: sizes.test, testAccuracy: done.testAccuracy });
    });
  }
});

describe('bad data: one line naming the file, exit code 2, nothing written', () => {
  const cases: [string, string[], RegExp][] = [
    ['missing --data-dir', ['--task', 'scifar'], /^longconv: missing --data-dir DIR: task scifar reads data_batch_1\.bin … data_batch_5\.bin, test_batch\.bin from CIFAR-10 binary version/],
    ['missing folder', ['--task', 'lra-listops', '--data-dir', '/nonexistent/listops'], /^longconv: \/nonexistent\/listops: no such directory; expected a tab-separated file .*\(the Long Range Arena release lra_release\.gz, folder listops-1000\)$/],
    ['missing file', ['--task', 'lra-retrieval', '--data-dir', '<empty>'], /new_aan_pairs\.train\.tsv: no such file; expected tab-separated lines: label \(0 or 1\), id1, id2, text1, text2 \(the Long Range Arena release/],
    ['--data-dir with built-in data', ['--task', 'smnist', '--data-dir', '/tmp'], /--data-dir: task smnist has built-in data/],
    ['--length of a fixed-length task', ['--task', 'scifar', '--data-dir', '/tmp', '--length', '100'], /--length: task scifar has a fixed length/],
  ];
  for (const [name, args, message] of cases) {
    test(name, () => {
      const empty = path.join(tmp, 'empty');
      fs.mkdirSync(empty, { recursive: true });
      const out = path.join(tmp, `bad-${name.replace(/\W/g, '')}`);
      const r = run(['train', ...args.map((a) => (a === '<empty>' ? empty : a)), '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
      expect(fs.existsSync(out)).toBe(false);
    });
  }

  test('a malformed file found while training: exit 2, one line naming it', () => {
    const d = path.join(tmp, 'pathfinder-broken');
    writePathfinder(d, 32);
    for (const i of [0, 1, 2, 3]) fs.writeFileSync(path.join(d, 'curv_contour_length_14', 'imgs', String(i % 2), `sample_${i}.png`), 'garbage');
    const r = run(['train', '--task', 'lra-pathfinder', '--data-dir', d, '--batch', '20', ...tiny, '--out', path.join(tmp, 'broken-run')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/sample_\d\.png: not a readable PNG .*expected the folder pathfinder32/);
  });
});

const smnist = ['--task', 'smnist', '--model', 's4d', '--d-model', '8', '--layers', '1', '--train-limit', '96', '--test-limit', '32', '--json'];

test('--accumulate: the same steps in micro-batches give the same training (dropout masks by position in the batch; layer norm)', () => {
  const a = run(['train', ...smnist, '--epochs', '2', '--batch', '24', '--dropout', '0.2', '--out', path.join(tmp, 'acc1')]);
  const b = run(['train', ...smnist, '--epochs', '2', '--batch', '24', '--dropout', '0.2', '--accumulate', '4', '--out', path.join(tmp, 'acc4')]);
  expect([a.code, b.code]).toEqual([0, 0]);
  const epochs = (r: typeof a) => r.lines.filter((l) => l.event === 'epoch');
  epochs(a).forEach((e, i) => {
    expect(epochs(b)[i].trainLoss).toBeCloseTo(e.trainLoss, 4);
    expect(epochs(b)[i].valLoss).toBeCloseTo(e.valLoss, 4);
  });
  const bad = run(['train', ...smnist, '--batch', '4', '--accumulate', '5', '--out', path.join(tmp, 'acc-bad')]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--accumulate 5: more micro-batches than examples per step \(--batch 4\)/);
});

test('--checkpoint-every: killed mid-epoch, --resume repeats the uninterrupted run exactly', async () => {
  const args = ['train', ...smnist, '--dropout', '0.2', '--seed', '5', '--epochs', '2', '--batch', '8', '--checkpoint-every', '3'];
  const straight = path.join(tmp, 'ckpt-straight');
  const split = path.join(tmp, 'ckpt-split');
  const s = run([...args, '--out', straight]);
  expect(s.code).toBe(0);
  expect(s.lines.filter((l) => l.event === 'checkpoint').map((l) => [l.epoch, l.step])).toEqual([[1, 3], [1, 6], [1, 9], [2, 3], [2, 6], [2, 9]]);
  // Kill at the second in-epoch checkpoint of epoch 1 (step 6 of 12).
  await new Promise<void>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args, '--out', split]);
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (/"event":"checkpoint","epoch":1,"step":6/.test(seen)) child.kill('SIGKILL');
    });
    child.on('exit', () => resolve());
  });
  expect(fs.readFileSync(path.join(split, 'metrics.jsonl'), 'utf8')).toBe('');
  const resumed = run(['train', '--resume', split, '--json']);
  expect(resumed.code).toBe(0);
  expect(resumed.lines[0]).toMatchObject({ event: 'start', startEpoch: 1 });
  expect(resumed.lines[0].startStep).toBeGreaterThanOrEqual(6);
  const strip = (dir: string) => fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const { seconds, sequencesPerSecond, ...rest } = JSON.parse(l);
    return rest;
  });
  expect(strip(split)).toEqual(strip(straight));
  expect(fs.readFileSync(path.join(split, 'last.safetensors'))).toEqual(fs.readFileSync(path.join(straight, 'last.safetensors')));
  expect(fs.readFileSync(path.join(split, 'result.json'), 'utf8')).toBe(fs.readFileSync(path.join(straight, 'result.json'), 'utf8'));
});

test('the best validation epoch chooses best.safetensors; the test split is scored with it', () => {
  const out = path.join(tmp, 'best');
  const r = run(['train', ...smnist, '--epochs', '3', '--batch', '16', '--val-fraction', '0.25', '--val-limit', '24', '--out', out]);
  expect(r.code).toBe(0);
  const epochs = r.lines.filter((l) => l.event === 'epoch');
  const best = epochs.reduce((b, e) => (e.valAccuracy > b.valAccuracy ? e : b));
  const done = r.lines[r.lines.length - 1];
  expect(r.lines[0]).toMatchObject({ trainSize: 96, valSize: 24, valFrom: 'train', testSize: 32 });
  expect(done).toMatchObject({ bestEpoch: best.epoch, bestValAccuracy: best.valAccuracy });
  const e = run(['eval', '--checkpoint', out, '--test-limit', '32', '--json']);
  expect(e.lines[0].testAccuracy).toBe(done.testAccuracy);
});

describe('every preset trains one epoch on its task (model scaled down by flags)', () => {
  const presets = require('../lib/cli/presets').PRESETS as { name: string; task: string }[];
  for (const { name, task } of presets) {
    test(name, () => {
      const r = run(['train', '--preset', name, '--data-dir', dirs[task], '--d-model', '8', '--layers', '2', '--epochs', '1', '--batch', '4', '--train-limit', '8', '--val-limit', '4', '--test-limit', '4', '--json', '--out', path.join(tmp, `preset-${name}`)]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.lines[0]).toMatchObject({ event: 'start', preset: name, task, trainSize: 8 });
      expect(r.lines[r.lines.length - 1]).toMatchObject({ event: 'done', preset: name, bestEpoch: 1 });
      const config = JSON.parse(fs.readFileSync(path.join(tmp, `preset-${name}`, 'config.json'), 'utf8'));
      expect(config).toMatchObject({ preset: name, dModel: 8, layers: 2, batch: 4 });
    });
  }
});

test('longconv presets lists each preset with its source file and reported accuracy', () => {
  const r = spawnSync(process.execPath, [bin, 'presets'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^s4-lra-listops +lra-listops +s4 +59\.6% +state-spaces\/s4@e757cef configs\/experiment\/lra\/s4-listops\.yaml$/m);
  expect(r.stdout).toMatch(/^sgconv-lra-pathx +lra-pathx +sgconv +97\.83% +ctlllll\/SGConv@0c2b3ab \(branch preview\) configs\/experiment\/lra\/gconv-lra-pathx\.yaml$/m);
  expect(r.stdout).toMatch(/^multires-scifar +scifar +multires +93\.15% +thjashin\/multires-conv@828089f scripts\/seq_cifar\.sh/m);
  expect(r.stdout).toMatch(/^s4d-lra-pathx +lra-pathx +s4d +fails \(chance\)/m);
  const json = spawnSync(process.execPath, [bin, 'presets', '--json'], { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(json).toHaveLength(22);
  expect(json[0]).toMatchObject({ event: 'preset', name: 's4-lra-listops', reported: 59.6, values: { lr: 0.01 } });
});
