// CIFAR-10 from its binary version (data_batch_1.bin … data_batch_5.bin, test_batch.bin) as
// sequences of pixels: sCIFAR (3 channels) and LRA Image (grayscale), normalised as the S4
// repository normalises them. Records are read from disk for each batch.
import * as fs from 'fs';
import * as path from 'path';
import { checkBoolean, checkNumber, checkOptions, checkString } from '../validate';
import { DataError, FileFormat, readAt, requireDir, requireFile } from './files';
import { Source, splitValidation, Task } from './source';

const FORMAT: FileFormat = {
  expected: 'CIFAR-10 binary records of 1 label byte (0-9) + 3072 pixel bytes (1024 red, 1024 green, 1024 blue, rows top to bottom)',
  origin: 'cifar-10-binary.tar.gz, the "CIFAR-10 binary version" from the CIFAR-10 page (Krizhevsky 2009)',
};

const PIXELS = 1024;
const RECORD = 1 + 3 * PIXELS;
/** Per-channel mean of the S4 repository's sCIFAR (torchvision Normalize), pixels in [0, 1]. */
export const CIFAR_MEAN = [0.4914, 0.4822, 0.4465] as const;
/** Per-channel std of the S4 repository's sCIFAR (torchvision Normalize), pixels in [0, 1]. */
export const CIFAR_STD = [0.247, 0.243, 0.261] as const;
/** Grayscale mean of the S4 repository's LRA Image, in 0-255 units (122.6/255 normalised). */
export const CIFAR_GRAY_MEAN = 122.6;
/** Grayscale std of the S4 repository's LRA Image, in 0-255 units (61/255 normalised). */
export const CIFAR_GRAY_STD = 61.0;
/** The seed of the validation split carved from the training batches. */
const CIFAR_VAL_SEED = 42;

/**
 * PIL's RGB → L conversion (what torchvision's Grayscale does): L = (19595 R + 38470 G +
 * 7471 B + 2^15) >> 16, i.e. 0.299 R + 0.587 G + 0.114 B rounded.
 */
export function grayLevel(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

/** Options of {@link cifarFiles}. */
export interface CifarFilesOptions {
  /** The folder holding the .bin files (cifar-10-batches-bin, or the folder holding it). */
  dataDir: string;
  /** LRA Image: one gray channel instead of three. Default false (sCIFAR). */
  grayscale?: boolean;
  /** The part of the 50,000 training images held out for validation (default 0.1, as S4; 0: validate on test). */
  valFraction?: number;
}

// The records of one .bin file (its size checked), read on demand.
function records(file: string): { file: string; count: number } {
  const size = requireFile(file, FORMAT);
  if (size === 0 || size % RECORD !== 0) throw new DataError(file, `${size} bytes is not a whole number of ${RECORD}-byte records`, FORMAT.expected, FORMAT.origin);
  return { file, count: size / RECORD };
}

/**
 * sCIFAR (`grayscale` false: L = 1024 pixels in row-major order × 3 channels, each channel
 * normalised by CIFAR_MEAN/CIFAR_STD) or LRA Image (`grayscale` true: one channel, PIL's gray
 * level normalised by 122.6/61), 10 classes. Train: data_batch_1..5 less a validation part of
 * valFraction drawn with a fixed seed (S4: 45,000 / 5,000); test: test_batch.bin.
 * @throws DataError for a missing or malformed file (a label outside 0-9 when read).
 */
export function cifarFiles(options: CifarFilesOptions): Task {
  const opts = checkOptions<CifarFilesOptions>(options, 'options', ['dataDir', 'grayscale', 'valFraction']);
  const dataDir = checkString(opts.dataDir, 'options.dataDir');
  const grayscale = checkBoolean(opts.grayscale, 'options.grayscale', false);
  const valFraction = checkNumber(opts.valFraction, 'options.valFraction', { min: 0, max: 1, maxExclusive: true }, 0.1);
  requireDir(dataDir, FORMAT);
  const nested = path.join(dataDir, 'cifar-10-batches-bin');
  const root = fs.existsSync(path.join(nested, 'test_batch.bin')) ? nested : dataDir;
  const width = grayscale ? 1 : 3;
  const source = (files: string[]): Source => {
    const parts = files.map((f) => records(path.join(root, f)));
    const starts = parts.map((_, i) => parts.slice(0, i).reduce((s, p) => s + p.count, 0));
    const size = parts.reduce((s, p) => s + p.count, 0);
    return {
      size,
      read(indices) {
        const n = indices.length;
        const x = new Float32Array(n * PIXELS * width);
        const y = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          let p = parts.length - 1;
          while (starts[p] > indices[i]) p--;
          const record = readAt(parts[p].file, (indices[i] - starts[p]) * RECORD, RECORD);
          if (record.length < RECORD || record[0] > 9) {
            throw new DataError(parts[p].file, `record ${indices[i] - starts[p]} has label ${record[0]}`, FORMAT.expected, FORMAT.origin);
          }
          y[i] = record[0];
          decodeImage(record, grayscale, x.subarray(i * PIXELS * width, (i + 1) * PIXELS * width));
        }
        return { x, L: PIXELS, y };
      },
    };
  };
  const test = source(['test_batch.bin']);
  const batches = source(['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin']);
  return {
    name: grayscale ? 'lra-image' : 'scifar',
    L: PIXELS,
    inputs: 'real',
    dInput: width,
    nClasses: 10,
    targets: 'sequence',
    pairs: false,
    ...splitValidation(batches, valFraction, CIFAR_VAL_SEED, test),
    test,
  };
}

/** One record's pixels as [1024, width] normalised features (pixel t = row·32 + column). */
function decodeImage(record: Uint8Array, grayscale: boolean, out: Float32Array): void {
  for (let t = 0; t < PIXELS; t++) {
    const r = record[1 + t], g = record[1 + PIXELS + t], b = record[1 + 2 * PIXELS + t];
    if (grayscale) out[t] = (grayLevel(r, g, b) - CIFAR_GRAY_MEAN) / CIFAR_GRAY_STD;
    else {
      out[3 * t] = (r / 255 - CIFAR_MEAN[0]) / CIFAR_STD[0];
      out[3 * t + 1] = (g / 255 - CIFAR_MEAN[1]) / CIFAR_STD[1];
      out[3 * t + 2] = (b / 255 - CIFAR_MEAN[2]) / CIFAR_STD[2];
    }
  }
}
