// io.loadPyTorch / io.savePyTorch against checkpoints written by the papers' official PyTorch
// code (test/fixtures/pytorch-reference, see its README) and torch.save files made by
// scripts/make_pytorch_fixtures.py (test/fixtures/pytorch-extra).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { zipSync } from 'fflate';
import * as lc from '../lib';
import { readPyTorchFile } from '../lib/io/torch_file';
import { setupCt } from '../lib/conv_kernels/s4';

const REF = path.join(__dirname, 'fixtures', 'pytorch-reference');
const EXTRA = path.join(__dirname, 'fixtures', 'pytorch-extra');
const cases = JSON.parse(fs.readFileSync(path.join(REF, 'cases.json'), 'utf8'));
const { H, N } = cases;
type Case = { id: string; layer: 's4d' | 's4' | 'sgconv' | 'multires'; L: number; lMax?: number; kernelDim?: number; channels?: number; k?: number };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'longconv-pytorch-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function makeLayer(c: Case, lMax = c.lMax): lc.nn.Module & { forward(x: lc.Tensor): lc.Tensor } {
  switch (c.layer) {
    case 's4d': return new lc.nn.S4D(H, { dState: N, seed: 3 });
    case 's4': return new lc.nn.S4(H, { dState: N, lMax: lMax!, seed: 3 });
    case 'sgconv': return new lc.nn.SGConv(H, { lMax: lMax!, kernelDim: c.kernelDim, channels: c.channels ?? 1, seed: 3 });
    case 'multires': return new lc.nn.MultiresConv(H, { lMax: lMax!, kernelSize: c.k, seed: 3 });
  }
}

/** max |a − b| / max |b|. */
function relErr(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

/** Forward and backward on the fixture's x and g; the largest relative error against the float64 values. */
function compare(m: lc.nn.Module & { forward(x: lc.Tensor): lc.Tensor }, fixture: Record<string, lc.Tensor>): { y: number; dx: number; grads: number } {
  m.eval();
  const x = lc.tensor(fixture.x.toFloat32Array(), fixture.x.shape as number[]);
  x.requiresGrad = true;
  const y = m.forward(x);
  const loss = lc.sum(lc.mul(y, fixture.g));
  loss.backward();
  const result = { y: relErr(y.toFloat32Array(), fixture.y64.toFloat32Array()), dx: relErr(x.grad!.toFloat32Array(), fixture.dx64.toFloat32Array()), grads: 0 };
  let count = 0;
  for (const [name, p] of m.namedParameters()) {
    const want = fixture[`grad64.${name}`];
    if (!want) continue;
    count++;
    result.grads = Math.max(result.grads, relErr(p.grad!.toFloat32Array(), want.toFloat32Array()));
  }
  expect(count).toBe(m.namedParameters().length);
  lc.dispose([x, y, loss, x.grad!]);
  m.dispose();
  return result;
}

const formats: [string, string][] = [['official.safetensors', ''], ['official.pt', ''], ['lightning.ckpt', 'model.']];

describe('loadPyTorch: the official checkpoints, every case and format, match the float64 reference', () => {
  for (const c of cases.cases as Case[]) {
    test(c.id, () => {
      const fixture = lc.io.loadTensors(path.join(REF, `${c.id}.fixture.safetensors`)).tensors;
      const tolerance = c.layer === 's4' ? 1e-4 : 1e-5;
      const report: string[] = [];
      for (const [suffix, prefix] of formats) {
        const m = makeLayer(c);
        lc.io.loadPyTorch(path.join(REF, `${c.id}.${suffix}`), m, { prefix });
        const err = compare(m, fixture);
        expect(err.y).toBeLessThan(tolerance);
        expect(err.dx).toBeLessThan(tolerance);
        expect(err.grads).toBeLessThan(tolerance);
        report.push(`${suffix} y ${err.y.toExponential(1)} dx ${err.dx.toExponential(1)} grads ${err.grads.toExponential(1)}`);
      }
      process.stdout.write(`${c.id}: ${report.join(' | ')}\n`);
      lc.dispose(Object.values(fixture));
    });
  }

  test('S4: C̃ of l_kernel = 128 re-targeted to a layer with lMax = 200 gives the same outputs', () => {
    const c = (cases.cases as Case[]).find((x) => x.id === 's4_L128')!;
    const fixture = lc.io.loadTensors(path.join(REF, 's4_L128.fixture.safetensors')).tensors;
    const m = makeLayer(c, 200);
    lc.io.loadPyTorch(path.join(REF, 's4_L128.official.pt'), m);
    const err = compare(m, fixture);
    expect(err.y).toBeLessThan(1e-4);
    expect(err.dx).toBeLessThan(1e-4);
    lc.dispose(Object.values(fixture));
  });

  test('S4: l_kernel = 0 (saved before the first forward) means C holds C, set up for lMax', () => {
    const source = new lc.nn.S4(H, { dState: N, lMax: 64, seed: 5 });
    const file = path.join(tmp, 's4_fresh.safetensors');
    lc.io.savePyTorch(file, source);
    // Rewrite the file as the reference writes a fresh layer: a plain C and l_kernel 0.
    const { tensors } = readRaw(file);
    const C = lc.randn([1, H, N / 2, 2], { seed: 9 });
    tensors['layer.kernel.C'] = { dtype: 'F32', shape: [1, H, N / 2, 2], data: C.toFloat32Array() };
    tensors['layer.kernel.l_kernel'] = { dtype: 'I64', shape: [], data: Float32Array.of(0) };
    writeRaw(file, tensors);
    const target = new lc.nn.S4(H, { dState: N, lMax: 64, seed: 6 });
    lc.io.loadPyTorch(file, target);
    const state = source.stateDict();
    const Lambda = lc.complex(lc.neg(lc.exp(state['kernel.log_A_real'])), state['kernel.A_imag']);
    const want = setupCt(C, { Lambda, P: state['kernel.P'], dt: lc.exp(state['kernel.log_dt']) }, 64);
    expect(relErr(target.stateDict()['kernel.C'].toFloat32Array(), want.toFloat32Array())).toBeLessThan(1e-6);
    lc.dispose([C, Lambda, want]);
    source.dispose();
    target.dispose();
  });

  test("SGConv: kernel_norm_initialized false leaves the norm to the first forward (not the file's ones)", () => {
    const m = new lc.nn.SGConv(H, { lMax: 200, kernelDim: 16, seed: 1 });
    lc.io.loadPyTorch(path.join(REF, 'sgconv_d16_L200_fresh.official.pt'), m);
    expect(m.normInitialized).toBe(false);
    const fresh = readPyTorchFile(path.join(REF, 'sgconv_d16_L200_fresh.official.pt')).value as Map<string, { data: Float32Array }>;
    expect(Array.from(fresh.get('kernel_norm')!.data).every((v) => v === 1)).toBe(true);
    lc.tidy(() => m.forward(lc.zeros([1, H, 200])));
    expect(m.normInitialized).toBe(true);
    m.dispose();
  });
});

// A safetensors file as plain arrays, to write variants of it.
type Raw = { dtype: string; shape: number[]; data: Float32Array };
function readRaw(file: string): { tensors: Record<string, Raw> } {
  const value = readPyTorchFile(file).value as Map<string, Raw>;
  return { tensors: Object.fromEntries(value) };
}
function writeRaw(file: string, tensors: Record<string, Raw>): void {
  const { writeSafetensors } = jest.requireActual('../lib/io/safetensors');
  const { encodeElements } = jest.requireActual('../lib/io/dtypes');
  writeSafetensors(file, Object.entries(tensors).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, bytes: encodeElements(t.dtype, t.data) })));
}

/** Loads `file` (saved from `m`) into `again` and expects every tensor bit-identical; disposes both. */
function expectRoundTrip(file: string, m: lc.nn.Module, again: lc.nn.Module, options?: lc.io.LoadPyTorchOptions): void {
  lc.io.loadPyTorch(file, again, options);
  const a = m.stateDict(), b = again.stateDict();
  for (const name of Object.keys(a)) expect([name, b[name].toFloat32Array()]).toEqual([name, a[name].toFloat32Array()]);
  m.dispose();
  again.dispose();
}

describe('savePyTorch', () => {
  test('writes the reference names, shapes and dtypes, and round-trips bit for bit', () => {
    for (const c of cases.cases as Case[]) {
      const m = makeLayer(c);
      lc.io.loadPyTorch(path.join(REF, `${c.id}.official.safetensors`), m);
      const file = path.join(tmp, `${c.id}.safetensors`);
      lc.io.savePyTorch(file, m);
      const written = readRaw(file).tensors;
      const official = cases.notes[c.id].official_shapes as Record<string, number[]>;
      expect(Object.keys(written).sort()).toEqual(Object.keys(official).sort());
      for (const [name, shape] of Object.entries(official)) expect([name, written[name].shape]).toEqual([name, shape]);
      if (c.layer === 's4') expect([written['layer.kernel.l_kernel'].dtype, written['layer.kernel.l_kernel'].data[0]]).toEqual(['I64', c.lMax]);
      if (c.layer === 'sgconv') expect(written.kernel_norm_initialized.dtype).toBe('BOOL');
      expectRoundTrip(file, m, makeLayer(c));
    }
  });

  test('SequenceClassifier ↔ example.py (S4D, S4, SGConv) and MultiresNet (MultiresConv), round trip', () => {
    const specs: [lc.nn.LayerSpec, string[]][] = [
      [{ type: 's4d', dState: 8 }, ['encoder.weight', 's4_layers.1.kernel.C', 'norms.1.weight', 'decoder.bias']],
      [{ type: 's4', dState: 8 }, ['s4_layers.0.layer.kernel.inv_dt', 's4_layers.1.output_linear.0.weight']],
      [{ type: 'sgconv', kernelDim: 4, glu: true }, ['s4_layers.0.output_linear.0.weight', 's4_layers.1.kernel_norm_initialized']],
      [{ type: 'multires', kernelSize: 2 }, ['seq_layers.0.h0', 'mixing_layers.1.0.weight', 'norms.0.bias', 'output_mapping.weight']],
    ];
    for (const [layer, names] of specs) {
      const make = (seed: number) => new lc.nn.SequenceClassifier({ dInput: 3, dModel: 4, nLayers: 2, nClasses: 5, layer, lMax: 16, seed });
      const m = make(1), again = make(2);
      const file = path.join(tmp, `classifier_${layer.type}.safetensors`);
      lc.io.savePyTorch(file, m);
      const written = readRaw(file).tensors;
      for (const name of names) expect(written[name]).toBeDefined();
      if (layer.type === 'multires') expect(written['encoder.weight'].shape).toEqual([4, 3, 1]); // Conv1d
      expectRoundTrip(file, m, again);
    }
  });

  test('a prefix selects one layer of a model file', () => {
    const model = new lc.nn.SequenceClassifier({ dInput: 2, dModel: 4, nLayers: 2, nClasses: 3, layer: { type: 's4d', dState: 8 }, seed: 4 });
    const file = path.join(tmp, 'model.safetensors');
    lc.io.savePyTorch(file, model);
    const layer = new lc.nn.S4D(4, { dState: 8, seed: 9 });
    lc.io.loadPyTorch(file, layer, { prefix: 's4_layers.1.', strict: false });
    expect(layer.stateDict()['kernel.C'].toFloat32Array()).toEqual(model.stateDict()['layers.1.layer.kernel.C'].toFloat32Array());
    model.dispose();
    layer.dispose();
  });

  test('configurations the reference cannot express are refused', () => {
    const m = new lc.nn.S4D(4, { dState: 8, channels: 2 });
    expect(() => lc.io.savePyTorch(path.join(tmp, 'x.safetensors'), m)).toThrow(/^module: expected an S4D the reference S4D can hold .*, got an S4D with channels = 2, which has no counterpart/);
    expect(() => lc.io.savePyTorch(path.join(tmp, 'x.safetensors'), new lc.nn.GELU() as never)).toThrow(TypeError);
    m.dispose();
  });
});

describe('loadPyTorch refuses what does not fit, with a named error, and changes nothing', () => {
  const s4dFile = path.join(REF, 's4d_L128.official.pt');

  test("another layer's file", () => {
    const m = new lc.nn.SGConv(H, { lMax: 128, kernelDim: 16 });
    const before = m.stateDict()['kernel_list.0'].toFloat32Array();
    expect(() => lc.io.loadPyTorch(s4dFile, m)).toThrow(lc.io.CheckpointMismatchError);
    expect(() => lc.io.loadPyTorch(s4dFile, m)).toThrow(/does not fit this SGConv: .*missing 'kernel_list\.0' \[1,4,16\].*unexpected 'kernel\.C' \[4,4,2\]/);
    expect(() => lc.io.loadPyTorch(path.join(REF, 'multires_k2_L128.official.pt'), m)).toThrow(/does not hold a SGConv state dict: none of its 3 keys/);
    expect(m.stateDict()['kernel_list.0'].toFloat32Array()).toEqual(before);
    m.dispose();
  });

  test('a Lightning checkpoint without the prefix lists the prefixes present', () => {
    const m = new lc.nn.S4D(H, { dState: N });
    expect(() => lc.io.loadPyTorch(path.join(REF, 's4d_L128.lightning.ckpt'), m)).toThrow(/prefixes present: 'model\.' \(7\)/);
    expect(() => lc.io.loadPyTorch(path.join(REF, 's4d_L128.lightning.ckpt'), m, { prefix: 'net.' })).toThrow(/no key starts with 'net\.'/);
    m.dispose();
  });

  test('a wrong shape (another lMax) is reported with the rest, and nothing is written', () => {
    const m = new lc.nn.MultiresConv(H, { lMax: 1000, kernelSize: 2 });
    const before = m.stateDict().h0.toFloat32Array();
    expect(() => lc.io.loadPyTorch(path.join(REF, 'multires_k2_L128.official.pt'), m)).toThrow(/'w' \(for 'w' \[4,12\]\): expected shape \[4,12\], got \[4,9\]/);
    expect(m.stateDict().h0.toFloat32Array()).toEqual(before);
    m.dispose();
  });

  test('a per-feature dt (dt_tie False) and an unknown dt_transform are refused clearly', () => {
    const m = new lc.nn.S4(H, { dState: N, lMax: 128 });
    const file = path.join(tmp, 'untied.safetensors');
    const { tensors } = readRaw(path.join(REF, 's4_L128.official.safetensors'));
    tensors['layer.kernel.inv_dt'] = { dtype: 'F32', shape: [H, N / 2], data: new Float32Array(H * N / 2) };
    writeRaw(file, tensors);
    expect(() => lc.io.loadPyTorch(file, m)).toThrow(/dt_tie = False/);
    expect(() => lc.io.loadPyTorch(file, m, { dtTransform: 'relu' as never })).toThrow(/^options\.dtTransform: expected 'exp' or 'softplus'/);
    m.dispose();
  });

  test('truncated files', () => {
    const m = new lc.nn.S4D(H, { dState: N });
    for (const name of ['s4d_L128.official.pt', 's4d_L128.official.safetensors']) {
      const bytes = fs.readFileSync(path.join(REF, name));
      const cut = path.join(tmp, `cut_${name}`);
      fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
      expect(() => lc.io.loadPyTorch(cut, m)).toThrow(lc.io.CheckpointError);
    }
    fs.writeFileSync(path.join(tmp, 'text.pt'), 'hello');
    expect(() => lc.io.loadPyTorch(path.join(tmp, 'text.pt'), m)).toThrow(/neither a safetensors file nor a torch\.save zip archive/);
    m.dispose();
  });

  test('a pickle naming a class outside the allow-list (torch.save of an object whose __reduce__ calls os.system)', () => {
    const m = new lc.nn.Linear(1, 1);
    const file = path.join(EXTRA, 'forbidden_global.pt');
    expect(() => lc.io.loadPyTorch(file, m)).toThrow(lc.io.UnpicklingError);
    expect(() => lc.io.loadPyTorch(file, m)).toThrow(/the global 'posix\.system' is not allowed/);
    m.dispose();
  });

  test('hand-made pickles: INST/OBJ opcodes, REDUCE of a non-global, BUILD on a dict, hooks, truncation', () => {
    const pkl = (...parts: (string | number[])[]) => {
      const bytes: number[] = [];
      for (const p of parts) bytes.push(...(typeof p === 'string' ? Buffer.from(p, 'latin1') : p));
      return Uint8Array.from(bytes);
    };
    const archive = (data: Uint8Array) => {
      const file = path.join(tmp, 'hand.pt');
      fs.writeFileSync(file, zipSync({ 'hand/data.pkl': data, 'hand/version': Buffer.from('3\n') }, { level: 0 }));
      return file;
    };
    const cases: [Uint8Array, RegExp][] = [
      [pkl([0x80, 2], '(ibuiltins\nobject\n', '.'), /the INST opcode/],
      [pkl([0x80, 2], '(', 'cbuiltins\nobject\n', 'o.'), /the global 'builtins\.object' is not allowed/],
      [pkl([0x80, 2], '}', ')', 'R.'), /REDUCE of a dict, not an allowed global/],
      [pkl([0x80, 2], '}', '}', 'b.'), /BUILD \(setting the state of an object\) on a dict/],
      [pkl([0x80, 2], 'ccollections\nOrderedDict\n', ')R', '}', 'b.'), /BUILD \(setting the state of an object\) on a dict/],
      [pkl([0x80, 2], 'X', [0xff, 0, 0, 0], 'ab'), /runs past the end of the stream/],
      [pkl([0x80, 2], '}'), /ends without a STOP opcode/],
      [pkl([0x80, 2], [0x82, 1], '.'), /extension-registry opcodes/],
    ];
    for (const [bytes, message] of cases) expect(() => readPyTorchFile(archive(bytes))).toThrow(message);
    expect(() => readPyTorchFile(archive(pkl([0x80, 2], '(', '.')))).toThrow(lc.io.UnpicklingError);
  });
});

// Reference S4 checkpoints in the two conditions the official ones lack: A, B, P shared across
// features (n_ssm < H, which loadPyTorch tiles) and dt_transform 'softplus'
// (scripts/make_pytorch_fixtures.py, section 4). The official code cannot run here, so the
// expected values come from a float64 implementation of the reference S4Block in the generator,
// which first reproduces the official float64 outputs and gradients of the s4_* cases above
// (to 5.6e-8); the new cases differ from those only through the two definitions under test,
// taken from the reference: feature h uses SSM copy h mod n_ssm (einops '(v t)'), and
// dt = softplus(inv_dt). That is a stronger check than an equivalence between two longconv
// loads, which would share any mistake of the conversion. The generator also asserts that the
// other tiling order and the other dt transform each move the outputs by more than 1e-2, so
// these cases tell them apart.
const s4Cases = JSON.parse(fs.readFileSync(path.join(EXTRA, 's4_cases.json'), 'utf8'));
type S4Case = { id: string; lMax: number; L: number; nSsm: number; dtTransform: 'exp' | 'softplus'; fresh: boolean };
/** The float64 outputs and per-feature gradients of an S4 case (longconv names, n_ssm = H, log dt). */
const expected = (c: S4Case): Record<string, lc.Tensor> => {
  const value = readPyTorchFile(path.join(EXTRA, `${c.id}.expected.pt`)).value as Map<string, Raw>;
  return Object.fromEntries([...value].map(([name, t]) => [name, lc.tensor(t.data, t.shape)]));
};

describe('loadPyTorch: reference S4 with n_ssm < H and dt_transform softplus, against float64', () => {
  const makeS4 = (lMax: number) => new lc.nn.S4(s4Cases.H, { dState: s4Cases.N, lMax, seed: 3 });

  for (const c of s4Cases.cases as S4Case[]) {
    const file = path.join(EXTRA, `${c.id}.pt`);
    const options = { dtTransform: c.dtTransform };
    test(`${c.id}: outputs and gradients, and with C̃ re-targeted to lMax 256`, () => {
      const fixture = expected(c);
      const report: string[] = [];
      for (const lMax of [c.lMax, 256]) {
        const m = makeS4(lMax);
        lc.io.loadPyTorch(file, m, options);
        const err = compare(m, fixture);
        expect(err.y).toBeLessThan(1e-4);
        expect(err.dx).toBeLessThan(1e-4);
        // With another lMax, C̃ (and so its gradient) is another tensor.
        if (lMax === c.lMax) expect(err.grads).toBeLessThan(1e-4);
        report.push(`lMax ${lMax}: y ${err.y.toExponential(1)} dx ${err.dx.toExponential(1)}${lMax === c.lMax ? ` grads ${err.grads.toExponential(1)}` : ''}`);
      }
      process.stdout.write(`${c.id}: ${report.join(' | ')}\n`);
      lc.dispose(Object.values(fixture));
    });

    test(`${c.id}: savePyTorch writes one SSM per feature (n_ssm = H) and dt under the transform; round trip`, () => {
      const m = makeS4(c.lMax);
      lc.io.loadPyTorch(file, m, options);
      const out = path.join(tmp, `${c.id}.safetensors`);
      lc.io.savePyTorch(out, m, options);
      const source = readPyTorchFile(file).value as Map<string, Raw>;
      const written = readRaw(out).tensors;
      const { H } = s4Cases, n = s4Cases.N / 2;
      for (const [name, perRow] of [['A_real', n], ['A_imag', n], ['B', 2 * n], ['P', 2 * n]] as const) {
        const src = source.get(`layer.kernel.${name}`)!.data;
        const want = Float32Array.from({ length: H * perRow }, (_, i) => src[((Math.floor(i / perRow) % c.nSsm) * perRow) + (i % perRow)]);
        expect([name, written[`layer.kernel.${name}`].data]).toEqual([name, want]);
      }
      // inv_dt comes back through log dt: two float32 roundings of a map of slope ≈ 1 + dt/2,
      // so within 2 ulps of the file's.
      const invDt = source.get('layer.kernel.inv_dt')!.data;
      written['layer.kernel.inv_dt'].data.forEach((v, h) => expect(Math.abs(v - invDt[h])).toBeLessThanOrEqual(2 * 2 ** (Math.floor(Math.log2(Math.abs(invDt[h]))) - 23)));
      expectRoundTrip(out, m, makeS4(c.lMax), options);
    });
  }

  test('softplus: log dt from −800 to 80 stays finite both ways and comes back (exactly at both ends)', () => {
    const m = makeS4(128);
    const logDt = Float32Array.of(-800, -0.5, 7, 80);
    m.loadStateDict({ 'kernel.log_dt': { data: logDt, shape: [4] } }, { strict: false });
    const out = path.join(tmp, 's4_softplus_extremes.safetensors');
    lc.io.savePyTorch(out, m, { dtTransform: 'softplus' });
    // inv_dt = log(e^dt − 1): log dt for tiny dt, dt + log(1 − e^−dt) for large dt.
    const want = [-800, Math.log(Math.expm1(Math.exp(-0.5))), Math.exp(7), Math.exp(80)].map(Math.fround);
    expect(Array.from(readRaw(out).tensors['layer.kernel.inv_dt'].data)).toEqual(want);
    const again = makeS4(128);
    lc.io.loadPyTorch(out, again, { dtTransform: 'softplus' });
    const back = again.stateDict()['kernel.log_dt'].toFloat32Array();
    expect([back[0], back[2], back[3]]).toEqual([-800, Math.fround(7), 80]);
    expect(Math.abs(back[1] - logDt[1])).toBeLessThanOrEqual(6e-8);
    m.dispose();
    again.dispose();
  });

  test('the softplus file read as exp (the default) is far off: the dt transform is what these cases test', () => {
    const c = (s4Cases.cases as S4Case[]).find((x) => x.dtTransform === 'softplus' && !x.fresh)!;
    const fixture = expected(c);
    const m = makeS4(c.lMax);
    lc.io.loadPyTorch(path.join(EXTRA, `${c.id}.pt`), m);
    expect(compare(m, fixture).y).toBeGreaterThan(1e-2);
    lc.dispose(Object.values(fixture));
  });
});

/**
 * The case's float64 gradients in the parameterisation of `m`: per-feature gradients of A, B, P
 * summed over the features that share a copy (feature h uses copy h mod nSsm), and with a
 * softplus dt the gradient of inv_dt = that of log dt · d log dt / d inv_dt = σ(p) / softplus(p).
 */
function gradientsFor(m: lc.nn.S4, fixture: Record<string, lc.Tensor>): Record<string, lc.Tensor> {
  const { H, nSsm: S } = m;
  const out = { ...fixture };
  const sum = (name: string, axis: number) => {
    const t = fixture[`grad64.kernel.${name}`];
    const shape = t.shape as number[];
    const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1), inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const g = t.toFloat32Array(), summed = new Float64Array(outer * S * inner);
    for (let o = 0; o < outer; o++) for (let h = 0; h < H; h++) for (let i = 0; i < inner; i++) summed[(o * S + (h % S)) * inner + i] += g[(o * H + h) * inner + i];
    out[`grad64.kernel.${name}`] = lc.tensor(Float32Array.from(summed), shape.map((d, i) => (i === axis ? S : d)));
  };
  sum('log_A_real', 0);
  sum('A_imag', 0);
  sum('B', 0);
  sum('P', 1);
  if (m.dtTransform === 'softplus') {
    const p = m.stateDict()['kernel.inv_dt'].toFloat32Array(), g = fixture['grad64.kernel.log_dt'].toFloat32Array();
    out['grad64.kernel.inv_dt'] = lc.tensor(Float32Array.from(p, (v, h) => (g[h] / (1 + Math.exp(-v))) / Math.log1p(Math.exp(v))), [H]);
  }
  return out;
}

describe('loadPyTorch/savePyTorch: an S4 with the reference\'s n_ssm and dt_transform holds its checkpoint as it is', () => {
  const file = (c: S4Case) => path.join(EXTRA, `${c.id}.pt`);
  const layerFor = (c: S4Case, options: Partial<lc.nn.S4Options> = {}) => new lc.nn.S4(s4Cases.H, { dState: s4Cases.N, lMax: c.lMax, nSsm: c.nSsm, dtTransform: c.dtTransform, seed: 3, ...options });

  for (const c of s4Cases.cases as S4Case[]) {
    test(`${c.id}: nSsm ${c.nSsm}, dtTransform ${c.dtTransform}: the file's values unchanged; outputs and (summed) gradients against float64; saved back unchanged`, () => {
      const m = layerFor(c);
      lc.io.loadPyTorch(file(c), m); // no options: the layer's own transform
      const source = readPyTorchFile(file(c)).value as Map<string, Raw>;
      const sd = m.stateDict();
      const dtName = c.dtTransform === 'exp' ? 'kernel.log_dt' : 'kernel.inv_dt';
      expect(Array.from(sd[dtName].toFloat32Array())).toEqual(Array.from(source.get('layer.kernel.inv_dt')!.data));
      expect(Array.from(sd['kernel.log_A_real'].toFloat32Array())).toEqual(Array.from(source.get('layer.kernel.A_real')!.data));
      expect(sd['kernel.P'].shape).toEqual([1, c.nSsm, s4Cases.N / 2, 2]);
      const out = path.join(tmp, `${c.id}_native.safetensors`);
      lc.io.savePyTorch(out, m);
      const written = readRaw(out).tensors;
      for (const name of ['inv_dt', 'A_real', 'A_imag', 'B', 'P']) {
        const src = source.get(`layer.kernel.${name}`)!;
        expect([name, written[`layer.kernel.${name}`].shape, Array.from(written[`layer.kernel.${name}`].data)]).toEqual([name, src.shape, Array.from(src.data)]);
      }
      const fixture = expected(c);
      const wanted = gradientsFor(m, fixture);
      const err = compare(m, wanted);
      lc.dispose(Object.values(wanted).filter((t) => !Object.values(fixture).includes(t)));
      process.stdout.write(`${c.id} into nSsm ${c.nSsm}, ${c.dtTransform}: y ${err.y.toExponential(1)} dx ${err.dx.toExponential(1)} grads ${err.grads.toExponential(1)}\n`);
      expect(err.y).toBeLessThan(1e-4);
      expect(err.dx).toBeLessThan(1e-4);
      expect(err.grads).toBeLessThan(1e-4);
      expectRoundTrip(out, (() => { const a = layerFor(c); lc.io.loadPyTorch(out, a); return a; })(), layerFor(c, { seed: 9 }));
      lc.dispose(Object.values(fixture));
    });
  }

  test('a file with fewer copies than the layer\'s nSsm is repeated (n_ssm 1 into nSsm 2); more copies are refused', () => {
    const one = (s4Cases.cases as S4Case[]).find((x) => x.nSsm === 1)!;
    const m = layerFor(one, { nSsm: 2 });
    lc.io.loadPyTorch(file(one), m);
    const a = m.stateDict()['kernel.log_A_real'].toFloat32Array();
    expect(Array.from(a.subarray(0, a.length / 2))).toEqual(Array.from(a.subarray(a.length / 2)));
    const fixture = expected(one);
    const x = lc.tensor(fixture.x.toFloat32Array(), fixture.x.shape as number[]);
    const y = lc.noGrad(() => m.eval().forward(x));
    expect(relErr(y.toFloat32Array(), fixture.y64.toFloat32Array())).toBeLessThan(1e-4);
    lc.dispose([x, y, ...Object.values(fixture)]);
    m.dispose();
    const two = (s4Cases.cases as S4Case[]).find((x) => x.nSsm === 2 && !x.fresh)!;
    const narrow = layerFor(two, { nSsm: 1 });
    expect(() => lc.io.loadPyTorch(file(two), narrow)).toThrow(/'layer\.kernel\.A_real' \(for 'kernel\.log_A_real' \[1,4\]\): expected shape \[1,4\] \(or with a divisor of the layer's nSsm = 1 at axis 0: fewer SSM copies, repeated\), got \[2,4\]/);
    narrow.dispose();
  });

  test('a softplus layer reads and writes an exp file through dt (options.dtTransform)', () => {
    const c = (s4Cases.cases as S4Case[]).find((x) => x.dtTransform === 'exp' && x.nSsm === 1)!;
    const m = layerFor(c, { dtTransform: 'softplus' });
    lc.io.loadPyTorch(file(c), m, { dtTransform: 'exp' });
    const fixture = expected(c);
    const x = lc.tensor(fixture.x.toFloat32Array(), fixture.x.shape as number[]);
    const y = lc.noGrad(() => m.eval().forward(x));
    expect(relErr(y.toFloat32Array(), fixture.y64.toFloat32Array())).toBeLessThan(1e-4);
    const out = path.join(tmp, 'softplus_as_exp.safetensors');
    lc.io.savePyTorch(out, m, { dtTransform: 'exp' });
    const logDt = (readPyTorchFile(file(c)).value as Map<string, Raw>).get('layer.kernel.inv_dt')!.data;
    readRaw(out).tensors['layer.kernel.inv_dt'].data.forEach((v, h) => expect(Math.abs(v - logDt[h])).toBeLessThanOrEqual(4 * 2 ** (Math.floor(Math.log2(Math.abs(logDt[h]))) - 23)));
    lc.dispose([x, y, ...Object.values(fixture)]);
    m.dispose();
  });

  test('S4D: a softplus layer holds the reference S4D through log_dt; shared A or a trained B have no counterpart', () => {
    const c = (cases.cases as Case[]).find((x) => x.layer === 's4d')!;
    const m = new lc.nn.S4D(H, { dState: N, dtTransform: 'softplus', seed: 3 });
    lc.io.loadPyTorch(path.join(REF, `${c.id}.official.safetensors`), m);
    const fixture = lc.io.loadTensors(path.join(REF, `${c.id}.fixture.safetensors`)).tensors;
    const p = m.stateDict()['kernel.inv_dt'].toFloat32Array(), g = fixture['grad64.kernel.log_dt'].toFloat32Array();
    const err = compare(m, { ...fixture, 'grad64.kernel.inv_dt': lc.tensor(Float32Array.from(p, (v, h) => (g[h] / (1 + Math.exp(-v))) / Math.log1p(Math.exp(v))), [H]) });
    expect(Math.max(err.y, err.dx, err.grads)).toBeLessThan(1e-5);
    const again = new lc.nn.S4D(H, { dState: N, dtTransform: 'softplus', seed: 3 });
    lc.io.loadPyTorch(path.join(REF, `${c.id}.official.safetensors`), again);
    const out = path.join(tmp, 's4d_softplus.safetensors');
    lc.io.savePyTorch(out, again);
    const logDt = (readPyTorchFile(path.join(REF, `${c.id}.official.safetensors`)).value as Map<string, Raw>).get('kernel.log_dt')!.data;
    readRaw(out).tensors['kernel.log_dt'].data.forEach((v, h) => expect(Math.abs(v - logDt[h])).toBeLessThanOrEqual(4 * 2 ** (Math.floor(Math.log2(Math.abs(logDt[h]))) - 23)));
    again.dispose();
    lc.dispose(Object.values(fixture));
    for (const options of [{ nSsm: 2 }, { trainB: true }] as lc.nn.S4DOptions[]) {
      const s = new lc.nn.S4D(H, { dState: N, ...options });
      expect(() => lc.io.savePyTorch(path.join(tmp, 'never.safetensors'), s)).toThrow(/^module: expected an S4D the reference S4D can hold .* which has no counterpart/);
      s.dispose();
    }
  });

  test('SGConv with powerDecay ↔ GConv in a learnable_fixed mode: one multiplier, the exponents in decay; round trip', () => {
    const make = (seed: number) => new lc.nn.SGConv(H, { lMax: 64, kernelDim: 8, decay: 1, powerDecay: [0.5, 1.5], seed });
    const m = make(1);
    const out = path.join(tmp, 'sgconv_power.safetensors');
    lc.io.savePyTorch(out, m);
    const written = readRaw(out).tensors;
    expect([written.multiplier.shape, Array.from(written.multiplier.data)]).toEqual([[], [1]]);
    expect(Array.from(written.decay.data)).toEqual(Array.from(m.stateDict().decay.toFloat32Array()));
    expectRoundTrip(out, m, make(2));
    const plain = new lc.nn.SGConv(H, { lMax: 64, kernelDim: 8 });
    expect(() => lc.io.loadPyTorch(out, plain)).toThrow(/unexpected 'decay' \[4\]/);
    plain.dispose();
    const spread = new lc.nn.SGConv(H, { lMax: 64, kernelDim: 8, decay: [1, 2], powerDecay: 1 });
    expect(() => lc.io.savePyTorch(path.join(tmp, 'never.safetensors'), spread)).toThrow(/^module: expected an SGConv with powerDecay and one multiplier for every feature/);
    spread.dispose();
  });
});

describe('torch.save files beyond the official ones (scripts/make_pytorch_fixtures.py, torch 1.13)', () => {
  test('dtypes (F64, F16, BF16, complex64, int64, int32, uint8, bool), offsets, strides, stride 0, shared storages', () => {
    const value = readPyTorchFile(path.join(EXTRA, 'dtypes_views.pt')).value as Map<string, Raw>;
    const want = JSON.parse(fs.readFileSync(path.join(EXTRA, 'dtypes_views.json'), 'utf8')) as Record<string, { shape: number[]; data: number[] }>;
    expect([...value.keys()]).toEqual(Object.keys(want));
    for (const [name, t] of value) {
      expect([name, t.shape]).toEqual([name, want[name].shape]);
      expect([name, Array.from(t.data)]).toEqual([name, want[name].data.map(Math.fround)]);
    }
  });

  test('nested containers around a state dict (protocol 4: frames, memoize, sets)', () => {
    const value = readPyTorchFile(path.join(EXTRA, 'nested_protocol4.pt')).value as Map<string, unknown>;
    expect(value.get('epoch')).toBe(1);
    expect(value.get('extra')).toEqual([1.5, null, [true, 'x'], new Set([3, 4])]);
    expect((value.get('state_dict') as Map<string, Raw>).get('w')!.data).toEqual(Float32Array.of(1, 1));
  });
});

// The references' initialisations (s4d.py S4DKernel, s4.py SSMKernelDPLR with nplr('legs'),
// gconv_standalone.py GConv, multireslayer.py MultiresLayer), as distributions.
describe('initialisations follow the reference distributions', () => {
  const stats = (v: Float32Array) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return { mean, variance: v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length, max: v.reduce((a, b) => Math.max(a, Math.abs(b)), 0) };
  };
  test('S4D: C complex normal of variance 1, log_A_real = log ½, A_imag = πn, log dt ~ U(log 1e-3, log 1e-1), D ~ N(0,1)', () => {
    const m = new lc.nn.S4D(64, { dState: 128, seed: 1 });
    const s = m.stateDict();
    const C = stats(s['kernel.C'].toFloat32Array());
    expect(Math.abs(C.mean)).toBeLessThan(0.02);
    expect(Math.abs(C.variance - 0.5)).toBeLessThan(0.03);
    expect(Array.from(s['kernel.log_A_real'].toFloat32Array()).every((v) => v === Math.fround(Math.log(0.5)))).toBe(true);
    s['kernel.A_imag'].toFloat32Array().forEach((v, i) => expect(v).toBe(Math.fround(Math.PI * (i % 64))));
    const logDt = s['kernel.log_dt'].toFloat32Array();
    expect(Math.min(...logDt)).toBeGreaterThanOrEqual(Math.fround(Math.log(1e-3)));
    expect(Math.max(...logDt)).toBeLessThanOrEqual(Math.fround(Math.log(1e-1)));
    expect(Math.abs(stats(s.D.toFloat32Array()).variance - 1)).toBeLessThan(0.5);
    m.dispose();
  });

  test("S4: Λ, P, B are the reference's nplr('legs') (B clipped at 2), repeated over H", () => {
    const m = new lc.nn.S4(3, { dState: 16, lMax: 32, seed: 1 });
    const ref = lc.io.loadTensors(path.join(REF, 'hippo_legs_nplr.safetensors')).tensors;
    const [L, P, B, V] = ['Lambda', 'P', 'B', 'V'].map((k) => ref[`N16.clip2.${k}`].toFloat32Array());
    const s = m.stateDict();
    const [logA, aImag, Pm, Bm] = ['kernel.log_A_real', 'kernel.A_imag', 'kernel.P', 'kernel.B'].map((k) => s[k].toFloat32Array());
    for (let h = 0; h < 3; h++) {
      for (let k = 0; k < 8; k++) {
        const sign = Math.sign(V[2 * k]); // the reference's eigenvector signs are LAPACK's
        expect(-Math.exp(logA[h * 8 + k])).toBeCloseTo(L[2 * k], 6);
        expect(aImag[h * 8 + k]).toBe(L[2 * k + 1]);
        for (const [ours, theirs] of [[Pm, P], [Bm, B]]) {
          expect(sign * ours[2 * (h * 8 + k)]).toBe(theirs[2 * k]);
          expect(sign * ours[2 * (h * 8 + k) + 1]).toBe(theirs[2 * k + 1]);
        }
      }
    }
    lc.dispose(Object.values(ref));
    m.dispose();
  });

  test('SGConv: kernel_list, D ~ N(0,1); multiplier linspace(2, 2); output_linear U(±1/√fan_in); the norm from the first forward', () => {
    const m = new lc.nn.SGConv(64, { lMax: 256, kernelDim: 32, seed: 1 });
    const s = m.stateDict();
    const k = stats(s['kernel_list.0'].toFloat32Array());
    expect(Math.abs(k.mean)).toBeLessThan(0.03);
    expect(Math.abs(k.variance - 1)).toBeLessThan(0.05);
    expect(Array.from(s.multiplier.toFloat32Array()).every((v) => v === 2)).toBe(true);
    const w = stats(s['output_linear.weight'].toFloat32Array());
    expect(w.max).toBeLessThanOrEqual(1 / 8);
    expect(Math.abs(w.variance - 1 / 64 / 3)).toBeLessThan(0.002);
    expect(m.normInitialized).toBe(false);
    m.dispose();
  });

  test('MultiresConv: h0, h1 ~ U(±√(2/2k)), w ~ U(±√(2/(2m+2))) with m = J+1', () => {
    const m = new lc.nn.MultiresConv(512, { lMax: 128, kernelSize: 2, seed: 1 });
    const s = m.stateDict();
    for (const [name, bound] of [['h0', Math.sqrt(2 / 4)], ['w', Math.sqrt(2 / (2 * 8 + 2))]] as const) {
      const st = stats(s[name].toFloat32Array());
      expect(st.max).toBeLessThanOrEqual(bound);
      expect(st.max).toBeGreaterThan(0.95 * bound);
      expect(Math.abs(st.variance - bound ** 2 / 3) / (bound ** 2 / 3)).toBeLessThan(0.1);
    }
    m.dispose();
  });
});
