// Reading the benchmarks' published files: one error type that names the file, the format it
// should have and where it comes from; synchronous line indexes and positional reads, so a
// split of gigabytes is read row by row at batch time instead of being held in memory.
import * as fs from 'fs';
import * as path from 'path';

/**
 * A missing or malformed data file. The message is one line: the file, what is wrong, the
 * expected format and where the file comes from. The CLI prints it and exits with code 2.
 */
export class DataError extends Error {
  /** The file (or folder) at fault. */
  readonly file: string;

  constructor(file: string, problem: string, expected: string, origin: string) {
    super(`${file}: ${problem}; expected ${expected} (${origin})`);
    this.name = 'DataError';
    this.file = file;
  }
}

/** What a reader knows about its files, for the messages of DataError. */
export interface FileFormat {
  /** The expected format, e.g. 'CIFAR-10 binary records of 1 label byte + 3072 pixel bytes'. */
  expected: string;
  /** Where the files come from, e.g. 'cifar-10-binary.tar.gz from the CIFAR-10 page'. */
  origin: string;
}

/** Throws a DataError for `file` unless it is a readable regular file; returns its size in bytes. */
export function requireFile(file: string, format: FileFormat): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new DataError(file, 'no such file', format.expected, format.origin);
  }
  if (!stat.isFile()) throw new DataError(file, 'not a regular file', format.expected, format.origin);
  return stat.size;
}

/** Throws a DataError for `dir` unless it is a directory. */
export function requireDir(dir: string, format: FileFormat): void {
  let ok = false;
  try {
    ok = fs.statSync(dir).isDirectory();
  } catch {
    throw new DataError(dir, 'no such directory', format.expected, format.origin);
  }
  if (!ok) throw new DataError(dir, 'not a directory', format.expected, format.origin);
}

/** The first of `candidates` (paths) that exists, else a DataError naming the first. */
export function findFile(candidates: string[], format: FileFormat): string {
  const found = candidates.find((f) => fs.existsSync(f));
  if (found === undefined) throw new DataError(candidates[0], 'no such file', format.expected, format.origin);
  requireFile(found, format);
  return found;
}

/** Reads `length` bytes of `file` at byte `offset` (one positional read; no whole-file buffer). */
export function readAt(file: string, offset: number, length: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, out, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? out : out.subarray(0, done);
  } finally {
    fs.closeSync(fd);
  }
}

const CHUNK = 1 << 22;

/**
 * Calls `visit(line, offset, number)` for every line of `file` (without its '\n' or '\r\n'),
 * reading 4 MiB at a time: a file larger than memory (or than V8's longest string) is fine.
 * `offset` is the line's first byte in the file, `number` counts from 1. An empty last line
 * (the file ends with '\n') is not visited.
 */
export function forEachLine(file: string, visit: (line: Buffer, offset: number, number: number) => void): void {
  const fd = fs.openSync(file, 'r');
  try {
    let carry = Buffer.alloc(0);
    let carryOffset = 0;
    let position = 0;
    let number = 0;
    const chunk = Buffer.alloc(CHUNK);
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, CHUNK, position);
      position += n;
      const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
        const end = nl > start && data[nl - 1] === 13 ? nl - 1 : nl;
        visit(data.subarray(start, end), carryOffset + start, ++number);
        start = nl + 1;
      }
      // The unfinished line is copied: `chunk` is overwritten by the next read.
      carry = Buffer.from(data.subarray(start));
      carryOffset += start;
      if (n === 0) {
        if (carry.length) visit(carry, carryOffset, ++number);
        return;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Byte ranges of chosen lines of one file, read back on demand. */
export class LineIndex {
  private readonly offsets: number[] = [];
  private readonly lengths: number[] = [];

  /** @param file the path of the indexed text file. */
  constructor(
    /** The path of the indexed text file. */
    readonly file: string,
  ) {}

  /** Number of indexed lines. */
  get size(): number {
    return this.offsets.length;
  }

  /** Records a line (its first byte and byte length, as forEachLine reports them). */
  add(offset: number, length: number): void {
    this.offsets.push(offset);
    this.lengths.push(length);
  }

  /** Line i's bytes, read from the file. */
  line(i: number): Buffer {
    return readAt(this.file, this.offsets[i], this.lengths[i]);
  }
}

/** Entries of a directory, sorted (a stable order on every file system). */
export function sortedEntries(dir: string, filter: (name: string) => boolean): string[] {
  return fs.readdirSync(dir).filter(filter).sort().map((name) => path.join(dir, name));
}
