// A float64 reimplementation of SGConv's kernel and of its gradient (tests of kernels.sgconv and
// of the SGConv layer), written from the interpolation's definition.

export interface SgCase {
  C: number;
  H: number;
  d: number;
  S: number;
  initScale: number;
  L: number;
  threeD: boolean;
  subs: Float64Array[];
  multiplier: number[];
  /** Per-feature power-law exponents a_h: position t of the concatenation times (t + 1)^(−a_h) (SGConv's powerDecay). */
  powerDecay?: number[];
}

// A direct float64 reimplementation of SGConv's kernel, written from the interpolation's
// definition (torch.nn.functional.interpolate, mode='linear', align_corners=False).
function upsample(w: ArrayLike<number>, s: number): { value: Float64Array; taps: [number, number, number][] } {
  const d = w.length;
  const value = new Float64Array(d * s);
  const taps: [number, number, number][] = [];
  for (let j = 0; j < d * s; j++) {
    const src = Math.max(0, (j + 0.5) / s - 0.5);
    const i0 = Math.floor(src), i1 = Math.min(i0 + 1, d - 1), lambda = src - i0;
    value[j] = (1 - lambda) * w[i0] + lambda * w[i1];
    taps.push([i0, i1, lambda]);
  }
  return { value, taps };
}

/** (t + 1)^(−a_h), or 1 without a power law. */
function powerLaw(cs: SgCase, h: number, position: number): number {
  return cs.powerDecay ? (position + 1) ** -cs.powerDecay[h] : 1;
}

function scaleOf(i: number, initScale: number): number {
  return 2 ** (Math.max(0, i - 1) + initScale);
}

// The untruncated concatenation of row (c,h) (with the power law, when the case has one), and the decay of each piece.
function concatenation(cs: SgCase, row: number): { full: number[]; pieces: { offset: number; s: number; decay: number }[] } {
  const full: number[] = [];
  const pieces = [];
  const h = row % cs.H;
  for (let i = 0; i < cs.S; i++) {
    const s = scaleOf(i, cs.initScale);
    const decay = cs.multiplier[h] ** (cs.S - 1 - i);
    pieces.push({ offset: full.length, s, decay });
    const { value } = upsample(cs.subs[i].subarray(row * cs.d, (row + 1) * cs.d), s);
    value.forEach((v) => full.push(decay * v * powerLaw(cs, h, full.length)));
  }
  return { full, pieces };
}

export function sgconvReference(cs: SgCase, givenNorm?: ArrayLike<number>): { kernel: Float64Array; norm: Float64Array } {
  const R = cs.C * cs.H;
  const kernel = new Float64Array(R * cs.L), norm = new Float64Array(R);
  for (let row = 0; row < R; row++) {
    const { full } = concatenation(cs, row);
    norm[row] = givenNorm ? givenNorm[row] : Math.sqrt(full.reduce((a, v) => a + v * v, 0));
    for (let l = 0; l < Math.min(cs.L, full.length); l++) kernel[row * cs.L + l] = full[l] / norm[row];
  }
  return { kernel, norm };
}

// The gradient w.r.t. each sub-kernel with the norm held fixed: the transposed interpolation.
export function sgconvGradReference(cs: SgCase, norm: ArrayLike<number>, dy: ArrayLike<number>): Float64Array[] {
  const grads = cs.subs.map((w) => new Float64Array(w.length));
  for (let row = 0; row < cs.C * cs.H; row++) {
    const { pieces } = concatenation(cs, row);
    pieces.forEach(({ offset, s, decay }, i) => {
      const { taps } = upsample(new Float64Array(cs.d), s);
      taps.forEach(([i0, i1, lambda], j) => {
        if (offset + j >= cs.L) return;
        const g = (dy[row * cs.L + offset + j] * decay * powerLaw(cs, row % cs.H, offset + j)) / norm[row];
        grads[i][row * cs.d + i0] += (1 - lambda) * g;
        grads[i][row * cs.d + i1] += lambda * g;
      });
    });
  }
  return grads;
}

