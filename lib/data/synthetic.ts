// Synthetic long-range tasks with a known perfect score (100%): copying memory and associative
// recall. Seeded; the distance to bridge grows with the sequence length L.
import { uniformGenerator } from '../random';
import { checkInteger, checkOptions, checkPositiveInt, checkSeed } from '../validate';
import { Dataset, permutation, Split } from './dataset';

/** Options of {@link copyTask} and {@link recallTask}. */
export interface SyntheticOptions {
  /** Sequence length. */
  L?: number;
  /** Training sequences (default 4,000). */
  nTrain?: number;
  /** Test sequences (default 500). */
  nTest?: number;
  /** Seed of both splits (drawn from different streams). Default 0. */
  seed?: number;
}

// The checked options: the sequence length, and the train/test splits drawn from one seed, apart.
function setup(options: SyntheticOptions | undefined, minLength: number) {
  const opts = checkOptions<SyntheticOptions>(options, 'options', ['L', 'nTrain', 'nTest', 'seed']);
  const L = checkInteger(opts.L, 'options.L', { min: minLength }, 200);
  const seed = checkSeed(opts.seed, 'options.seed', 0);
  const nTrain = checkPositiveInt(opts.nTrain, 'options.nTrain', 4000);
  const nTest = checkPositiveInt(opts.nTest, 'options.nTest', 500);
  const splits = (make: (n: number, random: () => number) => Split) => ({
    train: make(nTrain, uniformGenerator(seed * 2 + 1)),
    test: make(nTest, uniformGenerator(seed * 2 + 2)),
  });
  return { L, splits };
}

// Copying memory (Arjovsky et al.): token ids 0 (blank), 1..COPY_SYMBOLS (symbols), COPY_DELIMITER.
const COPY_DELIMITER = 9;
const COPY_SYMBOLS = 8;
// How many symbols each sequence asks to copy.
const COPY_COUNT = 10;

/**
 * Copying memory: 10 random symbols (token ids 1..8), blanks (0), a delimiter (9), then 10 blanks
 * during which the model must output the symbols in order (targets −1 elsewhere). Chance
 * accuracy 1/8.
 */
export function copyTask(options?: SyntheticOptions): Dataset {
  const { L, splits } = setup(options, 2 * COPY_COUNT + 1);
  const make = (n: number, random: () => number): Split => {
    const x = new Float32Array(n * L);
    const y = new Int32Array(n * L).fill(-1);
    for (let i = 0; i < n; i++) {
      x[i * L + L - COPY_COUNT - 1] = COPY_DELIMITER;
      for (let j = 0; j < COPY_COUNT; j++) {
        const symbol = 1 + Math.floor(random() * COPY_SYMBOLS);
        x[i * L + j] = symbol;
        y[i * L + L - COPY_COUNT + j] = symbol;
      }
    }
    return { size: n, x, y };
  };
  return { name: 'copy', L, inputs: 'tokens', dInput: 10, nClasses: 10, targets: 'position', perfectAccuracy: 1, ...splits(make) };
}

// Associative recall: token ids 0 (blank), RECALL_QUERY, then the keys and the values.
const RECALL_QUERY = 1;
const RECALL_KEYS = 16;
const RECALL_VALUES = 16;
// Key–value pairs per sequence.
const RECALL_PAIRS = 8;

/**
 * Associative recall: 8 (key, value) pairs with distinct keys at the start, blanks (0), then a
 * query marker (1) and one of the keys; the label is that key's value. Keys are token ids 2..17,
 * values 18..33 (class = value index). Chance accuracy 1/16.
 */
export function recallTask(options?: SyntheticOptions): Dataset {
  const { L, splits } = setup(options, 2 * RECALL_PAIRS + 2);
  const keyBase = 2;
  const valueBase = keyBase + RECALL_KEYS;
  const make = (n: number, random: () => number): Split => {
    const x = new Float32Array(n * L);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const keys = permutation(RECALL_KEYS, random);
      const values = Array.from({ length: RECALL_PAIRS }, () => Math.floor(random() * RECALL_VALUES));
      for (let p = 0; p < RECALL_PAIRS; p++) {
        x[i * L + 2 * p] = keyBase + keys[p];
        x[i * L + 2 * p + 1] = valueBase + values[p];
      }
      const asked = Math.floor(random() * RECALL_PAIRS);
      x[i * L + L - 2] = RECALL_QUERY;
      x[i * L + L - 1] = keyBase + keys[asked];
      y[i] = values[asked];
    }
    return { size: n, x, y };
  };
  return { name: 'recall', L, inputs: 'tokens', dInput: valueBase + RECALL_VALUES, nClasses: RECALL_VALUES, targets: 'sequence', perfectAccuracy: 1, ...splits(make) };
}
