// The tasks read from the benchmarks' published files: what each needs and where it comes from
// (for `longconv train --task T --data-dir DIR`, the README's table and error messages).
import { aanFiles, imdbFiles } from './lra_text';
import { cifarFiles } from './cifar';
import { customFiles } from './custom';
import { listopsFiles } from './lra_listops';
import { mnistFiles } from './mnist_idx';
import { pathfinderFiles } from './pathfinder';
import type { Task } from './source';

/** Options every file task takes. */
export interface OpenTaskOptions {
  /** The folder of the task's files. */
  dataDir: string;
  /** Cut sequences to this length (tasks of varying length only: ListOps, text, retrieval, custom). */
  maxLength?: number;
  /** Carve this part of the training data out for validation (tasks without a validation file). */
  valFraction?: number;
}

/** A task read from files. */
export interface FileTaskInfo {
  /** The files `--data-dir` must hold. */
  files: string;
  /** Where they come from. */
  origin: string;
  /** Whether `maxLength` applies (variable-length tasks). */
  variableLength: boolean;
  /** Whether `valFraction` applies (tasks whose validation split is carved from train). */
  carvesValidation: boolean;
  /** Reads the task's index (the rows stay on disk where the data is large). */
  open(options: OpenTaskOptions): Task;
}

const LRA = 'the Long Range Arena release (lra_release.gz, github.com/google-research/long-range-arena)';

/** A file task's name. */
export type FileTaskName = 'scifar' | 'lra-listops' | 'lra-text' | 'lra-retrieval' | 'lra-image' | 'lra-pathfinder' | 'lra-pathx' | 'smnist-full' | 'custom';

/** The file tasks by name. */
export const FILE_TASKS: Readonly<Record<FileTaskName, FileTaskInfo>> = {
  scifar: {
    files: 'data_batch_1.bin … data_batch_5.bin, test_batch.bin',
    origin: 'CIFAR-10 binary version (cifar-10-binary.tar.gz, www.cs.toronto.edu/~kriz/cifar.html)',
    variableLength: false,
    carvesValidation: true,
    open: (o: OpenTaskOptions) => cifarFiles({ dataDir: o.dataDir, valFraction: o.valFraction }),
  },
  'lra-listops': {
    files: 'basic_train.tsv, basic_val.tsv, basic_test.tsv',
    origin: `${LRA}, folder listops-1000`,
    variableLength: true,
    carvesValidation: false,
    open: (o: OpenTaskOptions) => listopsFiles({ dataDir: o.dataDir, maxLength: o.maxLength }),
  },
  'lra-text': {
    files: 'aclImdb/{train,test}/{pos,neg}/*.txt',
    origin: 'IMDB reviews (aclImdb_v1.tar.gz, ai.stanford.edu/~amaas/data/sentiment)',
    variableLength: true,
    carvesValidation: false,
    open: (o: OpenTaskOptions) => imdbFiles({ dataDir: o.dataDir, maxLength: o.maxLength }),
  },
  'lra-retrieval': {
    files: 'new_aan_pairs.train.tsv, new_aan_pairs.eval.tsv, new_aan_pairs.test.tsv',
    origin: `${LRA}, folder tsv_data`,
    variableLength: true,
    carvesValidation: false,
    open: (o: OpenTaskOptions) => aanFiles({ dataDir: o.dataDir, maxLength: o.maxLength }),
  },
  'lra-image': {
    files: 'data_batch_1.bin … data_batch_5.bin, test_batch.bin',
    origin: 'CIFAR-10 binary version (cifar-10-binary.tar.gz, www.cs.toronto.edu/~kriz/cifar.html)',
    variableLength: false,
    carvesValidation: true,
    open: (o: OpenTaskOptions) => cifarFiles({ dataDir: o.dataDir, grayscale: true, valFraction: o.valFraction }),
  },
  'lra-pathfinder': {
    files: 'curv_contour_length_14/metadata/*.npy, curv_contour_length_14/imgs/*/*.png',
    origin: `${LRA}, folder pathfinder32`,
    variableLength: false,
    carvesValidation: false,
    open: (o: OpenTaskOptions) => pathfinderFiles({ dataDir: o.dataDir, resolution: 32 }),
  },
  'lra-pathx': {
    files: 'curv_contour_length_14/metadata/*.npy, curv_contour_length_14/imgs/*/*.png',
    origin: `${LRA}, folder pathfinder128`,
    variableLength: false,
    carvesValidation: false,
    open: (o: OpenTaskOptions) => pathfinderFiles({ dataDir: o.dataDir, resolution: 128 }),
  },
  'smnist-full': {
    files: 'train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (.gz or not)',
    origin: 'the MNIST database (yann.lecun.com/exdb/mnist)',
    variableLength: false,
    carvesValidation: true,
    open: (o: OpenTaskOptions) => mnistFiles({ dataDir: o.dataDir, valFraction: o.valFraction }),
  },
  custom: {
    files: 'train.jsonl, test.jsonl [, val.jsonl, vocab.txt]',
    origin: 'your own data (README: Custom data)',
    variableLength: true,
    carvesValidation: true,
    open: (o: OpenTaskOptions) => customFiles(o),
  },
};
