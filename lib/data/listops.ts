// ListOps (Long Range Arena): nested prefix expressions over the digits 0–9 with the operators
// MAX, MIN, MED (median) and SM (sum modulo 10); the label is the expression's value.
// Generated here, seeded, so the task needs no download.
import { uniformGenerator } from '../random';
import { checkInteger, checkOneOf, checkOptions, checkPositiveInt, checkSeed, describe, typeError } from '../validate';
import { Dataset, Split } from './dataset';

/** Token ids: 0 is padding, then the digits, the four opening operators and the closing bracket. */
export const LISTOPS_TOKENS = ['<pad>', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '[MAX', '[MIN', '[MED', '[SM', ']'] as const;
const OPS = ['[MAX', '[MIN', '[MED', '[SM'] as const;
type Op = (typeof OPS)[number];
type Expr = number | { op: Op; args: Expr[] };

/** The operators' values, as LRA defines them (MED: the lower-rounded median, int(np.median)). */
export function applyOp(op: Op, args: number[]): number {
  checkOneOf(op, 'op', OPS);
  if (!Array.isArray(args) || args.length === 0) throw typeError('args', 'a non-empty array of digits', Array.isArray(args) ? 'an empty array' : describe(args));
  args.forEach((a, i) => checkInteger(a, `args[${i}]`, { min: 0, max: 9 }));
  switch (op) {
    case '[MAX':
      return Math.max(...args);
    case '[MIN':
      return Math.min(...args);
    case '[SM':
      return args.reduce((a, b) => a + b, 0) % 10;
    case '[MED': {
      const s = [...args].sort((a, b) => a - b);
      const m = s.length >> 1;
      return s.length % 2 ? s[m] : Math.trunc((s[m - 1] + s[m]) / 2);
    }
  }
}

function evaluate(e: Expr): number {
  return typeof e === 'number' ? e : applyOp(e.op, e.args.map(evaluate));
}

function tokens(e: Expr, out: string[]): string[] {
  if (typeof e === 'number') out.push(String(e));
  else {
    out.push(e.op);
    e.args.forEach((a) => tokens(a, out));
    out.push(']');
  }
  return out;
}

// A random tree like LRA's generator: operators nest up to maxDepth with 2..maxArgs arguments,
// an argument being a digit with probability `leafChance`.
function randomExpr(random: () => number, depth: number, leafChance: number): Expr {
  const leaf = depth === 0 ? 0 : depth >= MAX_DEPTH ? 1 : leafChance;
  if (random() < leaf) return Math.floor(random() * 10);
  const n = 2 + Math.floor(random() * (MAX_ARGS - 1));
  return { op: OPS[Math.floor(random() * OPS.length)], args: Array.from({ length: n }, () => randomExpr(random, depth + 1, leafChance)) };
}

const MAX_DEPTH = 10;
const MAX_ARGS = 5;

/** Options of {@link listopsTask}. */
export interface ListOpsOptions {
  /** Longest sequence (tokens), at most 2048; shorter ones are padded. */
  maxLength?: number;
  /** Shortest accepted expression (tokens). */
  minLength?: number;
  /** Training sequences. Default 10,000. */
  nTrain?: number;
  /** Test sequences. Default 1,000. */
  nTest?: number;
  /** Seed of both splits (drawn from different streams). Default 0. */
  seed?: number;
}

/** The shortest expression ('[MAX', two digits, ']') and the longest the generator is run for. */
const SHORTEST = 4;
const LONGEST = 2048;

/**
 * One expression as tokens and its value, rejection-sampled into [minLength, maxLength]. LRA
 * keeps the rare long trees of a leaf probability of 0.75; here the leaf probability adapts
 * after each rejected tree (lower when too short, higher when too long), so long ranges such
 * as [1500, 2048] are reached in a few tries.
 * @param maxLength an integer in [4, 2048]; minLength an integer in [1, maxLength]
 */
export function sampleListOps(random: () => number, minLength: number, maxLength: number): {
  /** The expression's tokens (see LISTOPS_TOKENS). */
  tokens: string[];
  /** Its value, 0..9. */
  value: number;
} {
  if (typeof random !== 'function') throw typeError('random', 'a function returning numbers in [0, 1)', describe(random));
  checkInteger(maxLength, 'maxLength', { min: SHORTEST, max: LONGEST });
  checkInteger(minLength, 'minLength', { min: 1, max: maxLength });
  let leafChance = 0.7;
  for (;;) {
    const e = randomExpr(random, 0, leafChance);
    const t = tokens(e, []);
    if (t.length >= minLength && t.length <= maxLength) return { tokens: t, value: evaluate(e) };
    leafChance = t.length < minLength ? leafChance * 0.98 : Math.min(0.95, leafChance * 1.02);
  }
}

function split(n: number, random: () => number, minLength: number, maxLength: number): Split {
  const x = new Float32Array(n * maxLength);
  const y = new Int32Array(n);
  const lengths = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const { tokens: t, value } = sampleListOps(random, minLength, maxLength);
    t.forEach((tok, j) => (x[i * maxLength + j] = LISTOPS_TOKENS.indexOf(tok as (typeof LISTOPS_TOKENS)[number])));
    y[i] = value;
    lengths[i] = t.length;
  }
  return { size: n, x, y, lengths };
}

/** The ListOps task: fixed train and test sets from one seed (train and test drawn apart). */
export function listopsTask(options?: ListOpsOptions): Dataset {
  const opts = checkOptions<ListOpsOptions>(options, 'options', ['maxLength', 'minLength', 'nTrain', 'nTest', 'seed']);
  const maxLength = checkInteger(opts.maxLength, 'options.maxLength', { min: 8, max: LONGEST }, 512);
  const minLength = checkInteger(opts.minLength, 'options.minLength', { min: 1, max: maxLength }, Math.floor(maxLength / 4));
  const seed = checkSeed(opts.seed, 'options.seed', 0);
  const nTrain = checkPositiveInt(opts.nTrain, 'options.nTrain', 10000);
  const nTest = checkPositiveInt(opts.nTest, 'options.nTest', 1000);
  return {
    name: 'listops',
    L: maxLength,
    inputs: 'tokens',
    dInput: LISTOPS_TOKENS.length,
    nClasses: 10,
    targets: 'sequence',
    train: split(nTrain, uniformGenerator(seed * 2 + 1), minLength, maxLength),
    test: split(nTest, uniformGenerator(seed * 2 + 2), minLength, maxLength),
  };
}
