// The safetensors format: an 8-byte little-endian header length n, n bytes of JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the
// raw little-endian data, whose byte offsets are relative to the end of the header. Files written
// here pad the header with spaces so the data starts on an 8-byte boundary, and lay the tensors
// out in order without gaps, as the format requires. longconv's own files (saveTensors,
// loadTensors) hold F32 only; the PyTorch interop (io.loadPyTorch) reads every numeric dtype.
import * as os from 'os';
import { dispose, Tensor, tensor } from '../tensor';
import { checkFilePath, checkObject, checkTensor, codedError, describe, fmtShape, typeError } from '../validate';
import { decodeElements, DType, DTYPES, isDType } from './dtypes';
import { readRegularFile, readRegularFileStart, writeAll, writeFileAtomically } from './files';

/** What loadTensors returns: the tensors (on the CPU) by name and the `__metadata__` strings. */
export interface LoadedTensors {
  /** The tensors by name, on the CPU. */
  tensors: Record<string, Tensor>;
  /** The header's `__metadata__` strings ({} when absent). */
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
const ALIGNMENT = 8;
/** Headers beyond this many bytes are rejected (as the reference implementation does). */
const MAX_HEADER_BYTES = 100_000_000;
const LITTLE_ENDIAN = os.endianness() === 'LE';

interface HeaderEntry {
  dtype: DType;
  shape: number[];
  data_offsets: [number, number];
}

/** One tensor of a safetensors file as raw little-endian bytes, for {@link writeSafetensors}. */
export interface RawTensor {
  name: string;
  dtype: DType;
  shape: number[];
  bytes: Uint8Array;
}

/** One tensor parsed from a safetensors file, widened to float32 (see dtypes.ts). */
export interface ParsedTensor {
  name: string;
  dtype: DType;
  /** The header's shape (a complex dtype adds a trailing 2). */
  shape: number[];
  data: Float32Array;
}

/** The code of the Error thrown for a file that is not valid safetensors. */
export const INVALID_SAFETENSORS = 'ERR_LONGCONV_INVALID_SAFETENSORS';

/**
 * Writes tensors (from any device) and string metadata to `path` in the safetensors format.
 * The write is atomic and durable (see writeSafetensors): a failure or a kill at any moment
 * leaves the old file or the complete new one, never a partial file. A symbolic link at `path`
 * is followed: its target is updated.
 * @throws TypeError for a non-object, a non-tensor or disposed tensor, a name that is empty or
 *   "__metadata__", metadata that is not an object of strings, or a path that exists and is not
 *   a regular file (code ERR_LONGCONV_NOT_A_FILE); Error with code ERR_LONGCONV_OUT_OF_MEMORY
 *   when host memory for the copies runs out; file-system errors as thrown.
 */
export function saveTensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  checkFilePath(path);
  checkObject(tensors, 'tensors', 'an object of tensors by name');
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '' || name === METADATA_KEY) throw typeError('tensors', `names other than '' and '${METADATA_KEY}'`, `the reserved name '${name}'`);
    checkTensor(t, `tensors['${name}']`);
  }
  if (metadata !== undefined) checkMetadata(metadata, 'metadata');

  writeSafetensors(path, Object.entries(tensors).map(([name, t]) => {
    const values = t.toFloat32Array();
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    if (!LITTLE_ENDIAN) Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).swap32();
    return { name, dtype: 'F32', shape: [...t.shape], bytes };
  }), metadata);
}

/**
 * @internal
 * Writes raw tensors (little-endian bytes of their dtype) and metadata as a safetensors file,
 * atomically and durably (lib/io/files.ts: a temporary file, fsync, rename, fsync of the
 * directory; symbolic links followed).
 */
export function writeSafetensors(path: string, tensors: RawTensor[], metadata?: Record<string, string>): void {
  // Built with fromEntries: a tensor named '__proto__' stays an ordinary key.
  const entries: [string, unknown][] = [];
  if (metadata !== undefined && Object.keys(metadata).length) entries.push([METADATA_KEY, metadata]);
  let offset = 0;
  for (const t of tensors) {
    const entry: HeaderEntry = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + t.bytes.length] };
    entries.push([t.name, entry]);
    offset += t.bytes.length;
  }
  const json = JSON.stringify(Object.fromEntries(entries));
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  const headerBytes = Math.ceil((8 + jsonBytes) / ALIGNMENT) * ALIGNMENT - 8;
  const prefix = Buffer.alloc(8 + headerBytes, ' ');
  prefix.writeBigUInt64LE(BigInt(headerBytes), 0);
  prefix.write(json, 8, 'utf8');

  writeFileAtomically(path, (fd) => {
    writeAll(fd, prefix);
    for (const t of tensors) writeAll(fd, t.bytes);
  });
}

/**
 * Reads a safetensors file of float32 tensors. Everything is validated before any tensor is
 * made: the header length (within the file and at most 100 MB), the JSON (no key twice in an
 * object), each entry's keys, dtype ("F32" only), shape and data offsets (inside the data, the
 * size its shape needs, no overlaps or gaps, no trailing bytes) and the metadata (strings
 * only). Only regular files are read: a FIFO, device or directory is refused at once.
 * @returns the tensors (on the CPU) and the metadata ({} when the file has none)
 * @throws Error with code ERR_LONGCONV_INVALID_SAFETENSORS naming the file and what is wrong
 *   with it (a bad file never crashes); TypeError with code ERR_LONGCONV_NOT_A_FILE for a path
 *   that is not a regular file; file-system errors as thrown.
 */
export function loadTensors(path: string): LoadedTensors {
  checkFilePath(path);
  const { entries, metadata } = parseSafetensors(readRegularFile(path), path, ['F32'], 'loadTensors');
  const loaded: [string, Tensor][] = [];
  try {
    for (const entry of entries) loaded.push([entry.name, tensor(entry.data, entry.shape)]);
  } catch (e) {
    dispose(loaded.map(([, t]) => t));
    throw e;
  }
  return { tensors: Object.fromEntries(loaded), metadata };
}

/**
 * @internal
 * Parses and validates a safetensors file's bytes (see loadTensors) with the given dtypes allowed,
 * decoding every tensor to float32.
 * @throws Error naming the file and what is wrong with it.
 */
export function parseSafetensors(
  file: Buffer, path: string, dtypes: DType[], caller: string, makeError: (message: string) => Error = (m) => codedError(INVALID_SAFETENSORS, m),
): { entries: ParsedTensor[]; metadata: Record<string, string> } {
  const fail = (why: string): never => {
    throw makeError(`${caller}: '${path}' is not a valid safetensors file: ${why}`);
  };
  const { header, dataStart } = parseHeader(file, file.length, fail);
  const dataBytes = file.length - dataStart;
  const entries: [string, HeaderEntry][] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      try {
        checkMetadata(value, METADATA_KEY);
      } catch (e) {
        fail((e as Error).message);
      }
      metadata = { ...(value as Record<string, string>) };
    } else entries.push([name, checkEntry(name, value, dataBytes, dtypes, fail)]);
  }
  // The entries must tile the data exactly: sorted by offset, each begins where the last ended.
  const byOffset = [...entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1]);
  let end = 0;
  let previous = '';
  for (const [name, entry] of byOffset) {
    const [begin, stop] = entry.data_offsets;
    if (begin < end) fail(`the data of '${name}' [${begin}, ${stop}) overlaps that of '${previous}' (ending at ${end})`);
    if (begin > end) fail(`the bytes [${end}, ${begin}) of the data belong to no tensor (a gap before '${name}')`);
    end = stop;
    previous = name;
  }
  if (end !== dataBytes) fail(`the data has ${dataBytes} bytes but its tensors cover ${end} (trailing bytes)`);
  const parsed = entries.map(([name, entry]): ParsedTensor => {
    const [begin, stop] = entry.data_offsets;
    const count = (stop - begin) / DTYPES[entry.dtype].bytes;
    const data = decodeElements(entry.dtype, file.subarray(dataStart + begin, dataStart + stop), count, true);
    return { name, dtype: entry.dtype, shape: DTYPES[entry.dtype].parts === 2 ? [...entry.shape, 2] : entry.shape, data };
  });
  return { entries: parsed, metadata };
}

/**
 * The header of a safetensors file from its first bytes (at least 8 + n, or the whole file of
 * `fileLength` bytes): the parsed JSON object and where the data starts. Refuses a header that
 * is too long, not UTF-8 JSON, not an object, or with a key twice in one object.
 */
function parseHeader(file: Buffer, fileLength: number, fail: (why: string) => never): { header: Record<string, unknown>; dataStart: number } {
  if (fileLength < 8) fail(`it has ${fileLength} bytes, fewer than the 8 of the header length (truncated?)`);
  const headerLength = file.readBigUInt64LE(0);
  if (headerLength > BigInt(fileLength - 8)) {
    fail(`the header length ${headerLength} exceeds the ${fileLength - 8} bytes after it (truncated or corrupt)`);
  }
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`the header length ${headerLength} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const dataStart = 8 + Number(headerLength);
  let text = '';
  let header: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(file.subarray(8, dataStart));
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail(`the header is not a JSON object but ${describe(header)}`);
  const twice = duplicateKey(text);
  if (twice !== undefined) fail(`the header has the key ${JSON.stringify(twice)} twice in one object`);
  return { header: header as Record<string, unknown>, dataStart };
}

/**
 * The first key that appears twice in one object of the (valid) JSON text, if any. Written by
 * hand: JSON.parse keeps the last of duplicate keys without a word.
 */
function duplicateKey(json: string): string | undefined {
  const open: (Set<string> | null)[] = []; // per open object its keys; null for arrays
  let keyNext = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (keyNext) {
        const key = JSON.parse(json.slice(i, j + 1)) as string;
        const keys = open[open.length - 1]!;
        if (keys.has(key)) return key;
        keys.add(key);
        keyNext = false;
      }
      i = j;
    } else if (c === '{') {
      open.push(new Set());
      keyNext = true;
    } else if (c === '[') open.push(null);
    else if (c === '}' || c === ']') open.pop();
    else if (c === ',') keyNext = open[open.length - 1] instanceof Set;
  }
  return undefined;
}

/**
 * The `__metadata__` strings of a safetensors file, reading only its header.
 * @throws as loadTensors.
 */
export function readMetadata(path: string): Record<string, string> {
  checkFilePath(path);
  const fail = (why: string): never => {
    throw codedError(INVALID_SAFETENSORS, `readMetadata: '${path}' is not a valid safetensors file: ${why}`);
  };
  const start = readRegularFileStart(path, 8);
  if (start.length < 8) fail(`it has ${start.length} bytes, fewer than the 8 of the header length (truncated?)`);
  const length = start.readBigUInt64LE(0);
  const file = readRegularFileStart(path, 8 + Number(length > BigInt(MAX_HEADER_BYTES) ? BigInt(MAX_HEADER_BYTES) + 1n : length));
  const { header } = parseHeader(file, file.length, fail);
  const metadata = header[METADATA_KEY];
  if (metadata === undefined) return {};
  try {
    checkMetadata(metadata, METADATA_KEY);
  } catch (e) {
    fail((e as Error).message);
  }
  return { ...(metadata as Record<string, string>) };
}

function checkMetadata(metadata: unknown, name: string): void {
  for (const [key, value] of Object.entries(checkObject(metadata, name, 'an object of strings'))) {
    if (typeof value !== 'string') throw typeError(`${name}['${key}']`, 'a string', describe(value));
  }
}

/** Validates one tensor entry of a header against the data size; `fail` throws. */
function checkEntry(name: string, value: unknown, dataBytes: number, dtypes: DType[], fail: (why: string) => never): HeaderEntry {
  const where = `tensor '${name}'`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`${where}: expected {dtype, shape, data_offsets}, got ${describe(value)}`);
  const entry = value as Record<string, unknown>;
  for (const key of Object.keys(entry)) {
    if (!['dtype', 'shape', 'data_offsets'].includes(key)) fail(`${where}: unknown key '${key}'`);
  }
  const dtype = entry.dtype;
  if (!isDType(dtype) || !dtypes.includes(dtype)) fail(`${where}: dtype ${JSON.stringify(dtype)} is not supported (only ${dtypes.map((d) => `"${d}"`).join(', ')})`);
  const shape = entry.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`${where}: shape ${JSON.stringify(shape)} is not an array of non-negative integers`);
  }
  const dims = shape as number[];
  const offsets = entry.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    fail(`${where}: data_offsets ${JSON.stringify(offsets)} is not [begin, end] with non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataBytes) fail(`${where}: data_offsets [${begin}, ${end}] lie outside the ${dataBytes} bytes of data`);
  const numel = dims.reduce((a, b) => a * b, 1);
  const size = DTYPES[dtype as DType].bytes;
  if (end - begin !== size * numel) fail(`${where}: shape ${fmtShape(dims)} needs ${size * numel} bytes, data_offsets give ${end - begin}`);
  return { dtype: dtype as DType, shape: dims, data_offsets: [begin, end] };
}
