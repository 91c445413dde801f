// lc.io: the safetensors format (round trips, layout, rejection of corrupt files) and module +
// optimizer checkpoints (round trip, resuming training, mismatched checkpoints).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as lc from '../lib';
import { randomArray, testBadInput, settledMemory } from './helpers';

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
    const before = settledMemory();
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
      [
        'a key twice',
        rawFile(null, sixteen, '{"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "x": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}'),
        /the header has the key "x" twice in one object/,
      ],
      [
        'a key twice within an entry',
        rawFile(null, sixteen, '{"x": {"dtype": "F32", "shape": [4], "shape": [2, 2], "data_offsets": [0, 16]}}'),
        /the header has the key "shape" twice/,
      ],
      [
        'metadata key twice (escaped the second time)',
        rawFile(null, sixteen, '{"__metadata__": {"step": "1", "st\\u0065p": "2"}, "x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}'),
        /the header has the key "step" twice/,
      ],
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
    test('every corrupt file has the code ERR_LONGCONV_INVALID_SAFETENSORS', () => {
      fs.writeFileSync(file('bad.safetensors'), rawFile([1], Buffer.alloc(0)));
      expect(() => lc.io.loadTensors(file('bad.safetensors'))).toThrow(expect.objectContaining({ code: lc.io.INVALID_SAFETENSORS }));
      expect(() => lc.io.readMetadata(file('bad.safetensors'))).toThrow(expect.objectContaining({ code: lc.io.INVALID_SAFETENSORS }));
    });
  });

  describe('only regular files are read: others are refused at once, never read or waited on', () => {
    const fifo = () => {
      const p = file('pipe');
      if (!fs.existsSync(p)) expect(spawnSync('mkfifo', [p]).status).toBe(0);
      return p;
    };
    const cases: [string, () => string, RegExp][] = [
      ['a FIFO (no writer: opening it blocks without O_NONBLOCK)', fifo, /is a FIFO \(named pipe\), not a regular file/],
      ['a directory', () => dir, /is a directory, not a regular file/],
      ['a character device that never ends', () => '/dev/zero', /is a character device, not a regular file/],
    ];
    for (const [what, where, message] of cases) {
      test(what, () => {
        for (const read of [lc.io.loadTensors, lc.io.readMetadata]) {
          let thrown: any;
          try {
            read(where());
          } catch (e) {
            thrown = e;
          }
          expect(thrown).toBeInstanceOf(TypeError);
          expect(thrown.code).toBe(lc.io.NOT_A_FILE);
          expect(thrown.message).toMatch(message);
        }
        const net = new lc.nn.Linear(2, 2);
        expect(() => lc.io.load(where(), net)).toThrow(expect.objectContaining({ code: lc.io.NOT_A_FILE }));
        net.dispose();
      });
    }
    test('a directory is not written over either', () => {
      const net = new lc.nn.Linear(2, 2);
      fs.mkdirSync(file('taken'), { recursive: true });
      expect(() => lc.io.save(file('taken'), net)).toThrow(expect.objectContaining({ code: lc.io.NOT_A_FILE, message: expect.stringMatching(/is a directory/) }));
      expect(() => lc.io.saveTensors(file('taken'), {})).toThrow(TypeError);
      net.dispose();
    });
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
    expect(fs.existsSync(lc.io.optimizerPath(file('tiny.safetensors'))!)).toBe(true);

    const resumed = new Tiny(42);
    const optResumed = new lc.optim.AdamW(resumed, { lr: 0.05 });
    const before = settledMemory();
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
      const before = settledMemory();
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
    const optimizerFile = lc.io.optimizerPath(file('five.safetensors'))!;
    const id = lc.io.readMetadata(optimizerFile)['longconv.checkpoint'];
    const loadFive = () => lc.io.load(file('five.safetensors'), target, { optimizer: opt });
    lc.io.saveTensors(optimizerFile, { 'm.weight': wrong, 'v.weight': wrong }, { format: 'longconv.AdamW', step: '1', 'longconv.checkpoint': id });
    expect(loadFive).toThrow(/m\['weight'\]: expected shape \[4,3\], got \[4,4\]/);
    lc.io.saveTensors(optimizerFile, { 'm.weight': wrong }, { step: '1', 'longconv.checkpoint': id });
    expect(loadFive).toThrow(expect.objectContaining({ code: 'ERR_LONGCONV_CHECKPOINT', message: expect.stringMatching(/is not an optimizer state written by io.save/) }));
    lc.io.saveTensors(optimizerFile, { 'm.weight': wrong, 'v.weight': wrong }, { format: 'longconv.AdamW', step: '1' });
    expect(loadFive).toThrow(expect.objectContaining({ code: 'ERR_LONGCONV_CHECKPOINT_MISMATCH', message: expect.stringMatching(/belongs to another save than/) }));
    fs.rmSync(optimizerFile);
    expect(loadFive).toThrow(expect.objectContaining({ code: 'ERR_LONGCONV_CHECKPOINT_MISMATCH', message: expect.stringMatching(/the optimizer state of '.*five.safetensors' is missing/) }));
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

  describe('durability', () => {
    const saveFresh = (name: string, seed = 11) => {
      const net = new Tiny(seed);
      const opt = new lc.optim.AdamW(net);
      const step = () => lc.tidy(() => train(net, opt, lc.ones([4, 3]), 1));
      step();
      return { net, opt, step, save: (metadata: Record<string, string> = {}) => lc.io.save(file(name), net, { optimizer: opt, metadata }) };
    };

    test('each file is flushed (fsync) before it is renamed, then its directory', () => {
      const { net, opt, save } = saveFresh('synced.safetensors');
      const calls: string[] = [];
      // The module object itself (lib/io reads its functions through it at each call).
      const nodeFs = require('fs') as typeof fs;
      const { fsyncSync, renameSync } = nodeFs;
      jest.spyOn(nodeFs, 'fsyncSync').mockImplementation((fd) => {
        calls.push(`fsync ${nodeFs.readlinkSync(`/proc/self/fd/${fd}`)}`);
        fsyncSync(fd);
      });
      jest.spyOn(nodeFs, 'renameSync').mockImplementation((from, to) => {
        calls.push(`rename ${path.basename(String(from))} -> ${path.basename(String(to))}`);
        renameSync(from, to);
      });
      try {
        save();
      } finally {
        jest.restoreAllMocks();
      }
      const optimizerFile = path.basename(lc.io.optimizerPath(file('synced.safetensors'))!);
      expect(calls.map((c) => c.replace(dir, '<dir>'))).toEqual([
        `fsync <dir>/${optimizerFile}.tmp`,
        `rename ${optimizerFile}.tmp -> ${optimizerFile}`,
        'fsync <dir>',
        'fsync <dir>/synced.safetensors.tmp',
        'rename synced.safetensors.tmp -> synced.safetensors', // the commit
        'fsync <dir>',
      ]);
      net.dispose();
      opt.dispose();
    });

    test('files of a killed save (temporary files, an uncommitted optimizer file) go at the next save', () => {
      const { net, opt, step, save } = saveFresh('killed.safetensors');
      save({ n: '1' });
      const committed = lc.io.optimizerPath(file('killed.safetensors'))!;
      // What a kill leaves: the temporary files of both writes, an optimizer file never committed.
      fs.writeFileSync(file('killed.safetensors.tmp'), 'partial');
      fs.writeFileSync(file('killed.safetensors.optim.0123456789abcdef.safetensors'), 'orphan');
      fs.writeFileSync(file('killed.safetensors.optim.fedcba9876543210.safetensors.tmp'), 'partial');
      fs.writeFileSync(file('killed.safetensors.optim.safetensors'), 'from an older version');
      // ...and the checkpoint still loads as it was.
      const copy = new Tiny(12);
      const copyOpt = new lc.optim.AdamW(copy);
      expect(lc.io.load(file('killed.safetensors'), copy, { optimizer: copyOpt })).toEqual({ n: '1' });
      expect(momentsOf(copyOpt)).toEqual(momentsOf(opt));
      step();
      save({ n: '2' });
      const now = lc.io.optimizerPath(file('killed.safetensors'))!;
      expect(now).not.toBe(committed);
      expect(fs.readdirSync(dir).filter((f) => f.startsWith('killed.'))).toEqual(['killed.safetensors', path.basename(now)].sort());
      for (const m of [net, copy]) m.dispose();
      for (const o of [opt, copyOpt]) o.dispose();
    });

    test('a symbolic link is written through: its target is updated and the link stays', () => {
      const { net, opt, save } = saveFresh('linked.safetensors');
      fs.mkdirSync(file('real'), { recursive: true });
      fs.writeFileSync(file('real/target.safetensors'), 'old contents');
      fs.symlinkSync('real/target.safetensors', file('linked.safetensors'));
      save({ via: 'link' });
      expect(fs.lstatSync(file('linked.safetensors')).isSymbolicLink()).toBe(true);
      expect(lc.io.readMetadata(file('real/target.safetensors'))).toMatchObject({ via: 'link' });
      expect(path.dirname(lc.io.optimizerPath(file('linked.safetensors'))!)).toBe(fs.realpathSync(file('real')));
      const copy = new Tiny(3);
      const copyOpt = new lc.optim.AdamW(copy);
      lc.io.load(file('linked.safetensors'), copy, { optimizer: copyOpt });
      expect(stateOf(copy)).toEqual(stateOf(net));
      // A dangling link: the file it names is created.
      fs.symlinkSync('real/created.safetensors', file('dangling.safetensors'));
      lc.io.save(file('dangling.safetensors'), net);
      expect(fs.lstatSync(file('dangling.safetensors')).isSymbolicLink()).toBe(true);
      expect(fs.statSync(file('real/created.safetensors')).isFile()).toBe(true);
      for (const m of [net, copy]) m.dispose();
      for (const o of [opt, copyOpt]) o.dispose();
    });
  });

  describe('model and optimizer belong together', () => {
    test('an optimizer file from another save is refused (ERR_LONGCONV_CHECKPOINT_MISMATCH), changing nothing', () => {
      const net = new Tiny(21);
      const opt = new lc.optim.AdamW(net);
      const x = lc.ones([4, 3]);
      train(net, opt, x, 1);
      lc.io.save(file('a.ckpt'), net, { optimizer: opt });
      const first = lc.io.optimizerPath(file('a.ckpt'))!;
      fs.copyFileSync(first, file('first-optimizer'));
      train(net, opt, x, 1);
      lc.io.save(file('a.ckpt'), net, { optimizer: opt });
      // The second save's module file with the first save's optimizer state, under the name it expects.
      fs.copyFileSync(file('first-optimizer'), lc.io.optimizerPath(file('a.ckpt'))!);
      const target = new Tiny(22);
      const targetOpt = new lc.optim.AdamW(target);
      const state = stateOf(target);
      let thrown: any;
      try {
        lc.io.load(file('a.ckpt'), target, { optimizer: targetOpt });
      } catch (e) {
        thrown = e;
      }
      expect(thrown?.code).toBe('ERR_LONGCONV_CHECKPOINT_MISMATCH');
      expect(thrown.message).toMatch(/belongs to another save than '.*a\.ckpt'/);
      expect(stateOf(target)).toEqual(state);
      expect(targetOpt.stepCount).toBe(0);
      for (const m of [net, target]) m.dispose();
      for (const o of [opt, targetOpt]) o.dispose();
      x.dispose();
    });

    test('asking for an optimizer state the checkpoint lacks, or an older unverifiable pair, is refused', () => {
      const net = new Tiny(31);
      const opt = new lc.optim.AdamW(net);
      lc.io.save(file('weights-only.safetensors'), net);
      expect(() => lc.io.load(file('weights-only.safetensors'), net, { optimizer: opt })).toThrow(
        expect.objectContaining({ code: 'ERR_LONGCONV_CHECKPOINT_MISMATCH', message: expect.stringMatching(/holds no optimizer state: it was saved without options.optimizer/) }),
      );
      // An older version's pair: the module file names no optimizer file and carries no id.
      lc.io.saveTensors(file('old.safetensors'), net.stateDict());
      lc.io.saveTensors(file('old.safetensors.optim.safetensors'), {}, { format: 'longconv.AdamW', step: '0' });
      expect(() => lc.io.load(file('old.safetensors'), net, { optimizer: opt })).toThrow(
        expect.objectContaining({ code: 'ERR_LONGCONV_CHECKPOINT_MISMATCH', message: expect.stringMatching(/written by an older longconv without a checkpoint id/) }),
      );
      lc.io.load(file('old.safetensors'), net); // the weights alone load
      expect(lc.io.optimizerPath(file('weights-only.safetensors'))).toBeUndefined();
      expect(() => lc.io.save(file('x.safetensors'), net, { metadata: { 'longconv.checkpoint': 'mine' } })).toThrow(/options.metadata\['longconv.checkpoint'\]: expected a key not starting with 'longconv.' \(reserved\)/);
      net.dispose();
      opt.dispose();
    });

    test.each([
      ['a negative second moment', 'v.weight', -1e-3, /'v.weight'\[5\] is -0.00\d+, moments must be finite and non-negative/],
      ['a NaN first moment', 'm.weight', NaN, /'m.weight'\[5\] is NaN, moments must be finite/],
      ['an infinite second moment', 'v.kernel.log_dt', Infinity, /'v.kernel.log_dt'\[5\] is Infinity/],
    ])('%s is rejected (ERR_LONGCONV_CHECKPOINT), changing nothing', (_, key, value, message) => {
      const net = new Tiny(41, key.endsWith('log_dt') ? { weightShape: [4, 3] } : {});
      const opt = new lc.optim.AdamW(net);
      const x = lc.ones([4, 3]);
      train(net, opt, x, 1);
      x.dispose();
      lc.io.save(file('moments.safetensors'), net, { optimizer: opt });
      const optimizerFile = lc.io.optimizerPath(file('moments.safetensors'))!;
      const loaded = lc.io.loadTensors(optimizerFile);
      const values = loaded.tensors[key].toFloat32Array();
      const index = Math.min(5, values.length - 1);
      values[index] = value;
      const replaced = { ...loaded.tensors, [key]: lc.tensor(values, loaded.tensors[key].shape) };
      lc.io.saveTensors(optimizerFile, replaced, loaded.metadata);
      lc.dispose([...Object.values(loaded.tensors), replaced[key]]);
      const target = new Tiny(42);
      const targetOpt = new lc.optim.AdamW(target);
      const state = stateOf(target);
      const expected = key.endsWith('log_dt') ? new RegExp(message.source.replace('\\[5\\]', `\\[${index}\\]`)) : message;
      expect(() => lc.io.load(file('moments.safetensors'), target, { optimizer: targetOpt })).toThrow(
        expect.objectContaining({ code: 'ERR_LONGCONV_CHECKPOINT', message: expect.stringMatching(expected) }),
      );
      expect(stateOf(target)).toEqual(state);
      for (const m of [net, target]) m.dispose();
      for (const o of [opt, targetOpt]) o.dispose();
    });
  });
});
