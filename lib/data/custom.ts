// The user's own sequence classification data, in a documented JSONL format (README,
// "Custom data"): train.jsonl, test.jsonl, optional val.jsonl and vocab.txt in one folder.
// Every line is checked once when the task opens; the rows are parsed again for each batch.
import * as fs from 'fs';
import * as path from 'path';
import { checkInteger, checkNumber, checkOptions, checkString } from '../validate';
import { DataError, FileFormat, forEachLine, LineIndex, requireDir, requireFile } from './files';
import { packTokens, Rows, Source, splitValidation, Task } from './source';
import { countTokens, Vocabulary } from './vocabulary';

const FORMAT: FileFormat = {
  expected: 'one JSON object per line: {"x": [numbers] | [[numbers per channel], ...] | ["token", ...], "y": class (an integer >= 0 or a name)}',
  origin: "your own data, in longconv's custom JSONL format (README: Custom data)",
};
const VOCAB: FileFormat = {
  expected: 'one token per line (ids 2, 3, … in line order; 0 is <pad>, 1 is <unk>)',
  origin: "your own data, in longconv's custom JSONL format (README: Custom data)",
};

/** The special tokens of a custom token vocabulary: padding and unknown. */
export const CUSTOM_SPECIALS = ['<pad>', '<unk>'] as const;
/** The seed of the validation split carved from train.jsonl when there is no val.jsonl. */
const CUSTOM_VAL_SEED = 42;

/** Options of {@link customFiles}. */
export interface CustomFilesOptions {
  /** The folder holding train.jsonl, test.jsonl and optionally val.jsonl and vocab.txt. */
  dataDir: string;
  /** Cut longer sequences to this length (default: the longest sequence of the files). */
  maxLength?: number;
  /** Without val.jsonl: the part of train.jsonl held out for validation (default 0.1; 0: validate on test). */
  valFraction?: number;
}

type Kind = 'real' | 'tokens';
interface Example {
  x: unknown[];
  y: number | string;
}

// Parses and checks one line; `kind` and `channels` are fixed by the first example seen.
function parseLine(bytes: Buffer, file: string, number: number, shape: { kind?: Kind; channels?: number; labels?: 'number' | 'string' }): Example | null {
  const text = bytes.toString('utf8');
  if (text.trim() === '') return null;
  const bad = (problem: string) => new DataError(file, `line ${number}: ${problem}`, FORMAT.expected, FORMAT.origin);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad('not a JSON object');
  const { x, y } = value as { x?: unknown; y?: unknown };
  if (!Array.isArray(x) || x.length === 0) throw bad('"x" is not a non-empty array');
  const kind: Kind = typeof x[0] === 'string' ? 'tokens' : 'real';
  shape.kind ??= kind;
  if (kind !== shape.kind) throw bad(`"x" holds ${kind === 'tokens' ? 'tokens' : 'numbers'}, earlier lines ${shape.kind === 'tokens' ? 'tokens' : 'numbers'}`);
  if (kind === 'tokens') {
    if (!x.every((t) => typeof t === 'string')) throw bad('"x" mixes tokens with other values');
  } else {
    const channels = Array.isArray(x[0]) ? (x[0] as unknown[]).length : 1;
    shape.channels ??= channels;
    const ok = Array.isArray(x[0])
      ? x.every((v) => Array.isArray(v) && v.length === channels && v.every((c) => typeof c === 'number' && Number.isFinite(c)))
      : x.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!ok) throw bad(`"x" is not a list of finite numbers or of equal-length lists of them`);
    if (channels !== shape.channels) throw bad(`${channels} channels per position, earlier lines ${shape.channels}`);
  }
  const labelKind = typeof y === 'string' ? 'string' : 'number';
  if (!(typeof y === 'string' || (typeof y === 'number' && Number.isInteger(y) && y >= 0))) throw bad('"y" is not an integer >= 0 or a class name');
  shape.labels ??= labelKind;
  if (labelKind !== shape.labels) throw bad(`"y" is a ${labelKind === 'string' ? 'name' : 'number'}, earlier lines ${shape.labels === 'string' ? 'names' : 'numbers'}`);
  return { x, y };
}

interface IndexedFile {
  lines: LineIndex;
  labels: (number | string)[];
  longest: number;
}

function indexFile(file: string, shape: Parameters<typeof parseLine>[3], counts: Map<string, number> | null): IndexedFile {
  requireFile(file, FORMAT);
  const lines = new LineIndex(file);
  const labels: (number | string)[] = [];
  let longest = 0;
  forEachLine(file, (bytes, offset, number) => {
    const example = parseLine(bytes, file, number, shape);
    if (!example) return;
    lines.add(offset, bytes.length);
    labels.push(example.y);
    longest = Math.max(longest, example.x.length);
    if (counts) countTokens(counts, example.x as string[]);
  });
  if (labels.length === 0) throw new DataError(file, 'no examples', FORMAT.expected, FORMAT.origin);
  return { lines, labels, longest };
}

function readVocabulary(file: string): Vocabulary {
  const tokens: string[] = [...CUSTOM_SPECIALS];
  forEachLine(file, (bytes, _offset, number) => {
    const token = bytes.toString('utf8');
    if (token === '' || tokens.includes(token)) throw new DataError(file, `line ${number} is ${token === '' ? 'empty' : `the repeated token ${JSON.stringify(token)}`}`, VOCAB.expected, VOCAB.origin);
    tokens.push(token);
  });
  return new Vocabulary(tokens);
}

/**
 * A sequence classification task from the custom JSONL files. `x` is a list of numbers (one
 * channel), of equal-length lists (channels), or of token strings; `y` a class index or name.
 * Tokens get ids from vocab.txt when present, else from train.jsonl (by descending count, as
 * the LRA tasks); unknown tokens map to '<unk>'. Class names are sorted into indices from
 * train.jsonl; integer classes give nClasses = the largest + 1. Sequences vary in length:
 * batches are padded to their longest row and masked.
 * @throws DataError for a missing or malformed file (naming the line).
 */
export function customFiles(options: CustomFilesOptions): Task {
  const opts = checkOptions<CustomFilesOptions>(options, 'options', ['dataDir', 'maxLength', 'valFraction']);
  const dataDir = checkString(opts.dataDir, 'options.dataDir');
  const maxLength = opts.maxLength === undefined ? undefined : checkInteger(opts.maxLength, 'options.maxLength', { min: 1 });
  const valFraction = checkNumber(opts.valFraction, 'options.valFraction', { min: 0, max: 1, maxExclusive: true }, 0.1);
  requireDir(dataDir, FORMAT);
  const file = (name: string) => path.join(dataDir, name);
  const shape: Parameters<typeof parseLine>[3] = {};
  const counts = new Map<string, number>();
  const train = indexFile(file('train.jsonl'), shape, counts);
  const test = indexFile(file('test.jsonl'), shape, null);
  const val = fs.existsSync(file('val.jsonl')) ? indexFile(file('val.jsonl'), shape, null) : null;
  const tokens = shape.kind === 'tokens';
  const vocabulary = !tokens ? undefined : fs.existsSync(file('vocab.txt')) ? readVocabulary(file('vocab.txt')) : Vocabulary.fromCounts(counts, CUSTOM_SPECIALS);
  const splits = [train, test, ...(val ? [val] : [])];
  const classNames = shape.labels === 'string' ? [...new Set(train.labels as string[])].sort() : null;
  for (const s of splits) {
    s.labels.forEach((y, i) => {
      if (classNames && !classNames.includes(y as string)) throw new DataError(s.lines.file, `example ${i + 1}: class ${JSON.stringify(y)} does not occur in train.jsonl`, FORMAT.expected, FORMAT.origin);
    });
  }
  const nClasses = classNames ? classNames.length : 1 + Math.max(...splits.flatMap((s) => s.labels as number[]));
  const longest = Math.max(...splits.map((s) => s.longest));
  const L = maxLength === undefined ? longest : Math.min(maxLength, longest);
  const width = tokens ? 1 : shape.channels!;
  const labelOf = (y: number | string) => (classNames ? classNames.indexOf(y as string) : (y as number));

  const source = ({ lines, labels }: IndexedFile): Source => ({
    size: labels.length,
    read(indices): Rows {
      const examples = Array.from(indices, (i) => (JSON.parse(lines.line(i).toString('utf8')) as Example).x.slice(0, L));
      const y = Int32Array.from(indices, (i) => labelOf(labels[i]));
      if (tokens) return packTokens(examples.map((x) => Int32Array.from(x as string[], (t) => vocabulary!.id(t))), y);
      const rowL = Math.max(...examples.map((x) => x.length));
      const x = new Float32Array(examples.length * rowL * width);
      examples.forEach((ex, i) => ex.forEach((v, t) => x.set(Array.isArray(v) ? (v as number[]) : [v as number], (i * rowL + t) * width)));
      return { x, L: rowL, y, lengths: Int32Array.from(examples, (ex) => ex.length) };
    },
  });
  const testSource = source(test);
  return {
    name: 'custom',
    L,
    inputs: tokens ? 'tokens' : 'real',
    dInput: tokens ? vocabulary!.size : width,
    nClasses,
    targets: 'sequence',
    pairs: false,
    ...(val ? { train: source(train), val: source(val), valFrom: 'file' as const } : splitValidation(source(train), valFraction, CUSTOM_VAL_SEED, testSource)),
    test: testSource,
    vocabulary: vocabulary?.tokens,
  };
}
