// float64 complex dense matrices, for init-time work on small state matrices (S4's C̃ setup).
// Stored row-major as interleaved (re, im) pairs.

/** [v, conj(v)]: a vector of kept modes on the conjugate-doubled state (interleaved pairs). */
export function conjugateDoubled(v: ArrayLike<number>): Float64Array {
  const n = v.length / 2;
  const out = new Float64Array(4 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = out[2 * (i + n)] = v[2 * i];
    out[2 * i + 1] = v[2 * i + 1];
    out[2 * (i + n) + 1] = -v[2 * i + 1];
  }
  return out;
}

export class CMatrix {
  readonly data: Float64Array;
  constructor(readonly n: number) {
    this.data = new Float64Array(2 * n * n);
  }

  static identity(n: number): CMatrix {
    const m = new CMatrix(n);
    for (let i = 0; i < n; i++) m.data[2 * (i * n + i)] = 1;
    return m;
  }

  /** this + alpha·b for a real alpha. */
  plusScaled(b: CMatrix, alpha: number): CMatrix {
    const out = new CMatrix(this.n);
    for (let i = 0; i < out.data.length; i++) out.data[i] = this.data[i] + alpha * b.data[i];
    return out;
  }

  /** this·b */
  mul(b: CMatrix): CMatrix {
    const n = this.n;
    const out = new CMatrix(n);
    const a = this.data, bd = b.data, o = out.data;
    for (let i = 0; i < n; i++)
      for (let k = 0; k < n; k++) {
        const ar = a[2 * (i * n + k)], ai = a[2 * (i * n + k) + 1];
        if (ar === 0 && ai === 0) continue;
        for (let j = 0; j < n; j++) {
          const br = bd[2 * (k * n + j)], bi = bd[2 * (k * n + j) + 1];
          o[2 * (i * n + j)] += ar * br - ai * bi;
          o[2 * (i * n + j) + 1] += ar * bi + ai * br;
        }
      }
    return out;
  }

  /** this^p by repeated squaring (p >= 0). */
  pow(p: number): CMatrix {
    let result = CMatrix.identity(this.n);
    let base: CMatrix = this;
    for (let e = p; e > 0; e = Math.floor(e / 2)) {
      if (e % 2 === 1) result = result.mul(base);
      if (e > 1) base = base.mul(base);
    }
    return result;
  }

  /** Solves this·X = b (b: n×n) by Gaussian elimination with partial pivoting. */
  solve(b: CMatrix): CMatrix {
    const n = this.n;
    const a = Float64Array.from(this.data);
    const x = Float64Array.from(b.data);
    const swapRows = (m: Float64Array, r1: number, r2: number) => {
      for (let j = 0; j < 2 * n; j++) {
        const t = m[2 * r1 * n + j];
        m[2 * r1 * n + j] = m[2 * r2 * n + j];
        m[2 * r2 * n + j] = t;
      }
    };
    for (let col = 0; col < n; col++) {
      let pivot = col;
      let best = -1;
      for (let r = col; r < n; r++) {
        const mag = Math.hypot(a[2 * (r * n + col)], a[2 * (r * n + col) + 1]);
        if (mag > best) [best, pivot] = [mag, r];
      }
      if (best === 0) throw new RangeError('CMatrix.solve: the matrix is singular');
      swapRows(a, col, pivot);
      swapRows(x, col, pivot);
      const pr = a[2 * (col * n + col)], pi = a[2 * (col * n + col) + 1];
      const den = pr * pr + pi * pi;
      for (let r = 0; r < n; r++) {
        if (r === col) continue;
        const er = a[2 * (r * n + col)], ei = a[2 * (r * n + col) + 1];
        if (er === 0 && ei === 0) continue;
        const fr = (er * pr + ei * pi) / den, fi = (ei * pr - er * pi) / den; // e / pivot
        for (const m of [a, x]) {
          for (let j = 0; j < n; j++) {
            const cr = m[2 * (col * n + j)], ci = m[2 * (col * n + j) + 1];
            m[2 * (r * n + j)] -= fr * cr - fi * ci;
            m[2 * (r * n + j) + 1] -= fr * ci + fi * cr;
          }
        }
      }
    }
    const out = new CMatrix(n);
    for (let r = 0; r < n; r++) {
      const pr = a[2 * (r * n + r)], pi = a[2 * (r * n + r) + 1];
      const den = pr * pr + pi * pi;
      for (let j = 0; j < n; j++) {
        const xr = x[2 * (r * n + j)], xi = x[2 * (r * n + j) + 1];
        out.data[2 * (r * n + j)] = (xr * pr + xi * pi) / den;
        out.data[2 * (r * n + j) + 1] = (xi * pr - xr * pi) / den;
      }
    }
    return out;
  }

  /** this·v for a complex vector v (interleaved). */
  mulVec(v: Float64Array): Float64Array {
    const n = this.n;
    const out = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      let sr = 0, si = 0;
      for (let k = 0; k < n; k++) {
        const ar = this.data[2 * (i * n + k)], ai = this.data[2 * (i * n + k) + 1];
        sr += ar * v[2 * k] - ai * v[2 * k + 1];
        si += ar * v[2 * k + 1] + ai * v[2 * k];
      }
      out[2 * i] = sr;
      out[2 * i + 1] = si;
    }
    return out;
  }

  transpose(): CMatrix {
    const n = this.n;
    const out = new CMatrix(n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        out.data[2 * (j * n + i)] = this.data[2 * (i * n + j)];
        out.data[2 * (j * n + i) + 1] = this.data[2 * (i * n + j) + 1];
      }
    return out;
  }
}
