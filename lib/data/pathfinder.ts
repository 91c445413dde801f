// Long Range Arena Pathfinder (32×32, L = 1024) and Path-X (128×128, L = 16384) from the
// release's folders: metadata/*.npy lists and PNG images, decoded with pngjs for each batch.
import * as fs from 'fs';
import * as path from 'path';
import { PNG } from 'pngjs';
import { grayLevel } from './cifar';
import { checkOneOf, checkOptions, checkString } from '../validate';
import { DataError, FileFormat, forEachLine, requireDir, sortedEntries } from './files';
import { subset, Task } from './source';
import { permutation } from './dataset';
import { uniformGenerator } from '../random';

/** The difficulty the S4 repository (and LRA's results) use: the hardest. */
export const PATHFINDER_DIFFICULTY = 'curv_contour_length_14';
/** The seed of the 80/10/10 train/validation/test split. */
const PATHFINDER_SPLIT_SEED = 42;

function format(resolution: number): FileFormat {
  return {
    expected: `the folder pathfinder${resolution}/${PATHFINDER_DIFFICULTY} with metadata/<n>.npy lists (lines 'imgs/<k> sample_<i>.png <x> <label 0|1> ...') and ${resolution}×${resolution} PNG images`,
    origin: `the Long Range Arena release lra_release.gz, folder pathfinder${resolution}`,
  };
}

/** Options of {@link pathfinderFiles}. */
export interface PathfinderFilesOptions {
  /** The pathfinderN folder of the release (or its curv_contour_length_14 folder). */
  dataDir: string;
  /** Image side: 32 (Pathfinder, lra-pathfinder) or 128 (Path-X, lra-pathx). */
  resolution: 32 | 128;
}

/**
 * Pathfinder: is there a path between the two dots (1) or not (0)? One gray channel of
 * L = resolution² pixels in row-major order, scaled to [0, 1] (the S4 repository's dataset
 * config: center false). The examples of every metadata file (in numeric order of their names,
 * as S4) are split 80% / 10% / 10% into train, validation and test by a fixed seed.
 *
 * The release's metadata/*.npy files are text, not NumPy arrays, despite their name: LRA's
 * own TFDS builder and the S4 repository both read them as lines of space-separated fields
 * (image folder, image name, −, label, …). So they are read here as text; no .npy parser
 * is involved.
 * @throws DataError for a missing folder or metadata file, a malformed line, or (when read) a
 *   PNG that is missing, corrupt or of the wrong size.
 */
export function pathfinderFiles(options: PathfinderFilesOptions): Task {
  const opts = checkOptions<PathfinderFilesOptions>(options, 'options', ['dataDir', 'resolution']);
  const dataDir = checkString(opts.dataDir, 'options.dataDir');
  const resolution = checkOneOf(opts.resolution, 'options.resolution', [32, 128] as const);
  const fmt = format(resolution);
  requireDir(dataDir, fmt);
  const nested = path.join(dataDir, PATHFINDER_DIFFICULTY);
  const root = fs.existsSync(path.join(nested, 'metadata')) ? nested : dataDir;
  const metadata = path.join(root, 'metadata');
  requireDir(metadata, fmt);
  const lists = sortedEntries(metadata, (f) => f.endsWith('.npy')).sort((a, b) => numericStem(a) - numericStem(b));
  if (lists.length === 0) throw new DataError(metadata, 'no .npy metadata files', fmt.expected, fmt.origin);
  const images: string[] = [];
  const labels: number[] = [];
  for (const list of lists) {
    forEachLine(list, (bytes, _offset, number) => {
      const fields = bytes.toString('utf8').trim().split(/\s+/);
      if (fields.length === 1 && fields[0] === '') return;
      const label = Number(fields[3]);
      if (fields.length < 4 || !(label === 0 || label === 1)) {
        throw new DataError(list, `line ${number} is not 'folder image - label' with a label 0 or 1`, fmt.expected, fmt.origin);
      }
      images.push(path.join(root, fields[0], fields[1]));
      labels.push(label);
    });
  }
  const L = resolution * resolution;
  const all = {
    size: images.length,
    read(indices: ArrayLike<number>) {
      const x = new Float32Array(indices.length * L);
      for (let i = 0; i < indices.length; i++) decodePng(images[indices[i]], resolution, fmt, x.subarray(i * L, (i + 1) * L));
      return { x, L, y: Int32Array.from(indices, (i) => labels[i]) };
    },
  };
  // S4: random_split(dataset, [train, val, test]) with val = test = int(0.1·n).
  const tenth = Math.floor(0.1 * all.size);
  if (tenth === 0) throw new DataError(metadata, `${all.size} examples leave no room for 10% validation and 10% test`, fmt.expected, fmt.origin);
  const order = permutation(all.size, uniformGenerator(PATHFINDER_SPLIT_SEED));
  const trainSize = all.size - 2 * tenth;
  return {
    name: resolution === 32 ? 'lra-pathfinder' : 'lra-pathx',
    L,
    inputs: 'real',
    dInput: 1,
    nClasses: 2,
    targets: 'sequence',
    pairs: false,
    train: subset(all, order.subarray(0, trainSize)),
    val: subset(all, order.subarray(trainSize, trainSize + tenth)),
    valFrom: 'train',
    test: subset(all, order.subarray(trainSize + tenth)),
  };
}

function numericStem(file: string): number {
  const n = Number(path.basename(file, '.npy'));
  return Number.isFinite(n) ? n : Infinity;
}

/** Decodes one PNG into gray levels / 255 (PIL's convert('L') for color images). */
function decodePng(file: string, resolution: number, fmt: FileFormat, out: Float32Array): void {
  let png: PNG;
  try {
    png = PNG.sync.read(fs.readFileSync(file));
  } catch (e) {
    const problem = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not a readable PNG (${(e as Error).message})`;
    throw new DataError(file, problem, fmt.expected, fmt.origin);
  }
  if (png.width !== resolution || png.height !== resolution) {
    throw new DataError(file, `the image is ${png.width}×${png.height}`, fmt.expected, fmt.origin);
  }
  const { data } = png; // RGBA, 8 bits per channel (pngjs expands gray and palette images)
  for (let t = 0; t < resolution * resolution; t++) out[t] = grayLevel(data[4 * t], data[4 * t + 1], data[4 * t + 2]) / 255;
}
