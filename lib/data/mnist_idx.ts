// The full MNIST (60,000 training and 10,000 test digits) from the IDX files, gzipped or not:
// sequential MNIST at its published size (the built-in `smnist` task has 10,000 digits).
import * as fs from 'fs';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { checkNumber, checkOptions, checkString } from '../validate';
import { DataError, FileFormat, findFile, requireDir } from './files';
import { MNIST_MEAN, MNIST_STD } from './mnist';
import { Source, splitValidation, Task } from './source';

const FORMAT: FileFormat = {
  expected: 'MNIST IDX files: images with magic 0x00000803, count, 28, 28 and count·784 pixel bytes; labels with magic 0x00000801, count and count label bytes 0-9 (gzipped or not)',
  origin: 'train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz of the MNIST database (LeCun et al.)',
};

const PIXELS = 784;
/** The seed of the validation split carved from the 60,000 training digits. */
const MNIST_VAL_SEED = 42;

// The file `stem` in dir, as any of the names it is published under (with or without .gz).
function idxFile(dir: string, stem: string): string {
  const names = [stem, stem.replace('-idx', '.idx')];
  return findFile(names.flatMap((n) => [path.join(dir, `${n}.gz`), path.join(dir, n)]), FORMAT);
}

// An IDX file's bytes after its header, checked against the expected magic and dimensions.
function readIdx(file: string, magic: number, dims: number[]): { count: number; body: Buffer } {
  let bytes = fs.readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DataError(file, `not a readable gzip file (${(e as Error).message})`, FORMAT.expected, FORMAT.origin);
    }
  }
  const header = 4 * (2 + dims.length);
  const bad = (problem: string) => new DataError(file, problem, FORMAT.expected, FORMAT.origin);
  if (bytes.length < header) throw bad(`${bytes.length} bytes is shorter than the IDX header`);
  if (bytes.readUInt32BE(0) !== magic) throw bad(`magic number 0x${bytes.readUInt32BE(0).toString(16).padStart(8, '0')}`);
  const count = bytes.readUInt32BE(4);
  dims.forEach((d, i) => {
    if (bytes.readUInt32BE(8 + 4 * i) !== d) throw bad(`dimension ${i + 1} is ${bytes.readUInt32BE(8 + 4 * i)}, not ${d}`);
  });
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== header + count * size) throw bad(`${bytes.length - header} data bytes for ${count} items of ${size}`);
  return { count, body: bytes.subarray(header) };
}

// One split: images and labels, checked to match.
function idxSplit(dir: string, prefix: 'train' | 't10k'): Source {
  const imageFile = idxFile(dir, `${prefix}-images-idx3-ubyte`);
  const labelFile = idxFile(dir, `${prefix}-labels-idx1-ubyte`);
  const images = readIdx(imageFile, 0x803, [28, 28]);
  const labels = readIdx(labelFile, 0x801, []);
  if (images.count !== labels.count) throw new DataError(labelFile, `${labels.count} labels for ${images.count} images in ${path.basename(imageFile)}`, FORMAT.expected, FORMAT.origin);
  const bad = labels.body.findIndex((l) => l > 9);
  if (bad >= 0) throw new DataError(labelFile, `label ${labels.body[bad]} at item ${bad}`, FORMAT.expected, FORMAT.origin);
  return {
    size: images.count,
    read(indices) {
      const x = new Float32Array(indices.length * PIXELS);
      for (let i = 0; i < indices.length; i++) {
        const pixels = images.body.subarray(indices[i] * PIXELS, (indices[i] + 1) * PIXELS);
        for (let t = 0; t < PIXELS; t++) x[i * PIXELS + t] = (pixels[t] / 255 - MNIST_MEAN) / MNIST_STD;
      }
      return { x, L: PIXELS, y: Int32Array.from(indices, (i) => labels.body[i]) };
    },
  };
}

/** Options of {@link mnistFiles}. */
export interface MnistFilesOptions {
  /** The folder holding the four IDX files. */
  dataDir: string;
  /** The part of the training digits held out for validation (default 0.1, as S4; 0: validate on test). */
  valFraction?: number;
}

/**
 * sMNIST on the full MNIST: L = 784 pixels in row-major order, one channel normalised as the
 * built-in `smnist` task ((x/255 − 0.1307)/0.3081), 10 classes. Train: the 60,000 training
 * digits less a validation part (S4: 54,000 / 6,000, fixed seed); test: the 10,000 t10k
 * digits. The files (47 MB unpacked) are held in memory.
 * @throws DataError for a missing or malformed file.
 */
export function mnistFiles(options: MnistFilesOptions): Task {
  const opts = checkOptions<MnistFilesOptions>(options, 'options', ['dataDir', 'valFraction']);
  const dataDir = checkString(opts.dataDir, 'options.dataDir');
  const valFraction = checkNumber(opts.valFraction, 'options.valFraction', { min: 0, max: 1, maxExclusive: true }, 0.1);
  requireDir(dataDir, FORMAT);
  const test = idxSplit(dataDir, 't10k');
  const train = idxSplit(dataDir, 'train');
  return {
    name: 'smnist-full',
    L: PIXELS,
    inputs: 'real',
    dInput: 1,
    nClasses: 10,
    targets: 'sequence',
    pairs: false,
    ...splitValidation(train, valFraction, MNIST_VAL_SEED, test),
    test,
  };
}
