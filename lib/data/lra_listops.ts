// Long Range Arena ListOps from the release's files (basic_train.tsv, basic_val.tsv,
// basic_test.tsv), tokenised as the S4 repository's ListOps loader does.
import * as path from 'path';
import { checkInteger, checkOptions, checkString } from '../validate';
import { DataError, FileFormat, forEachLine, LineIndex, requireDir, requireFile } from './files';
import { packTokens, Source, Task } from './source';
import { countTokens, Vocabulary } from './vocabulary';

const FORMAT: FileFormat = {
  expected: "a tab-separated file with the header 'Source\\tTarget', then one expression and its value 0-9 per line",
  origin: 'the Long Range Arena release lra_release.gz, folder listops-1000',
};

/** The special tokens of the ListOps vocabulary, in id order (padding is id 0). */
export const LISTOPS_SPECIALS = ['<pad>', '<unk>', '<eos>'] as const;

/**
 * The S4 repository's ListOps tokenizer (after LRA's): ']' becomes the token 'X', parentheses
 * are dropped, and the rest splits on whitespace.
 * @example tokenizeListOps('( ( [MAX 2 9 ] ) 4 )') // ['[MAX', '2', '9', 'X', '4']
 */
export function tokenizeListOps(source: string): string[] {
  return source.replace(/\]/g, 'X').replace(/[()]/g, '').split(/\s+/).filter((t) => t.length > 0);
}

/** Options of {@link listopsFiles}. */
export interface ListOpsFilesOptions {
  /** The folder holding basic_{train,val,test}.tsv (the release's listops-1000). */
  dataDir: string;
  /** The longest sequence, <eos> included; longer expressions are cut (default and most 2048). */
  maxLength?: number;
}

interface IndexedSplit {
  lines: LineIndex;
  labels: number[];
  /** The column of 'Source' in this file's header. */
  sourceCol: number;
}

// One pass over a split: byte ranges of its lines, their labels, and (train) the token counts.
function indexSplit(file: string, counts: Map<string, number> | null): IndexedSplit {
  requireFile(file, FORMAT);
  const lines = new LineIndex(file);
  const labels: number[] = [];
  let sourceCol = -1, targetCol = -1;
  forEachLine(file, (bytes, offset, number) => {
    const fields = bytes.toString('utf8').split('\t');
    if (number === 1) {
      sourceCol = fields.indexOf('Source');
      targetCol = fields.indexOf('Target');
      if (sourceCol < 0 || targetCol < 0) throw new DataError(file, `line 1 is ${JSON.stringify(fields.join('\t').slice(0, 60))}, not the header`, FORMAT.expected, FORMAT.origin);
      return;
    }
    if (fields.length === 1 && fields[0].trim() === '') return;
    const label = Number(fields[targetCol]);
    if (fields.length <= Math.max(sourceCol, targetCol) || !Number.isInteger(label) || label < 0 || label > 9) {
      throw new DataError(file, `line ${number} has no expression and value 0-9`, FORMAT.expected, FORMAT.origin);
    }
    lines.add(offset, bytes.length);
    labels.push(label);
    if (counts) countTokens(counts, tokenizeListOps(fields[sourceCol]));
  });
  if (sourceCol < 0) throw new DataError(file, 'the file is empty', FORMAT.expected, FORMAT.origin);
  if (labels.length === 0) throw new DataError(file, 'no examples after the header', FORMAT.expected, FORMAT.origin);
  return { lines, labels, sourceCol };
}

/**
 * LRA ListOps (10 classes) from the release's TSV files, as the S4 repository reads them:
 * tokens by {@link tokenizeListOps}, cut to maxLength − 1 and followed by '<eos>'; the
 * vocabulary is '<pad>', '<unk>', '<eos>' and the training split's tokens by descending count
 * (18 ids for the release); validation and test come from their own files. Lines are read
 * back from disk for each batch (the training file is ~600 MB).
 * @throws DataError for a missing or malformed file.
 */
export function listopsFiles(options: ListOpsFilesOptions): Task {
  const opts = checkOptions<ListOpsFilesOptions>(options, 'options', ['dataDir', 'maxLength']);
  const dataDir = checkString(opts.dataDir, 'options.dataDir');
  const maxLength = checkInteger(opts.maxLength, 'options.maxLength', { min: 2, max: 2048 }, 2048);
  requireDir(dataDir, FORMAT);
  const file = (split: string) => path.join(dataDir, `basic_${split}.tsv`);
  const counts = new Map<string, number>();
  const train = indexSplit(file('train'), counts);
  const vocabulary = Vocabulary.fromCounts(counts, LISTOPS_SPECIALS);
  const eos = vocabulary.id('<eos>');
  const source = ({ lines, labels, sourceCol }: IndexedSplit): Source => ({
    size: labels.length,
    read(indices) {
      const docs = Array.from(indices, (i) => {
        const tokens = tokenizeListOps(lines.line(i).toString('utf8').split('\t')[sourceCol]).slice(0, maxLength - 1);
        const ids = new Int32Array(tokens.length + 1);
        tokens.forEach((t, j) => (ids[j] = vocabulary.id(t)));
        ids[tokens.length] = eos;
        return ids;
      });
      return packTokens(docs, Int32Array.from(indices, (i) => labels[i]));
    },
  });
  return {
    name: 'lra-listops',
    L: maxLength,
    inputs: 'tokens',
    dInput: vocabulary.size,
    nClasses: 10,
    targets: 'sequence',
    pairs: false,
    train: source(train),
    val: source(indexSplit(file('val'), null)),
    valFrom: 'file',
    test: source(indexSplit(file('test'), null)),
    vocabulary: vocabulary.tokens,
  };
}
