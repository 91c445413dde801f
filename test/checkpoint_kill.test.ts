// A checkpoint survives SIGKILL at any moment: a process that trains and saves module +
// optimizer after every step is killed at random moments, 25 times; each time the checkpoint
// on disk must be the last one reported saved or the one being written, whole (the module and
// optimizer of the same save), and the next process resumes from it. Then the CLI: killed
// mid-run, `--resume` finishes the run.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as lc from '../lib';
import { readMetrics, writeMetrics } from '../lib/cli/checkpoints';

const root = path.join(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'longconv-kill-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Trains a 512x512 linear layer one step at a time, saving after each step (2 MiB of weights,
// 4 MiB of moments: a save takes long enough that kills often land inside one). Resumes from
// the checkpoint when there is one; reports each completed save on stdout.
const trainer = `
const lc = require(${JSON.stringify(path.join(root, 'dist'))});
const fs = require('fs');
const file = process.argv[2];
const net = new lc.nn.Linear(512, 512, { seed: 1 });
const opt = new lc.optim.AdamW(net, { lr: 1e-3 });
let saves = 0;
if (fs.existsSync(file)) saves = Number(lc.io.load(file, net, { optimizer: opt }).saves);
process.stdout.write('resumed ' + saves + '\\n');
const x = lc.ones([2, 512]);
for (;;) {
  lc.tidy(() => lc.sum(net.forward(x)).backward());
  opt.step();
  opt.zeroGrad();
  lc.io.save(file, net, { optimizer: opt, metadata: { saves: String(saves + 1) } });
  saves++;
  process.stdout.write('saved ' + saves + '\\n');
}`;

/** Runs the trainer until it has reported `minSaves` saves, waits `delayMs`, then SIGKILLs it. */
function killTrainer(script: string, file: string, minSaves: number, delayMs: number): Promise<{ resumed: number; lastSaved: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let armed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const saves = (out.match(/^saved \d+$/gm) ?? []).length;
      if (!armed && saves >= minSaves) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`trainer exited by itself: ${err}`));
      const numbers = (re: RegExp) => [...out.matchAll(re)].map((m) => Number(m[1]));
      resolve({ resumed: numbers(/^resumed (\d+)$/gm)[0], lastSaved: Math.max(...numbers(/^saved (\d+)$/gm)) });
    });
  });
}

test('SIGKILL at random moments during saves: always the previous or the new checkpoint, whole; training resumes from it (25 rounds)', async () => {
  const script = path.join(tmp, 'trainer.js');
  fs.writeFileSync(script, trainer);
  const file = path.join(tmp, 'ckpt.safetensors');
  let expected = 0; // saves in the checkpoint on disk, as far as the last round's output says
  let leftovers = 0; // rounds that were killed inside a save (its temporary or uncommitted files remained)
  for (let round = 0; round < 25; round++) {
    const { resumed, lastSaved } = await killTrainer(script, file, 1, Math.random() * 250);
    // The process started from the checkpoint the previous round left.
    expect(resumed).toBe(expected);
    const net = new lc.nn.Linear(512, 512);
    const opt = new lc.optim.AdamW(net);
    const { saves } = lc.io.load(file, net, { optimizer: opt });
    // The save reported last, or the one under way when the kill came; module and optimizer
    // from the same save (each save follows exactly one step).
    expect([lastSaved, lastSaved + 1]).toContain(Number(saves));
    expect(opt.stepCount).toBe(Number(saves));
    net.dispose();
    opt.dispose();
    expected = Number(saves);
    const names = fs.readdirSync(tmp).filter((f) => f.startsWith('ckpt.'));
    if (names.some((f) => f.endsWith('.tmp')) || names.length > 2) leftovers++;
  }
  // A finished save removes what killed ones left behind.
  const net = new lc.nn.Linear(512, 512);
  const opt = new lc.optim.AdamW(net);
  lc.io.load(file, net, { optimizer: opt });
  lc.io.save(file, net, { optimizer: opt, metadata: { saves: String(expected) } });
  expect(fs.readdirSync(tmp).filter((f) => f.startsWith('ckpt.')).sort()).toEqual(['ckpt.safetensors', path.basename(lc.io.optimizerPath(file)!)].sort());
  net.dispose();
  opt.dispose();
  console.log(`kill loop: 25 rounds, ${leftovers} killed inside a save, checkpoint always whole; ${expected} saves in the end`);
}, 600_000);

// The run directory's other files are rewritten whole: metrics.jsonl, grown by one epoch per
// write from 2,000 epochs (~150 KB, so that kills land inside writes), is killed at random
// moments; each time it must hold the epochs of the last write reported or of the one under
// way, every line whole.
test('SIGKILL at random moments while metrics.jsonl is rewritten: always the previous or the new file, whole (20 rounds)', async () => {
  const writer = path.join(tmp, 'metrics-writer.js');
  fs.writeFileSync(writer, `
const { readMetrics, writeMetrics } = require(${JSON.stringify(path.join(root, 'dist', 'cli', 'checkpoints'))});
const dir = process.argv[2];
const history = readMetrics(dir);
process.stdout.write('resumed ' + history.length + '\\n');
for (;;) {
  const epoch = history.length + 1;
  history.push({ epoch, trainLoss: 1 / epoch, valLoss: 2 / epoch, valAccuracy: 1 - 1 / epoch, seconds: epoch / 7 });
  writeMetrics(dir, history);
  process.stdout.write('saved ' + history.length + '\\n');
}`);
  const dir = path.join(tmp, 'metrics-run');
  fs.mkdirSync(dir);
  writeMetrics(dir, Array.from({ length: 2000 }, (_, i) => ({ epoch: i + 1, trainLoss: 1 / (i + 1), valLoss: 2 / (i + 1), valAccuracy: 1 - 1 / (i + 1), seconds: (i + 1) / 7 })));
  let expected = 2000;
  for (let round = 0; round < 20; round++) {
    const { resumed, lastSaved } = await killTrainer(writer, dir, 1, Math.random() * 100);
    expect(resumed).toBe(expected);
    const history = readMetrics(dir); // throws on a torn line
    expect([lastSaved, lastSaved + 1]).toContain(history.length);
    expect(history.map((h) => h.epoch)).toEqual(Array.from({ length: history.length }, (_, i) => i + 1));
    expected = history.length;
  }
}, 600_000);

test('the CLI killed during training resumes with --resume and finishes the run', async () => {
  const out = path.join(tmp, 'run');
  const bin = path.join(root, 'bin', 'longconv.js');
  const args = ['train', '--task', 'smnist', '--model', 's4d', '--epochs', '3', '--d-model', '16', '--layers', '1', '--batch', '32', '--train-limit', '192', '--test-limit', '64', '--json', '--out', out];
  await new Promise<void>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args]);
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"event":"epoch"')) setTimeout(() => child.kill('SIGKILL'), Math.random() * 200);
    });
    child.on('exit', () => resolve());
  });
  const resumed = spawnSync(process.execPath, [bin, 'train', '--resume', out, '--json'], { encoding: 'utf8', timeout: 300_000 });
  expect(resumed.stderr).toBe('');
  expect(resumed.status).toBe(0);
  const lines = resumed.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  expect(lines[lines.length - 1]).toMatchObject({ event: 'done', epochs: 3 });
  expect(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
}, 600_000);
