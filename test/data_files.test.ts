// The file tasks' readers on tiny files written here in each published format: values checked
// against hand-worked examples and independent decodings; missing and malformed files name the
// file, the expected format and where it comes from.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as lc from '../lib';
import { pngOf, writeAan, writeCifar, writeCustom, writeImdb, writeListops, writeMnist, writePathfinder } from './data_fixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'longconv-data-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const dir = (name: string) => path.join(tmp, name);
const all = (source: lc.data.Source) => source.read(Int32Array.from({ length: source.size }, (_, i) => i));

describe('ListOps tokenizer and vocabulary (the S4 repository\'s)', () => {
  test('hand-worked: brackets become X, parentheses go, whitespace splits', () => {
    expect(lc.data.tokenizeListOps('( ( [MAX 2 9 ] ) 4 )')).toEqual(['[MAX', '2', '9', 'X', '4']);
    expect(lc.data.tokenizeListOps('[SM\t1  ( 2 ) ]')).toEqual(['[SM', '1', '2', 'X']);
    expect(lc.data.tokenizeListOps('( )')).toEqual([]);
  });

  test('hand-worked: specials, then counts descending, ties in string order; unknown -> <unk>; <eos> appended', () => {
    const d = dir('listops-hand');
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'basic_train.tsv'), 'Source\tTarget\n( [MAX 2 9 ] )\t9\n[MIN 9 ( [SM 1 2 ] ) ]\t3\n');
    fs.writeFileSync(path.join(d, 'basic_val.tsv'), 'Source\tTarget\n[MED 2 9 ]\t5\n');
    fs.writeFileSync(path.join(d, 'basic_test.tsv'), 'Source\tTarget\r\n[MAX 1 1 ]\t1\r\n');
    const task = lc.data.listopsFiles({ dataDir: d });
    // counts: X 3; 2 2, 9 2; 1 1, [MAX 1, [MIN 1, [SM 1
    expect(task.vocabulary).toEqual(['<pad>', '<unk>', '<eos>', 'X', '2', '9', '1', '[MAX', '[MIN', '[SM']);
    expect(task).toMatchObject({ name: 'lra-listops', L: 2048, inputs: 'tokens', dInput: 10, nClasses: 10, valFrom: 'file' });
    const train = all(task.train);
    expect(train.L).toBe(8); // the longer row: 7 tokens + <eos>
    expect(Array.from(train.x)).toEqual([7, 4, 5, 3, 2, 0, 0, 0, 8, 5, 9, 6, 4, 3, 3, 2]);
    expect(Array.from(train.lengths!)).toEqual([5, 8]);
    expect(Array.from(train.y)).toEqual([9, 3]);
    expect(Array.from(all(task.val).x)).toEqual([1, 4, 5, 3, 2]); // [MED is unknown
    expect(Array.from(all(task.test).x)).toEqual([7, 6, 6, 3, 2]); // CRLF lines
    // maxLength cuts to maxLength − 1 tokens and <eos>.
    const short = lc.data.listopsFiles({ dataDir: d, maxLength: 3 });
    expect(Array.from(all(short.train).x)).toEqual([7, 4, 2, 8, 5, 2]);
  });

  test('generated files: every row decodes to its line\'s tokens', () => {
    const d = dir('listops');
    writeListops(d);
    const task = lc.data.listopsFiles({ dataDir: d });
    const lines = fs.readFileSync(path.join(d, 'basic_train.tsv'), 'utf8').trim().split('\n').slice(1);
    const rows = task.train.read([3, 0]);
    [3, 0].forEach((line, i) => {
      const [source, target] = lines[line].split('\t');
      const ids = Array.from(rows.x.subarray(i * rows.L, i * rows.L + rows.lengths![i]));
      expect(ids.map((id) => task.vocabulary![id])).toEqual([...lc.data.tokenizeListOps(source), '<eos>']);
      expect(rows.y[i]).toBe(Number(target));
    });
  });
});

describe('byte-level text (LRA Text and Retrieval)', () => {
  test('hand-worked: UTF-8 bytes + 2, then <eos> = 1; cut to maxLength − 1 bytes', () => {
    expect(Array.from(lc.data.encodeBytes(Buffer.from('hé'), 8))).toEqual([106, 197, 171, 1]);
    expect(Array.from(lc.data.encodeBytes(Buffer.from('hé'), 3))).toEqual([106, 197, 1]);
    expect(Array.from(lc.data.encodeBytes(Buffer.alloc(0), 3))).toEqual([1]);
  });

  test('aclImdb: neg 0 / pos 1, files as bytes, test split validates', () => {
    const d = dir('imdb');
    writeImdb(d);
    const task = lc.data.imdbFiles({ dataDir: d, maxLength: 64 });
    expect(task).toMatchObject({ name: 'lra-text', L: 64, dInput: 258, nClasses: 2, valFrom: 'test' });
    expect(task.train.size).toBe(6);
    expect(task.val).toBe(task.test);
    const rows = all(task.train);
    const expected = ['neg', 'pos'].flatMap((p) => [0, 1, 2].map((i) => fs.readFileSync(path.join(d, 'aclImdb', 'train', p, `${i}_${p === 'pos' ? 9 : 2}.txt`))));
    expected.forEach((bytes, i) => {
      const n = Math.min(bytes.length, 63);
      expect(Array.from(rows.x.subarray(i * rows.L, i * rows.L + n + 1))).toEqual([...Array.from(bytes.subarray(0, n), (b) => b + 2), 1]);
      expect(rows.lengths![i]).toBe(n + 1);
      expect(rows.y[i]).toBe(i < 3 ? 0 : 1);
    });
    expect(Math.max(...rows.lengths!)).toBe(64); // the long review is cut
  });

  test('AAN pairs: first documents then second documents, padded to the longest of both', () => {
    const d = dir('aan');
    writeAan(d);
    const task = lc.data.aanFiles({ dataDir: d });
    expect(task).toMatchObject({ name: 'lra-retrieval', L: 4000, pairs: true, nClasses: 2, valFrom: 'file' });
    expect([task.train.size, task.val.size, task.test.size]).toEqual([8, 4, 4]);
    const lines = fs.readFileSync(path.join(d, 'new_aan_pairs.train.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
    const rows = task.train.read([5, 2]);
    expect(rows.lengths).toHaveLength(4);
    const docs = [lines[5][3], lines[2][3], lines[5][4], lines[2][4]];
    docs.forEach((doc, i) => {
      expect(Array.from(rows.x.subarray(i * rows.L, (i + 1) * rows.L))).toEqual([...Array.from(Buffer.from(doc), (b) => b + 2), 1, ...new Array(rows.L - doc.length - 1).fill(0)]);
    });
    expect(Array.from(rows.y)).toEqual([1, 0]);
  });
});

describe('CIFAR-10 binary (sCIFAR and LRA Image)', () => {
  const d = dir('cifar');
  beforeAll(() => writeCifar(d));

  test('PIL\'s gray levels (hand-worked)', () => {
    expect([lc.data.grayLevel(255, 0, 0), lc.data.grayLevel(0, 255, 0), lc.data.grayLevel(0, 0, 255), lc.data.grayLevel(255, 255, 255), lc.data.grayLevel(10, 20, 30)]).toEqual([76, 150, 29, 255, 18]);
  });

  test('records decode to normalised pixels in row-major order; 10% carved for validation', () => {
    const rgb = lc.data.cifarFiles({ dataDir: d });
    const gray = lc.data.cifarFiles({ dataDir: d, grayscale: true });
    expect(rgb).toMatchObject({ name: 'scifar', L: 1024, dInput: 3, nClasses: 10, valFrom: 'train' });
    expect(gray).toMatchObject({ name: 'lra-image', L: 1024, dInput: 1 });
    expect([rgb.train.size, rgb.val.size, rgb.test.size]).toEqual([18, 2, 6]);
    const record = fs.readFileSync(path.join(d, 'test_batch.bin')).subarray(3 * 3073, 4 * 3073);
    const a = rgb.test.read([3]), g = gray.test.read([3]);
    expect(a.y[0]).toBe(record[0]);
    for (const t of [0, 1, 33, 1023]) {
      for (let c = 0; c < 3; c++) expect(a.x[3 * t + c]).toBeCloseTo((record[1 + c * 1024 + t] / 255 - lc.data.CIFAR_MEAN[c]) / lc.data.CIFAR_STD[c], 5);
      const [r, gr, b] = [0, 1, 2].map((c) => record[1 + c * 1024 + t]);
      expect(g.x[t]).toBeCloseTo((Math.round(0.299 * r + 0.587 * gr + 0.114 * b) - 122.6) / 61, 1);
      expect(g.x[t]).toBeCloseTo((lc.data.grayLevel(r, gr, b) - 122.6) / 61, 5);
    }
    // Train and validation partition the 20 training records.
    const labels = (s: lc.data.Source) => Array.from(all(s).y);
    expect([...labels(rgb.train), ...labels(rgb.val)].sort()).toEqual(Array.from({ length: 20 }, (_, i) => i % 4).sort());
    expect(lc.data.cifarFiles({ dataDir: d, valFraction: 0 })).toMatchObject({ valFrom: 'test' });
  });
});

describe('Pathfinder (metadata text lines + PNG)', () => {
  test('32×32: gray levels / 255 in row-major order, 80/10/10 split, metadata in numeric order', () => {
    const d = dir('pathfinder32');
    writePathfinder(d, 32);
    const task = lc.data.pathfinderFiles({ dataDir: d, resolution: 32 });
    expect(task).toMatchObject({ name: 'lra-pathfinder', L: 1024, dInput: 1, nClasses: 2 });
    expect([task.train.size, task.val.size, task.test.size]).toEqual([16, 2, 2]);
    const rows = [all(task.train), all(task.val), all(task.test)];
    expect(rows.flatMap((r) => Array.from(r.y)).sort()).toEqual(new Array(10).fill(0).concat(new Array(10).fill(1)));
    // An independent decoding of one image through a file the reader has not seen.
    const probe = dir('pathfinder-probe');
    fs.mkdirSync(path.join(probe, 'metadata'), { recursive: true });
    fs.mkdirSync(path.join(probe, 'imgs'), { recursive: true });
    fs.writeFileSync(path.join(probe, 'imgs', 'a.png'), pngOf(32, (t) => t % 256));
    fs.writeFileSync(path.join(probe, 'metadata', '0.npy'), Array.from({ length: 10 }, () => 'imgs a.png 0 1').join('\n'));
    const x = lc.data.pathfinderFiles({ dataDir: probe, resolution: 32 }).test.read([0]).x;
    expect(Array.from(x.subarray(0, 4))).toEqual([0, 1 / 255, 2 / 255, 3 / 255].map(Math.fround));
    expect(x[300]).toBeCloseTo(44 / 255, 7);
  });

  test('128×128 for Path-X; a wrong image size names the file', () => {
    const d = dir('pathfinder128');
    writePathfinder(d, 128, 10);
    const task = lc.data.pathfinderFiles({ dataDir: path.join(d, 'curv_contour_length_14'), resolution: 128 });
    expect(task).toMatchObject({ name: 'lra-pathx', L: 16384 });
    expect(task.train.read([0]).x).toHaveLength(16384);
    expect(() => lc.data.pathfinderFiles({ dataDir: d, resolution: 32 }).train.read([0])).toThrow(/sample_\d+\.png: the image is 128×128; expected the folder pathfinder32/);
  });
});

describe('MNIST IDX', () => {
  test.each([true, false])('gzip %s: pixels normalised as smnist, 10%% validation', (gzip) => {
    const d = dir(`mnist-${gzip}`);
    writeMnist(d, { train: 20, t10k: 6 }, gzip);
    const task = lc.data.mnistFiles({ dataDir: d });
    expect(task).toMatchObject({ name: 'smnist-full', L: 784, dInput: 1, nClasses: 10, valFrom: 'train' });
    expect([task.train.size, task.val.size, task.test.size]).toEqual([18, 2, 6]);
    const raw = fs.readFileSync(path.join(d, gzip ? 't10k-images-idx3-ubyte.gz' : 't10k-images-idx3-ubyte'));
    const images = gzip ? require('zlib').gunzipSync(raw) : raw;
    const rows = task.test.read([4]);
    expect(rows.y[0]).toBe(4);
    for (const t of [0, 100, 783]) expect(rows.x[t]).toBeCloseTo((images[16 + 4 * 784 + t] / 255 - 0.1307) / 0.3081, 5);
  });
});

describe('custom JSONL', () => {
  test('real sequences with channels, integer classes, varying lengths masked', () => {
    const d = dir('custom-real');
    writeCustom(d, 'real', 2);
    const task = lc.data.customFiles({ dataDir: d, valFraction: 0.25 });
    expect(task).toMatchObject({ name: 'custom', inputs: 'real', dInput: 2, nClasses: 3, valFrom: 'train' });
    expect([task.train.size, task.val.size, task.test.size]).toEqual([9, 3, 4]);
    const lines = fs.readFileSync(path.join(d, 'test.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const rows = all(task.test);
    lines.forEach((ex, i) => {
      expect(Array.from(rows.x.subarray(i * rows.L * 2, i * rows.L * 2 + ex.x.length * 2))).toEqual(ex.x.flat().map(Math.fround));
      expect(rows.lengths![i]).toBe(ex.x.length);
      expect(rows.y[i]).toBe(ex.y);
    });
  });

  test('tokens: a vocabulary from train (or vocab.txt), class names sorted', () => {
    const d = dir('custom-tokens');
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'train.jsonl'), '{"x": ["b", "a", "b"], "y": "yes"}\n\n{"x": ["c"], "y": "no"}\n');
    fs.writeFileSync(path.join(d, 'test.jsonl'), '{"x": ["a", "z"], "y": "yes", "id": 7}\n');
    fs.writeFileSync(path.join(d, 'val.jsonl'), '{"x": ["c", "c"], "y": "no"}\n');
    const task = lc.data.customFiles({ dataDir: d });
    expect(task).toMatchObject({ inputs: 'tokens', nClasses: 2, valFrom: 'file', L: 3 });
    expect(task.vocabulary).toEqual(['<pad>', '<unk>', 'b', 'a', 'c']);
    expect(Array.from(all(task.train).x)).toEqual([2, 3, 2, 4, 0, 0]);
    expect(Array.from(all(task.test).x)).toEqual([3, 1]);
    expect(Array.from(all(task.train).y)).toEqual([1, 0]); // ['no', 'yes']
    fs.writeFileSync(path.join(d, 'vocab.txt'), 'a\nb\nc\n');
    expect(lc.data.customFiles({ dataDir: d }).vocabulary).toEqual(['<pad>', '<unk>', 'a', 'b', 'c']);
  });
});

describe('a missing or malformed file names the file, the expected format and its origin', () => {
  const cases: [string, () => void, RegExp][] = [
    ['missing CIFAR batch', () => { const d = dir('bad-cifar'); writeCifar(d); fs.rmSync(path.join(d, 'data_batch_3.bin')); lc.data.cifarFiles({ dataDir: d }); }, /data_batch_3\.bin: no such file; expected CIFAR-10 binary records .*\(cifar-10-binary\.tar\.gz/],
    ['truncated CIFAR batch', () => { const d = dir('bad-cifar2'); writeCifar(d); fs.truncateSync(path.join(d, 'test_batch.bin'), 3000); lc.data.cifarFiles({ dataDir: d }); }, /test_batch\.bin: 3000 bytes is not a whole number of 3073-byte records/],
    ['ListOps without header', () => { const d = dir('bad-listops'); writeListops(d); fs.writeFileSync(path.join(d, 'basic_val.tsv'), '[MAX 1 ]\t1\n'); lc.data.listopsFiles({ dataDir: d }); }, /basic_val\.tsv: line 1 is .*not the header; expected a tab-separated file .*\(the Long Range Arena release/],
    ['ListOps label out of range', () => { const d = dir('bad-listops2'); writeListops(d); fs.appendFileSync(path.join(d, 'basic_test.tsv'), '[MAX 1 ]\t12\n'); lc.data.listopsFiles({ dataDir: d }); }, /basic_test\.tsv: line 6 has no expression and value 0-9/],
    ['no aclImdb', () => lc.data.imdbFiles({ dataDir: dir('nothing-here') }), /nothing-here: no such directory; expected the aclImdb folder.*aclImdb_v1\.tar\.gz/],
    ['AAN with 4 fields', () => { const d = dir('bad-aan'); writeAan(d); fs.appendFileSync(path.join(d, 'new_aan_pairs.eval.tsv'), '1\ta\tb\tc\n'); lc.data.aanFiles({ dataDir: d }); }, /new_aan_pairs\.eval\.tsv: line 5 has 4 fields/],
    ['Pathfinder without metadata', () => { fs.mkdirSync(dir('bad-pf'), { recursive: true }); lc.data.pathfinderFiles({ dataDir: dir('bad-pf'), resolution: 32 }); }, /bad-pf[/\\]metadata: no such directory; expected the folder pathfinder32\/curv_contour_length_14/],
    ['corrupt PNG', () => { const d = dir('bad-png'); writePathfinder(d, 32); fs.writeFileSync(path.join(d, 'curv_contour_length_14', 'imgs', '0', 'sample_0.png'), 'not a png'); const t = lc.data.pathfinderFiles({ dataDir: d, resolution: 32 }); for (const s of [t.train, t.val, t.test]) all(s); }, /sample_0\.png: not a readable PNG/],
    ['MNIST wrong magic', () => { const d = dir('bad-mnist'); writeMnist(d, undefined, false); fs.writeFileSync(path.join(d, 'train-labels-idx1-ubyte'), Buffer.alloc(30)); lc.data.mnistFiles({ dataDir: d }); }, /train-labels-idx1-ubyte: magic number 0x00000000; expected MNIST IDX files/],
    ['custom JSONL not JSON', () => { const d = dir('bad-custom'); writeCustom(d, 'real'); fs.appendFileSync(path.join(d, 'test.jsonl'), '{"x": [1, 2], "y": 1\n'); lc.data.customFiles({ dataDir: d }); }, /test\.jsonl: line 5: not JSON .*; expected one JSON object per line/],
    ['custom JSONL mixed channels', () => { const d = dir('bad-custom2'); writeCustom(d, 'real', 2); fs.appendFileSync(path.join(d, 'train.jsonl'), '{"x": [[1, 2, 3]], "y": 0}\n'); lc.data.customFiles({ dataDir: d }); }, /train\.jsonl: line 13: 3 channels per position, earlier lines 2/],
    ['custom unknown class name', () => { const d = dir('bad-custom3'); writeCustom(d, 'tokens'); fs.appendFileSync(path.join(d, 'test.jsonl'), '{"x": ["a"], "y": "maybe"}\n'); lc.data.customFiles({ dataDir: d }); }, /test\.jsonl: example 5: class "maybe" does not occur in train\.jsonl/],
  ];
  for (const [name, fn, message] of cases) {
    test(name, () => {
      let error: unknown;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(lc.data.DataError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toMatch(/\n/);
    });
  }
});

test('forEachLine reads lines longer than its 4 MiB buffer and reports byte offsets', () => {
  const file = path.join(tmp, 'long-lines.txt');
  const long = 'x'.repeat((1 << 22) + 123);
  fs.writeFileSync(file, `a\n${long}\r\nlast`);
  const seen: [string, number, number][] = [];
  lc.data.forEachLine(file, (line, offset, number) => seen.push([line.length > 10 ? `long ${line.length}` : line.toString(), offset, number]));
  expect(seen).toEqual([['a', 0, 1], [`long ${long.length}`, 2, 2], ['last', 2 + long.length + 2, 3]]);
});
