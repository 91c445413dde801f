// Tiny files in each benchmark's published format, written by the tests themselves (nothing is
// downloaded): CIFAR-10 binary, LRA ListOps TSV, aclImdb, AAN pairs TSV, Pathfinder metadata +
// PNG, MNIST IDX (gzipped or not) and the custom JSONL format.
import * as fs from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { PNG } from 'pngjs';

/** A seeded generator of integers in [0, n). */
export function ints(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 4294967296) * n);
  };
}

/** CIFAR-10 binary: `perBatch` records in each data_batch_i.bin, `test` in test_batch.bin. */
export function writeCifar(dir: string, perBatch = 4, test = 6, seed = 1): void {
  fs.mkdirSync(dir, { recursive: true });
  const rand = ints(seed);
  const file = (name: string, n: number) => {
    const buf = Buffer.alloc(n * 3073);
    for (let r = 0; r < n; r++) {
      buf[r * 3073] = r % 10;
      for (let p = 1; p < 3073; p++) buf[r * 3073 + p] = rand(256);
    }
    fs.writeFileSync(path.join(dir, name), buf);
  };
  for (let b = 1; b <= 5; b++) file(`data_batch_${b}.bin`, perBatch);
  file('test_batch.bin', test);
}

/** LRA ListOps: basic_{train,val,test}.tsv with a header and random nested expressions. */
export function writeListops(dir: string, sizes = { train: 12, val: 4, test: 4 }, seed = 2): void {
  fs.mkdirSync(dir, { recursive: true });
  const rand = ints(seed);
  const ops = ['[MAX', '[MIN', '[MED', '[SM'];
  const expr = (depth: number): string => {
    if (depth > 2 || rand(3) === 0) return String(rand(10));
    const args = Array.from({ length: 2 + rand(3) }, () => expr(depth + 1));
    return `( ${ops[rand(4)]} ${args.join(' ')} ] )`;
  };
  for (const [split, n] of Object.entries(sizes)) {
    const lines = Array.from({ length: n }, () => `${expr(0)}\t${rand(10)}`);
    fs.writeFileSync(path.join(dir, `basic_${split}.tsv`), ['Source\tTarget', ...lines].join('\n') + '\n');
  }
}

/** aclImdb: `n` reviews in each of train/test × pos/neg (some non-ASCII, one longer than 64 bytes). */
export function writeImdb(dir: string, n = 3): void {
  for (const split of ['train', 'test']) {
    for (const polarity of ['pos', 'neg']) {
      const d = path.join(dir, 'aclImdb', split, polarity);
      fs.mkdirSync(d, { recursive: true });
      for (let i = 0; i < n; i++) {
        const text = polarity === 'pos' ? `A fine film, ${'très '.repeat(i * 6)}good.` : `Awful.${'<br />'.repeat(i)} Bad.`;
        fs.writeFileSync(path.join(d, `${i}_${polarity === 'pos' ? 9 : 2}.txt`), text);
      }
    }
  }
  fs.mkdirSync(path.join(dir, 'aclImdb', 'train', 'unsup'), { recursive: true });
}

/** AAN pairs: new_aan_pairs.{train,eval,test}.tsv without a header (label, id1, id2, text1, text2). */
export function writeAan(dir: string, sizes = { train: 8, eval: 4, test: 4 }, seed = 3): void {
  fs.mkdirSync(dir, { recursive: true });
  const rand = ints(seed);
  for (const [split, n] of Object.entries(sizes)) {
    const lines = Array.from({ length: n }, (_, i) => {
      const label = i % 2;
      const words = (k: number) => Array.from({ length: 3 + rand(12) }, () => `w${rand(k)}`).join(' ');
      return `${label}.0\tpaper${i}a\tpaper${i}b\tAbstract ${words(50)}\tAbstract ${label ? 'citing ' : ''}${words(50)}`;
    });
    fs.writeFileSync(path.join(dir, `new_aan_pairs.${split}.tsv`), lines.join('\n') + '\n');
  }
}

/** A gray PNG (pngjs: 8-bit RGBA with R = G = B) of `side`×`side` from per-pixel levels. */
export function pngOf(side: number, level: (t: number) => number): Buffer {
  const png = new PNG({ width: side, height: side });
  for (let t = 0; t < side * side; t++) png.data.set([level(t), level(t), level(t), 255], 4 * t);
  return PNG.sync.write(png);
}

/** Pathfinder: curv_contour_length_14/metadata/{0,1}.npy (text lines) and `n` PNG images. */
export function writePathfinder(dir: string, side: number, n = 20, seed = 4): void {
  const root = path.join(dir, 'curv_contour_length_14');
  fs.mkdirSync(path.join(root, 'metadata'), { recursive: true });
  const rand = ints(seed);
  const lines: string[][] = [[], []];
  for (let i = 0; i < n; i++) {
    const folder = `imgs/${i % 2}`;
    fs.mkdirSync(path.join(root, folder), { recursive: true });
    const label = i % 2;
    fs.writeFileSync(path.join(root, folder, `sample_${i}.png`), pngOf(side, (t) => (label && t % side === t / side ? 255 : rand(64))));
    lines[i % 2].push(`${folder} sample_${i}.png 0 ${label} 14 2 0.5`);
  }
  // Written in the reverse of numeric order: the reader sorts them by number.
  fs.writeFileSync(path.join(root, 'metadata', '1.npy'), lines[1].join('\n') + '\n');
  fs.writeFileSync(path.join(root, 'metadata', '0.npy'), lines[0].join('\n') + '\n');
}

function idx(magic: number, dims: number[], body: Uint8Array): Buffer {
  const header = Buffer.alloc(4 * (1 + dims.length));
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(body)]);
}

/** MNIST IDX files (gzipped with a .gz name, or plain). */
export function writeMnist(dir: string, sizes = { train: 20, t10k: 6 }, gzip = true, seed = 5): void {
  fs.mkdirSync(dir, { recursive: true });
  const rand = ints(seed);
  for (const [prefix, n] of Object.entries(sizes)) {
    const images = Uint8Array.from({ length: n * 784 }, () => rand(256));
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    const write = (name: string, data: Buffer) => fs.writeFileSync(path.join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(data) : data);
    write(`${prefix}-images-idx3-ubyte`, idx(0x803, [n, 28, 28], images));
    write(`${prefix}-labels-idx1-ubyte`, idx(0x801, [n], labels));
  }
}

/** Custom JSONL: real sequences of `channels` channels, or token sequences; varying lengths. */
export function writeCustom(dir: string, kind: 'real' | 'tokens', channels = 1, sizes = { train: 12, test: 4 }, seed = 6): void {
  fs.mkdirSync(dir, { recursive: true });
  const rand = ints(seed);
  for (const [split, n] of Object.entries(sizes)) {
    const lines = Array.from({ length: n }, (_, i) => {
      const L = 3 + rand(6);
      const x = kind === 'tokens'
        ? Array.from({ length: L }, () => ['the', 'cat', 'sat', 'on', 'mat'][rand(5)])
        : Array.from({ length: L }, () => (channels === 1 ? rand(100) / 10 : Array.from({ length: channels }, () => rand(100) / 10)));
      return JSON.stringify({ x, y: kind === 'tokens' ? ['no', 'yes'][i % 2] : i % 3 });
    });
    fs.writeFileSync(path.join(dir, `${split}.jsonl`), lines.join('\n') + '\n');
  }
}
