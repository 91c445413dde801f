// Independent float64 references: direct O(L^2) sums of the SPEC formulas, no FFTs.

export interface ConvCase {
  B: number;
  C: number;
  H: number;
  L: number;
  u: Float64Array; // [B,H,L]
  k: Float64Array; // [C,H,L]
  kRev?: Float64Array; // [C,H,L]
  D?: Float64Array; // [C,H]
}

/** y[b,c,h,t] = sum_s k[s] u[t-s] + sum_{s>=1} kRev[s-1] u[t+s] + D u[t]  (SPEC §1.1). */
export function fftConvReference({ B, C, H, L, u, k, kRev, D }: ConvCase): Float64Array {
  const y = new Float64Array(B * C * H * L);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++) {
        const uo = (b * H + h) * L;
        const ko = (c * H + h) * L;
        const yo = ((b * C + c) * H + h) * L;
        for (let t = 0; t < L; t++) {
          let acc = D ? D[c * H + h] * u[uo + t] : 0;
          for (let s = 0; s <= t; s++) acc += k[ko + s] * u[uo + t - s];
          if (kRev) for (let s = 1; t + s < L; s++) acc += kRev[ko + s - 1] * u[uo + t + s];
          y[yo + t] = acc;
        }
      }
  return y;
}

/** Gradients of sum(dy * y) w.r.t. u, k, kRev and D, by the same direct sums. */
export function fftConvGradReference(cs: ConvCase, dy: Float64Array) {
  const { B, C, H, L, u, k, kRev, D } = cs;
  const du = new Float64Array(B * H * L);
  const dk = new Float64Array(C * H * L);
  const dkRev = new Float64Array(C * H * L);
  const dD = new Float64Array(C * H);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++) {
        const uo = (b * H + h) * L;
        const ko = (c * H + h) * L;
        const yo = ((b * C + c) * H + h) * L;
        for (let t = 0; t < L; t++) {
          const g = dy[yo + t];
          if (D) {
            du[uo + t] += g * D[c * H + h];
            dD[c * H + h] += g * u[uo + t];
          }
          for (let s = 0; s <= t; s++) {
            du[uo + t - s] += g * k[ko + s];
            dk[ko + s] += g * u[uo + t - s];
          }
          if (kRev)
            for (let s = 1; t + s < L; s++) {
              du[uo + t + s] += g * kRev[ko + s - 1];
              dkRev[ko + s - 1] += g * u[uo + t + s];
            }
        }
      }
  return { du, dk, dkRev, dD };
}
