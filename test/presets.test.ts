// The presets against the numbers cited in their comments (lib/cli/presets.ts: every value
// carries `// <config key>: <config value>`, or `// (why)` where no config states it), the run
// settings they give, and explicit flags overriding them.
import * as fs from 'fs';
import * as path from 'path';
import { PRESETS } from '../lib/cli/presets';
import { runConfig } from '../lib/cli/tasks';

const source = fs.readFileSync(path.join(__dirname, '..', 'lib', 'cli', 'presets.ts'), 'utf8');

// The keys of PresetValues and of the layers' options that presets set.
const VALUE_KEYS = new Set([
  'epochs', 'batch', 'devices', 'layers', 'dModel', 'dropout', 'tiedDropout', 'prenorm', 'norm', 'pool', 'lr', 'weightDecay', 'ssmLr', 'dtLr',
  'ssmWeightDecay', 'cLr', 'dWeightDecay', 'normWeightDecay', 'warmupSteps', 'totalSteps', 'warmupEpochs', 'gradientClip', 'seed', 'maxLength',
  'dState', 'dtMin', 'dtMax', 'dtTransform', 'nSsm', 'trainB', 'bidirectional', 'init', 'kernelDim', 'decay', 'powerDecay', 'initScale', 'glu', 'lMax',
  'kernelSize', 'independentSkipInit',
]);
// How a config's words read as preset values. GConv's mode names its sub-kernels' initialisation (cat_randn*, cat_cos).
const WORDS: Record<string, unknown> = {
  pool: 'mean', last: 'last', batch: 'batch', layer: 'layer', 'diag-lin': 'lin', glu: true, null: 'main', true: true, false: false, softplus: 'softplus',
  cat_randn: 'randn', cat_randn_learnable_fixed: 'randn', cat_cos: 'cos',
};

// Per preset key, words that read otherwise: Lightning's gradient_clip_val null or 0.0 both mean no clipping (0).
const KEY_WORDS: Record<string, Record<string, unknown>> = { gradientClip: { null: 0 } };

function configValue(word: string, key: string): unknown {
  if (KEY_WORDS[key] && word in KEY_WORDS[key]) return KEY_WORDS[key][word];
  if (word in WORDS) return WORDS[word];
  const n = Number(word);
  if (word.trim() !== '' && Number.isFinite(n)) return n;
  throw new Error(`unreadable config value '${word}'`);
}

// `key: value, // [file] cfg.key: v[, cfg.key2: v2]` lines of the presets file.
const valueLines = source.split('\n').map((line, i) => ({ line, number: i + 1, m: /^\s+(\w+): (.+?),(?:\s*\/\/ (.*))?$/.exec(line) })).filter(({ m }) => m && VALUE_KEYS.has(m[1]) && !/^\{/.test(m[2]));

test('the presets file has value lines to check', () => {
  expect(valueLines.length).toBeGreaterThan(200);
});

describe('every preset value equals the config value cited next to it', () => {
  for (const { line, number, m } of valueLines) {
    test(`line ${number}: ${line.trim()}`, () => {
      const [, key, literal, comment] = m!;
      expect(comment).toBeDefined(); // every value says where it comes from
      if (comment!.startsWith('(')) return; // no config states it; the comment says why
      // eslint-disable-next-line no-new-func
      const value = new Function(`return (${literal});`)();
      const citations = comment!.replace(/^\S+\.(yaml|py|sh)\s+/, '').split(/,\s+(?=[\w.-]+: )/).map((c) => {
        const cm = /^([\w.-]+): (.+)$/.exec(c.trim());
        if (!cm) throw new Error(`unreadable citation '${c}' for ${key}`);
        return configValue(cm[2], key);
      });
      if (Array.isArray(value)) expect(value).toEqual(citations);
      else {
        expect(citations).toHaveLength(1);
        expect(value).toEqual(citations[0]);
      }
    });
  }
});

describe('each preset gives its run settings; explicit flags override it', () => {
  for (const preset of PRESETS) {
    test(preset.name, () => {
      const v = preset.values;
      const c = runConfig({ preset: preset.name, dataDir: '/data', device: 'cpu', json: true });
      expect(c).toMatchObject({
        task: preset.task, model: preset.model, preset: preset.name, epochs: v.epochs, batch: v.batch * (v.devices ?? 1), layers: v.layers, dModel: v.dModel,
        dropout: v.dropout, tiedDropout: v.tiedDropout, prenorm: v.prenorm, norm: v.norm, pool: v.pool, lr: v.lr, weightDecay: v.weightDecay, seed: v.seed,
        gradientClip: v.gradientClip,
      });
      expect(preset.differences.length).toBeGreaterThan(0); // every recipe says what differs here
      expect(c.layer).toMatchObject({ type: preset.model, ...v.layer });
      expect(c.ssmLr).toBe(v.ssmLr === 'main' ? v.lr : v.ssmLr);
      expect(c.ssmWeightDecay).toBe(v.ssmLr === 'main' || v.ssmWeightDecay === 'main' ? v.weightDecay : 0);
      expect(c.normWeightDecay).toBe(v.normWeightDecay === 'main' ? v.weightDecay : 0);
      expect(c.dtLr).toBe(v.dtLr === 'main' ? v.lr : undefined);
      expect(c.cLr).toBe(v.cLr === 'ssm' ? v.ssmLr : undefined);
      expect(c.dWeightDecay).toBe(v.dWeightDecay === 'main' ? v.weightDecay : undefined);
      if (v.warmupSteps !== undefined) expect(c.warmupFraction).toBeCloseTo(v.warmupSteps / v.totalSteps!, 12);
      else expect(c.warmupEpochs).toBe(v.warmupEpochs);
      if (v.maxLength !== undefined) expect(c.length).toBe(v.maxLength);
      const o = runConfig({ preset: preset.name, dataDir: '/data', device: 'cpu', json: true, lr: 0.5, batch: 7, epochs: 2, dModel: 16, layers: 1, dropout: 0.3, norm: 'layer', prenorm: !v.prenorm, bidirectional: false, seed: 9 });
      expect(o).toMatchObject({ lr: 0.5, batch: 7, epochs: 2, dModel: 16, layers: 1, dropout: 0.3, norm: 'layer', prenorm: !v.prenorm, seed: 9 });
      expect(o.layer.bidirectional).toBe(false);
      if (v.ssmLr === 'main') expect(o.ssmLr).toBe(0.5);
      const s = runConfig({ preset: preset.name, dataDir: '/data', device: 'cpu', json: true, ssmLr: 0.002, weightDecay: 0.2 });
      if (v.cLr === 'ssm') expect(s.cLr).toBe(0.002); // C follows the SSM lr
      if (v.dWeightDecay === 'main') expect(s.dWeightDecay).toBe(0.2);
    });
  }

  test('a preset of another model, an unknown preset', () => {
    expect(() => runConfig({ preset: 's4-lra-listops', model: 'sgconv', dataDir: '/d', device: 'cpu', json: false })).toThrow(/--model sgconv: preset s4-lra-listops is a s4 recipe/);
    expect(() => runConfig({ preset: 'nope', device: 'cpu', json: false })).toThrow(/unknown preset 'nope' \(choose from s4-lra-listops, /);
  });
});

test('presets cover every file task for S4, S4D and SGConv, and MultiresConv\'s two', () => {
  const names = PRESETS.map((p) => p.name).sort();
  const lra = ['lra-listops', 'lra-text', 'lra-retrieval', 'lra-image', 'lra-pathfinder', 'lra-pathx'];
  const expected = [...['s4', 's4d', 'sgconv'].flatMap((m) => lra.map((t) => `${m}-${t}`)), 's4-scifar', 's4d-scifar', 'multires-scifar', 'multires-lra-listops'].sort();
  expect(names).toEqual(expected);
  for (const p of PRESETS) expect(p.source).toMatch(/^(state-spaces\/s4@e757cef|ctlllll\/SGConv@0c2b3ab \(branch preview\)|thjashin\/multires-conv@828089f) \S+/);
});

test("S4's lr.dt: null reaches the optimizer: dt at the main lr without decay, A at the SSM lr", () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { buildModel, makeOptimizer } = require('../lib/cli/train');
  const config = runConfig({ preset: 's4d-lra-listops', dataDir: '/d', device: 'cpu', json: false, dModel: 4, layers: 1 });
  const task = { name: 'lra-listops', L: 16, inputs: 'tokens', dInput: 18, nClasses: 10, targets: 'sequence', pairs: false };
  const { model } = buildModel(config, task, 'cpu');
  const optimizer = makeOptimizer(config, model);
  expect(optimizer.hyperparameters('layers.0.layer.kernel.log_dt', 'ssm')).toEqual({ lr: 0.01, weightDecay: 0 });
  expect(optimizer.hyperparameters('layers.0.layer.kernel.log_A_real', 'ssm')).toEqual({ lr: 0.001, weightDecay: 0 });
  expect(optimizer.hyperparameters('encoder.weight', 'default')).toEqual({ lr: 0.01, weightDecay: 0.05 });
  const plain = runConfig({ preset: 's4d-lra-image', dataDir: '/d', device: 'cpu', json: false });
  expect(plain.dtLr).toBeUndefined();
  optimizer.dispose();
  model.dispose();
});

/** The optimizer's hyperparameters of every parameter of a preset's small model (dModel 4, one layer), by name. */
function presetHyperparameters(name: string, task: object): Record<string, { lr: number; weightDecay: number }> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { buildModel, makeOptimizer } = require('../lib/cli/train');
  const config = runConfig({ preset: name, dataDir: '/d', device: 'cpu', json: false, dModel: 4, layers: 1 });
  const { model } = buildModel(config, task, 'cpu');
  const optimizer = makeOptimizer(config, model);
  const out = Object.fromEntries(model.namedParameterInfos().map(([n, info]: [string, { group: string }]) => [n, optimizer.hyperparameters(n, info.group)]));
  optimizer.dispose();
  model.dispose();
  return out;
}
const imageTask = { name: 'lra-image', L: 16, inputs: 'real', dInput: 1, nClasses: 10, targets: 'sequence', pairs: false };

test("the S4 repository's groups reach the optimizer: D decays; a scalar model.layer.lr trains C at the SSM lr; softplus dt and shared SSMs in the model", () => {
  const hp = presetHyperparameters('s4-lra-image', imageTask);
  expect(hp['layers.0.layer.D']).toEqual({ lr: 0.01, weightDecay: 0.05 });
  expect(hp['layers.0.layer.kernel.C']).toEqual({ lr: 0.001, weightDecay: 0.05 });
  expect(hp['layers.0.layer.kernel.inv_dt']).toEqual({ lr: 0.001, weightDecay: 0 });
  expect(hp['layers.0.layer.kernel.log_A_real']).toEqual({ lr: 0.001, weightDecay: 0 });
  expect(hp['layers.0.layer.output_linear.0.bias']).toEqual({ lr: 0.01, weightDecay: 0 });
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { buildModel } = require('../lib/cli/train');
  const config = runConfig({ preset: 's4d-lra-listops', dataDir: '/d', device: 'cpu', json: false, dModel: 4, layers: 1 });
  const { model } = buildModel(config, { name: 'lra-listops', L: 16, inputs: 'tokens', dInput: 18, nClasses: 10, targets: 'sequence', pairs: false }, 'cpu');
  const shapes = Object.fromEntries(model.namedParameters().map(([n, p]: [string, { shape: number[] }]) => [n, p.shape]));
  expect(shapes['layers.0.layer.kernel.log_A_real']).toEqual([1, 2]); // n_ssm: 1
  expect(shapes['layers.0.layer.kernel.B']).toEqual([1, 2, 2]); // trained, shared
  expect(shapes['layers.0.layer.kernel.inv_dt']).toEqual([4]);
  model.dispose();
  // The dict lr of listops leaves C at the main lr.
  expect(presetHyperparameters('s4-lra-listops', { ...imageTask, name: 'lra-listops', inputs: 'tokens', dInput: 18 })['layers.0.layer.kernel.C']).toEqual({ lr: 0.01, weightDecay: 0.05 });
});

test("SGConv's ungrouped run: every parameter decays, the sub-kernels at their own lr", () => {
  const hp = presetHyperparameters('sgconv-lra-image', imageTask);
  expect(hp['layers.0.layer.kernel_list.0']).toEqual({ lr: 0.001, weightDecay: 0.05 });
  expect(hp['layers.0.layer.D']).toEqual({ lr: 0.01, weightDecay: 0.05 });
  expect(hp['layers.0.layer.output_linear.bias']).toEqual({ lr: 0.01, weightDecay: 0.05 });
  expect(hp['decoder.bias']).toEqual({ lr: 0.01, weightDecay: 0.05 });
});
