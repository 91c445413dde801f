// Files that survive kills and power loss, and reads that never block: every checkpoint and
// safetensors file goes through these.
import * as fs from 'fs';
import * as path from 'path';
import { codedError } from '../validate';

/** The code of the TypeError thrown when a path is not a regular file. */
export const NOT_A_FILE = 'ERR_LONGCONV_NOT_A_FILE';

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notAFile(name: string, file: string, st: fs.Stats): TypeError {
  return Object.assign(new TypeError(`${name}: '${file}' is ${kindOf(st)}, not a regular file`), { code: NOT_A_FILE });
}

/**
 * The contents of the regular file at `file`. Opened without blocking (O_NONBLOCK) and checked
 * with fstat before reading, so a FIFO, device, socket or directory is refused at once with a
 * TypeError (code ERR_LONGCONV_NOT_A_FILE) instead of hanging or reading forever.
 */
export function readRegularFile(file: string, name = 'path'): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw notAFile(name, file, st);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The first `length` bytes of the regular file at `file` (fewer when it is shorter), refusing
 * other kinds of file as readRegularFile does.
 */
export function readRegularFileStart(file: string, length: number, name = 'path'): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw notAFile(name, file, st);
    const out = Buffer.alloc(Math.min(length, st.size));
    let done = 0;
    while (done < out.length) {
      const n = fs.readSync(fd, out, done, out.length - done, done);
      if (n === 0) break;
      done += n;
    }
    return out.subarray(0, done);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Where a write to `file` lands: the file itself, or, when it is a symbolic link (or a chain of
 * them), the file the link points to, so that a write through a link updates its target (as
 * writing through it in a shell would) instead of replacing the link. Existing paths that are
 * not regular files are refused with a TypeError (code ERR_LONGCONV_NOT_A_FILE).
 */
export function writeTarget(file: string, name = 'path'): string {
  let target = path.resolve(file);
  for (let hops = 0; ; hops++) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return target; // a new file (or a dangling link's target)
      throw e;
    }
    if (st.isFile()) return target;
    if (!st.isSymbolicLink()) throw notAFile(name, file, st);
    if (hops >= 40) throw codedError('ELOOP', `${name}: '${file}' is a chain of more than 40 symbolic links`);
    target = path.resolve(path.dirname(target), fs.readlinkSync(target));
  }
}

/** The temporary file a write to `target` goes through (one per target: the next save cleans it up). */
function temporaryOf(target: string): string {
  return `${target}.tmp`;
}

/**
 * Writes a file so that a kill or power loss at any moment leaves either the old file or the
 * complete new one: `write(fd)` fills a temporary file next to the target, which is flushed to
 * disk (fsync), renamed over the target, and the directory flushed too. A failure removes the
 * temporary file; one left by a killed process is overwritten by the next write. Returns the
 * path written (symbolic links followed, see writeTarget).
 */
export function writeFileAtomically(file: string, write: (fd: number) => void, name = 'path'): string {
  const target = writeTarget(file, name);
  const tmp = temporaryOf(target);
  const { O_WRONLY, O_CREAT, O_TRUNC, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o644);
  try {
    write(fd);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  syncDirectory(path.dirname(target));
  return target;
}

/** writeFileAtomically for a whole text, as UTF-8. */
export function writeTextAtomically(file: string, text: string, name = 'path'): string {
  return writeFileAtomically(file, (fd) => writeAll(fd, Buffer.from(text, 'utf8')), name);
}

/** Flushes a directory's entries (a rename in it) to disk. */
function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes all of `bytes` at the file's current position. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}
