// Element types of PyTorch files (safetensors dtypes and torch storage types), decoded to float32.
// Integers and booleans become their values, float64 rounds to float32, float16 and bfloat16 widen
// exactly; a complex element becomes two float32 values (re, im), as torch.view_as_real lays it out.

/** An element type, by its safetensors name. */
export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL' | 'C64' | 'C128';

interface DTypeInfo {
  /** Bytes per element. */
  bytes: number;
  /** Float32 values per element: 2 for complex, else 1. */
  parts: number;
}

export const DTYPES: Record<DType, DTypeInfo> = {
  F64: { bytes: 8, parts: 1 }, F32: { bytes: 4, parts: 1 }, F16: { bytes: 2, parts: 1 }, BF16: { bytes: 2, parts: 1 },
  I64: { bytes: 8, parts: 1 }, I32: { bytes: 4, parts: 1 }, I16: { bytes: 2, parts: 1 }, I8: { bytes: 1, parts: 1 },
  U8: { bytes: 1, parts: 1 }, BOOL: { bytes: 1, parts: 1 }, C64: { bytes: 8, parts: 2 }, C128: { bytes: 16, parts: 2 },
};

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, x);
}

/** IEEE half precision bits → number (exact). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * Decodes `count` elements of `dtype` from `bytes` (byte order as `littleEndian` says) into float32,
 * `parts` values per element.
 */
export function decodeElements(dtype: DType, bytes: Uint8Array, count: number, littleEndian: boolean): Float32Array {
  const { bytes: size, parts } = DTYPES[dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * size);
  const out = new Float32Array(count * parts);
  const le = littleEndian;
  switch (dtype) {
    case 'F32': for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, le); break;
    case 'F64': for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, le); break;
    case 'F16': for (let i = 0; i < count; i++) out[i] = halfToNumber(view.getUint16(2 * i, le)); break;
    case 'BF16': {
      const word = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        word.setUint32(0, view.getUint16(2 * i, le) << 16);
        out[i] = word.getFloat32(0);
      }
      break;
    }
    case 'I64': for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(8 * i, le)); break;
    case 'I32': for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, le); break;
    case 'I16': for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, le); break;
    case 'I8': for (let i = 0; i < count; i++) out[i] = view.getInt8(i); break;
    case 'U8': for (let i = 0; i < count; i++) out[i] = view.getUint8(i); break;
    case 'BOOL': for (let i = 0; i < count; i++) out[i] = view.getUint8(i) ? 1 : 0; break;
    case 'C64': for (let i = 0; i < 2 * count; i++) out[i] = view.getFloat32(4 * i, le); break;
    case 'C128': for (let i = 0; i < 2 * count; i++) out[i] = view.getFloat64(8 * i, le); break;
  }
  return out;
}

/** Encodes float32 values as little-endian `dtype` ('F32', 'I64' or 'BOOL': what export writes). */
export function encodeElements(dtype: 'F32' | 'I64' | 'BOOL', values: Float32Array): Uint8Array {
  const size = DTYPES[dtype].bytes;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (dtype === 'F32') view.setFloat32(4 * i, values[i], true);
    else if (dtype === 'I64') view.setBigInt64(8 * i, BigInt(Math.round(values[i])), true);
    else view.setUint8(i, values[i] ? 1 : 0);
  }
  return out;
}
