// Long Range Arena's byte-level text tasks: IMDB reviews (lra-text) from the aclImdb folder and
// AAN citation pairs (lra-retrieval) from new_aan_pairs.{train,eval,test}.tsv.
import * as fs from 'fs';
import * as path from 'path';
import { checkInteger, checkOptions, checkString } from '../validate';
import { DataError, FileFormat, forEachLine, LineIndex, requireDir, requireFile, sortedEntries } from './files';
import { packTokens, Source, Task } from './source';

/** Byte-level ids: 0 '<pad>', 1 '<eos>', then byte b is id b + 2 (LRA's ByteTextEncoder ids). */
export const BYTE_VOCABULARY_SIZE = 258;
const EOS = 1;

/**
 * UTF-8 bytes of a text as ids (byte + 2), cut to maxLength − 1 and followed by '<eos>' (id 1),
 * as the S4 repository appends one.
 * @example encodeBytes(Buffer.from('hé'), 8) // [106, 197, 171, 1]  ('h' = 104, 'é' = C3 A9)
 */
export function encodeBytes(bytes: Uint8Array, maxLength: number): Int32Array {
  const n = Math.min(bytes.length, maxLength - 1);
  const ids = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) ids[i] = bytes[i] + 2;
  ids[n] = EOS;
  return ids;
}

/** The token names of the byte vocabulary (for `Task.vocabulary`). */
function byteTokens(): string[] {
  return ['<pad>', '<eos>', ...Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).padStart(2, '0')}>`)];
}

/** The tab-separated fields of a line, as byte slices of it. */
function splitTabs(line: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  let start = 0;
  for (let tab = line.indexOf(9); tab >= 0; tab = line.indexOf(9, start)) {
    fields.push(line.subarray(start, tab));
    start = tab + 1;
  }
  fields.push(line.subarray(start));
  return fields;
}

// The folder and length options of a byte-level task (most: LRA's length).
function textOptions(options: unknown, most: number): { dataDir: string; maxLength: number } {
  const opts = checkOptions<{ dataDir: string; maxLength?: number }>(options, 'options', ['dataDir', 'maxLength']);
  return { dataDir: checkString(opts.dataDir, 'options.dataDir'), maxLength: checkInteger(opts.maxLength, 'options.maxLength', { min: 2, max: most }, most) };
}

const IMDB: FileFormat = {
  expected: 'the aclImdb folder: train/pos, train/neg, test/pos and test/neg holding one review per .txt file',
  origin: 'aclImdb_v1.tar.gz, the Large Movie Review Dataset (Maas et al. 2011) used by LRA',
};

/** Options of {@link imdbFiles}. */
export interface ImdbFilesOptions {
  /** The aclImdb folder (or the folder holding it). */
  dataDir: string;
  /** Bytes per review, <eos> included (default and most 4096, as LRA). */
  maxLength?: number;
}

/**
 * LRA Text: IMDB sentiment (neg 0, pos 1) at byte level, each review cut to maxLength − 1
 * bytes plus '<eos>'. Files are read for each batch. The 25,000 test reviews are the test
 * split; LRA (and the S4 repository) have no validation split and validate on test.
 * @throws DataError for a missing folder or one without reviews.
 */
export function imdbFiles(options: ImdbFilesOptions): Task {
  const { dataDir, maxLength } = textOptions(options, 4096);
  requireDir(dataDir, IMDB);
  const root = fs.existsSync(path.join(dataDir, 'aclImdb')) ? path.join(dataDir, 'aclImdb') : dataDir;
  const split = (name: string): Source => {
    const files: string[] = [];
    const labels: number[] = [];
    ['neg', 'pos'].forEach((polarity, label) => {
      const dir = path.join(root, name, polarity);
      requireDir(dir, IMDB);
      const reviews = sortedEntries(dir, (f) => f.endsWith('.txt'));
      if (reviews.length === 0) throw new DataError(dir, 'no .txt reviews', IMDB.expected, IMDB.origin);
      files.push(...reviews);
      labels.push(...reviews.map(() => label));
    });
    return {
      size: files.length,
      read: (indices) => packTokens(Array.from(indices, (i) => encodeBytes(fs.readFileSync(files[i]), maxLength)), Int32Array.from(indices, (i) => labels[i])),
    };
  };
  const test = split('test');
  return { name: 'lra-text', L: maxLength, inputs: 'tokens', dInput: BYTE_VOCABULARY_SIZE, nClasses: 2, targets: 'sequence', pairs: false, train: split('train'), val: test, valFrom: 'test', test, vocabulary: byteTokens() };
}

const AAN: FileFormat = {
  expected: 'tab-separated lines: label (0 or 1), id1, id2, text1, text2',
  origin: 'the Long Range Arena release lra_release.gz, folder tsv_data (new_aan_pairs.*.tsv)',
};

/** Options of {@link aanFiles}. */
export interface AanFilesOptions {
  /** The folder holding new_aan_pairs.{train,eval,test}.tsv (the release's tsv_data). */
  dataDir: string;
  /** Bytes per document, <eos> included (default and most 4000, as LRA). */
  maxLength?: number;
}

// One pass: the byte range and label of every line (the documents stay on disk).
function indexPairs(file: string): { lines: LineIndex; labels: number[] } {
  requireFile(file, AAN);
  const lines = new LineIndex(file);
  const labels: number[] = [];
  forEachLine(file, (bytes, offset, number) => {
    if (bytes.length === 0) return;
    const fields = splitTabs(bytes);
    const first = fields[0].toString('utf8').trim();
    const label = Number(first);
    // A header line (a non-numeric first field) on line 1 is skipped.
    if (number === 1 && fields.length === 5 && first !== '' && Number.isNaN(label)) return;
    if (fields.length !== 5 || first === '' || !(label === 0 || label === 1)) {
      throw new DataError(file, `line ${number} has ${fields.length} fields and label ${JSON.stringify(first.slice(0, 20))}`, AAN.expected, AAN.origin);
    }
    lines.add(offset, bytes.length);
    labels.push(label);
  });
  if (labels.length === 0) throw new DataError(file, 'no examples', AAN.expected, AAN.origin);
  return { lines, labels };
}

/**
 * LRA Retrieval: do two AAN papers cite each other (1) or not (0)? Each example holds both
 * documents at byte level, each cut to maxLength − 1 bytes plus '<eos>'; `Rows.x` stacks the n
 * first documents, then the n second ones, padded to the longest of all 2n (as the S4
 * repository's collate). Lines are read back from disk for each batch.
 * @throws DataError for a missing or malformed file.
 */
export function aanFiles(options: AanFilesOptions): Task {
  const { dataDir, maxLength } = textOptions(options, 4000);
  requireDir(dataDir, AAN);
  const nested = path.join(dataDir, 'tsv_data');
  const root = fs.existsSync(path.join(nested, 'new_aan_pairs.train.tsv')) ? nested : dataDir;
  const split = (name: string): Source => {
    const { lines, labels } = indexPairs(path.join(root, `new_aan_pairs.${name}.tsv`));
    return {
      size: labels.length,
      read(indices) {
        const fields = Array.from(indices, (i) => splitTabs(lines.line(i)));
        const docs = [...fields.map((f) => encodeBytes(f[3], maxLength)), ...fields.map((f) => encodeBytes(f[4], maxLength))];
        return packTokens(docs, Int32Array.from(indices, (i) => labels[i]));
      },
    };
  };
  return { name: 'lra-retrieval', L: maxLength, inputs: 'tokens', dInput: BYTE_VOCABULARY_SIZE, nClasses: 2, targets: 'sequence', pairs: true, train: split('train'), val: split('eval'), valFrom: 'file', test: split('test'), vocabulary: byteTokens() };
}
