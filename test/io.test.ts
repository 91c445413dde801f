// lc.io: the safetensors format (round trips, layout, rejection of corrupt files) and module +
// optimizer checkpoints (round trip, resuming training, mismatched checkpoints).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as lc from '../lib';
import { randomArray, testBadInput } from './helpers';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'longconv-io-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});
const file = (name: string) => path.join(dir, name);

/** A file in the format written by hand: header JSON as given (unpadded), then `data`. */
function rawFile(header: unknown, data: Buffer, headerText = JSON.stringify(header)): Buffer {
  const json = Buffer.from(headerText, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, data]);
}

function f32Bytes(values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeFloatLE(v, 4 * i));
  return b;
}

function expectMemory(before: ReturnType<typeof lc.memory>): void {
  const after = lc.memory();
  expect(after.cpu.tensors).toBe(before.cpu.tensors);
  expect(after.cpu.bytes).toBe(before.cpu.bytes);
}

describe('safetensors', () => {
  // '__proto__' (a computed key: an own property) checks that names are ordinary keys throughout.
  const shapes: Record<string, number[]> = { 'layers.0.weight': [3, 5], scalar: [], empty: [0, 4], long: [1001], 'odd.name/x': [2, 1, 3], ['__proto__']: [2] };
  const data = Object.fromEntries(Object.entries(shapes).map(([n, s], i) => [n, Float32Array.from(randomArray(s.reduce((a, b) => a * b, 1), 10 + i))]));

  test('round trip of several tensors (0-d and empty included) and metadata', () => {
    const tensors = Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, lc.tensor(data[n], s)]));
    lc.io.saveTensors(file('a.safetensors'), tensors, { epoch: '3', note: 'ünïcode ✓' });
    lc.dispose(Object.values(tensors));
    const before = lc.memory();
    const loaded = lc.io.loadTensors(file('a.safetensors'));
    expect(loaded.metadata).toEqual({ epoch: '3', note: 'ünïcode ✓' });
    expect(Object.keys(loaded.tensors)).toEqual(Object.keys(shapes));
    for (const [name, t] of Object.entries(loaded.tensors)) {
      expect(t.shape).toEqual(shapes[name]);
      expect(t.device).toBe('cpu');
      expect(Array.from(t.toFloat32Array())).toEqual(Array.from(data[name]));
    }
    lc.dispose(Object.values(loaded.tensors));
    expectMemory(before);
    expect(fs.existsSync(file('a.safetensors.tmp'))).toBe(false);
  });

  test('layout: 8-byte LE header length, data 8-byte aligned, F32 entries tiling the data in order', () => {
    const bytes = fs.readFileSync(file('a.safetensors'));
    const n = Number(bytes.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    expect(header.__metadata__).toEqual({ epoch: '3', note: 'ünïcode ✓' });
    let offset = 0;
    for (const [name, shape] of Object.entries(shapes)) {
      const size = 4 * shape.reduce((a, b) => a * b, 1);
      expect(header[name]).toEqual({ dtype: 'F32', shape, data_offsets: [offset, offset + size] });
      const values = bytes.subarray(8 + n + offset, 8 + n + offset + size);
      expect(Array.from({ length: size / 4 }, (_, i) => values.readFloatLE(4 * i))).toEqual(Array.from(data[name]));
      offset += size;
    }
    expect(bytes.length).toBe(8 + n + offset);
  });

  test('reads files written elsewhere: unpadded header, no metadata, entries out of order', () => {
    const header = { b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] }, a: { dtype: 'F32', shape: [1, 2], data_offsets: [0, 8] } };
    fs.writeFileSync(file('b.safetensors'), rawFile(header, f32Bytes([1, 2, 3, 4])));
    const { tensors, metadata } = lc.io.loadTensors(file('b.safetensors'));
    expect(metadata).toEqual({});
    expect(Array.from(tensors.a.toFloat32Array())).toEqual([1, 2]);
    expect(tensors.a.shape).toEqual([1, 2]);
    expect(Array.from(tensors.b.toFloat32Array())).toEqual([3, 4]);
    lc.dispose(Object.values(tensors));
  });

  describe('corrupt files are rejected with clear errors, creating nothing', () => {
    const good = { x: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } };
    const sixteen = f32Bytes([1, 2, 3, 4]);
    const valid = rawFile(good, sixteen);
    const hugeLength = Buffer.from(valid);
    hugeLength.writeBigUInt64LE(1n << 40n);
    const entry = (e: unknown) => rawFile({ x: e }, sixteen);
    const cases: [string, Buffer, RegExp][] = [
      ['shorter than the length field', valid.subarray(0, 5), /it has 5 bytes, fewer than the 8 of the header length/],
      ['truncated data', valid.subarray(0, valid.length - 4), /data_offsets \[0, 16\] lie outside the 12 bytes of data/],
      ['truncated header', valid.subarray(0, 20), /the header length \d+ exceeds the 12 bytes after it/],
      ['bad header length', hugeLength, /the header length 1099511627776 exceeds/],
      ['non-JSON header', rawFile(null, sixteen, '{"x": {dtype'), /the header is not valid UTF-8 JSON/],
      ['invalid UTF-8', rawFile(null, sixteen, '{}').fill(0xff, 8, 10), /not valid UTF-8 JSON/],
      ['header not an object', rawFile([1, 2], Buffer.alloc(0)), /the header is not a JSON object but an array/],
      ['wrong dtype', entry({ dtype: 'F16', shape: [2, 2], data_offsets: [0, 16] }), /tensor 'x': dtype "F16" is not supported \(only "F32"\)/],
      ['missing dtype', entry({ shape: [2, 2], data_offsets: [0, 16] }), /dtype undefined is not supported/],
      ['bad shape', entry({ dtype: 'F32', shape: [2, -2], data_offsets: [0, 16] }), /shape \[2,-2\] is not an array of non-negative integers/],
      ['size mismatch', entry({ dtype: 'F32', shape: [3], data_offsets: [0, 16] }), /shape \[3\] needs 12 bytes, data_offsets give 16/],
      ['offsets out of range', entry({ dtype: 'F32', shape: [4], data_offsets: [4, 20] }), /data_offsets \[4, 20\] lie outside the 16 bytes of data/],
      ['offsets reversed', entry({ dtype: 'F32', shape: [0], data_offsets: [8, 4] }), /lie outside/],
      ['offsets not integers', entry({ dtype: 'F32', shape: [4], data_offsets: [0, '16'] }), /data_offsets \[0,"16"\] is not \[begin, end\]/],
      ['unknown key', entry({ dtype: 'F32', shape: [2, 2], data_offsets: [0, 16], extra: 1 }), /unknown key 'extra'/],
      [
        'overlapping tensors',
        rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, sixteen),
        /the data of 'b' \[8, 16\) overlaps that of 'a' \(ending at 12\)/,
      ],
      [
        'a gap',
        rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, sixteen),
        /the bytes \[4, 8\) of the data belong to no tensor/,
      ],
      ['trailing bytes', rawFile(good, Buffer.concat([sixteen, Buffer.alloc(4)])), /the data has 20 bytes but its tensors cover 16/],
      ['non-string metadata', rawFile({ ...good, __metadata__: { step: 3 } }, sixteen), /__metadata__\['step'\]: expected a string, got number 3/],
    ];
    const prefix = /^loadTensors: '.*bad\.safetensors' is not a valid safetensors file: /.source;
    testBadInput(
      cases.map(([what, bytes, message]) => [
        what,
        () => {
          fs.writeFileSync(file('bad.safetensors'), bytes);
          lc.io.loadTensors(file('bad.safetensors'));
        },
        Error,
        new RegExp(prefix + '.*' + message.source),
      ]),
      { tidy: false },
    );
    test('a missing file', () => expect(() => lc.io.loadTensors(file('missing.safetensors'))).toThrow(/ENOENT/));
  });

  test('saveTensors rejects bad arguments before writing', () => {
    const x = lc.tensor([1, 2], [2]);
    const gone = lc.tensor([1], [1]);
    gone.dispose();
    const target = file('never.safetensors');
    expect(() => lc.io.saveTensors(target, { x, y: 3 as never })).toThrow(/tensors\['y'\]: expected a Tensor, got number 3/);
    expect(() => lc.io.saveTensors(target, { x, gone })).toThrow(/tensors\['gone'\]: expected a live Tensor, got a disposed one/);
    expect(() => lc.io.saveTensors(target, { __metadata__: x })).toThrow(/^tensors: expected names other than '' and '__metadata__', got the reserved name '__metadata__'/);
    expect(() => lc.io.saveTensors(target, { x }, { a: 1 as never })).toThrow(/metadata\['a'\]: expected a string, got number 1/);
    expect(() => lc.io.saveTensors(target, [x] as never)).toThrow(TypeError);
    expect(() => lc.io.saveTensors('' as string, { x })).toThrow(/path: expected a file path/);
    expect(fs.existsSync(target)).toBe(false);
    x.dispose();
  });
});

/** Two parameters (default and ssm groups) in a submodule-free module, and a buffer. */
class Tiny extends lc.nn.Module {
  constructor(seed: number, opts: { weightShape?: number[]; extra?: boolean; noBuffer?: boolean } = {}) {
    super();
    this.registerParameter('weight', lc.randn(opts.weightShape ?? [4, 3], { seed }));
    this.registerParameter('kernel.log_dt', lc.randn([3], { seed: seed + 1 }), 'ssm');
    if (!opts.noBuffer) this.registerBuffer('kernel_norm', lc.randn([2], { seed: seed + 2 }));
    if (opts.extra) this.registerParameter('extra', lc.zeros([1]));
  }

  /** loss = sum((weight · x)²) + sum(exp(log_dt)). */
  loss(x: lc.Tensor): lc.Tensor {
    const [[, w], [, logDt]] = this.namedParameters();
    return lc.add(lc.sum(lc.square(lc.mul(w, x))), lc.sum(lc.exp(logDt)));
  }
}

const stateOf = (m: lc.nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([n, t]) => [n, Array.from(t.toFloat32Array())]));
const momentsOf = (opt: lc.optim.AdamW) => {
  const { step, m, v } = opt.stateDict();
  const arrays = (r: Record<string, lc.Tensor>) => Object.fromEntries(Object.entries(r).map(([n, t]) => [n, Array.from(t.toFloat32Array())]));
  return { step, m: arrays(m), v: arrays(v) };
};

function train(net: Tiny, opt: lc.optim.AdamW, x: lc.Tensor, steps: number): void {
  for (let i = 0; i < steps; i++) {
    lc.tidy(() => net.loss(x).backward());
    opt.step();
    opt.zeroGrad();
  }
}

describe('checkpoints', () => {
  test('save/load round trip of a module and its optimizer; resuming equals training straight', () => {
    const x = lc.tensor(Float32Array.from(randomArray(12, 3)), [4, 3]);
    const straight = new Tiny(1);
    const optStraight = new lc.optim.AdamW(straight, { lr: 0.05 });
    train(straight, optStraight, x, 6);

    const first = new Tiny(1);
    const optFirst = new lc.optim.AdamW(first, { lr: 0.05 });
    train(first, optFirst, x, 3);
    lc.io.save(file('tiny.safetensors'), first, { optimizer: optFirst, metadata: { model: 'Tiny' } });
    expect(fs.existsSync(file('tiny.safetensors.optim.safetensors'))).toBe(true);

    const resumed = new Tiny(42);
    const optResumed = new lc.optim.AdamW(resumed, { lr: 0.05 });
    const before = lc.memory();
    expect(lc.io.load(file('tiny.safetensors'), resumed, { optimizer: optResumed })).toEqual({ model: 'Tiny' });
    // The optimizer gained its moments (2 parameters x m, v); nothing else stays alive.
    expect(lc.memory().cpu.tensors).toBe(before.cpu.tensors + 4);
    expect(stateOf(resumed)).toEqual(stateOf(first));
    expect(momentsOf(optResumed)).toEqual(momentsOf(optFirst));

    // The module file alone is an ordinary safetensors file of the state dict.
    const plain = lc.io.loadTensors(file('tiny.safetensors'));
    expect(Object.keys(plain.tensors)).toEqual(['weight', 'kernel.log_dt', 'kernel_norm']);
    lc.dispose(Object.values(plain.tensors));

    train(resumed, optResumed, x, 3);
    expect(stateOf(resumed)).toEqual(stateOf(straight));
    for (const [net, opt] of [[straight, optStraight], [first, optFirst], [resumed, optResumed]] as const) {
      net.dispose();
      opt.dispose();
    }
    x.dispose();
  });

  test('mismatched checkpoints (missing, extra, mis-shaped) throw RangeError and change nothing', () => {
    const saved = new Tiny(5);
    const optSaved = new lc.optim.AdamW(saved);
    const x = lc.ones([4, 3]);
    train(saved, optSaved, x, 1);
    lc.io.save(file('five.safetensors'), saved, { optimizer: optSaved });

    const cases: [string, Tiny, RegExp][] = [
      ['module with an extra parameter', new Tiny(6, { extra: true }), /missing 'extra' \[1\]/],
      ['module without the buffer', new Tiny(6, { noBuffer: true }), /unexpected 'kernel_norm'/],
      // The optimizer file is checked first (it holds the same mismatch).
      ['mis-shaped parameter', new Tiny(6, { weightShape: [3, 4] }), /does not fit the module: .*m\['weight'\]: expected shape \[3,4\], got \[4,3\]/],
    ];
    for (const [what, net, message] of cases) {
      const opt = new lc.optim.AdamW(net);
      const ones = lc.ones(net.namedParameters()[0][1].shape);
      train(net, opt, ones, 1);
      ones.dispose();
      const state = stateOf(net);
      const moments = momentsOf(opt);
      const before = lc.memory();
      let thrown: unknown;
      try {
        lc.io.load(file('five.safetensors'), net, { optimizer: opt });
      } catch (e) {
        thrown = e;
      }
      expect([what, thrown]).toEqual([what, expect.any(RangeError)]);
      expect([what, (thrown as Error).message]).toEqual([what, expect.stringMatching(message)]);
      expect(stateOf(net)).toEqual(state);
      expect(momentsOf(opt)).toEqual(moments);
      expectMemory(before);
      net.dispose();
      opt.dispose();
    }

    // Without an optimizer, the module's own check names the mis-shaped tensor.
    const misShaped = new Tiny(8, { weightShape: [3, 4] });
    const misShapedState = stateOf(misShaped);
    expect(() => lc.io.load(file('five.safetensors'), misShaped)).toThrow(RangeError);
    expect(() => lc.io.load(file('five.safetensors'), misShaped)).toThrow(/loadStateDict: 'weight': expected shape \[3,4\], got \[4,3\]/);
    expect(stateOf(misShaped)).toEqual(misShapedState);
    misShaped.dispose();

    // A good module file with a bad optimizer file: the module is not touched either.
    const target = new Tiny(7);
    const opt = new lc.optim.AdamW(target);
    const state = stateOf(target);
    const wrong = lc.zeros([4, 4]);
    lc.io.saveTensors(file('five.safetensors.optim.safetensors'), { 'm.weight': wrong, 'v.weight': wrong }, { format: 'longconv.AdamW', step: '1' });
    expect(() => lc.io.load(file('five.safetensors'), target, { optimizer: opt })).toThrow(/m\['weight'\]: expected shape \[4,3\], got \[4,4\]/);
    lc.io.saveTensors(file('five.safetensors.optim.safetensors'), { 'm.weight': wrong }, { step: '1' });
    expect(() => lc.io.load(file('five.safetensors'), target, { optimizer: opt })).toThrow(/is not an optimizer state written by io.save/);
    fs.rmSync(file('five.safetensors.optim.safetensors'));
    expect(() => lc.io.load(file('five.safetensors'), target, { optimizer: opt })).toThrow(/no optimizer state at '.*five.safetensors.optim.safetensors'/);
    expect(stateOf(target)).toEqual(state);
    expect(opt.stepCount).toBe(0);

    // Without an optimizer the module file alone loads.
    lc.io.load(file('five.safetensors'), target);
    expect(stateOf(target)).toEqual(stateOf(saved));

    const other = new lc.optim.AdamW(saved);
    expect(() => lc.io.save(file('x.safetensors'), target, { optimizer: other })).toThrow(/the optimizer trains another module/);
    expect(() => lc.io.load(file('five.safetensors'), {} as never)).toThrow(/module: expected an nn.Module/);
    expect(() => lc.io.save(file('x.safetensors'), target, { optimiser: opt } as never)).toThrow(/unknown option 'optimiser'/);
    for (const t of [wrong, x]) t.dispose();
    for (const m of [saved, target]) m.dispose();
  });
});
