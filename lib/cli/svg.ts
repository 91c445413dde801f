// curves.svg: loss and accuracy per epoch, side by side, readable at a glance. Written by hand:
// the npm charting libraries need a browser or a canvas; a two-panel line chart is small SVG.

export interface EpochPoint {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  trainAccuracy: number;
  valAccuracy: number;
}

const W = 420, H = 310, M = { left: 56, right: 16, top: 52, bottom: 44 };
const COLORS = ['#1f77b4', '#d62728'];

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function panel(x0: number, title: string, series: { name: string; values: number[] }[], epochs: number[], yRange?: [number, number], format = (v: number) => String(v)): string {
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  let [lo, hi] = yRange ?? [Math.min(...all), Math.max(...all)];
  if (!yRange) {
    const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
    lo = Math.max(0, lo - pad);
    hi += pad;
  }
  // One epoch sits in the middle of the axis; more span it.
  const [xMin, xMax] = epochs.length > 1 ? [Math.min(...epochs), Math.max(...epochs)] : [epochs[0] - 1, epochs[0] + 1];
  const px = (e: number) => x0 + M.left + ((e - xMin) / (xMax - xMin)) * (W - M.left - M.right);
  const py = (v: number) => M.top + (1 - (v - lo) / (hi - lo || 1)) * (H - M.top - M.bottom);
  const out: string[] = [];
  out.push(`<text x="${x0 + W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${title}</text>`);
  out.push(`<rect x="${x0 + M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#999"/>`);
  for (const t of niceTicks(lo, hi)) {
    out.push(`<line x1="${x0 + M.left}" x2="${x0 + W - M.right}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/>`);
    out.push(`<text x="${x0 + M.left - 6}" y="${py(t) + 4}" text-anchor="end" font-size="11">${format(t)}</text>`);
  }
  for (const e of niceTicks(xMin, xMax, Math.min(8, Math.max(2, epochs.length))).filter((e) => Number.isInteger(e) && e >= 1)) {
    out.push(`<text x="${px(e)}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="11">${e}</text>`);
  }
  out.push(`<text x="${x0 + W / 2}" y="${H - 8}" text-anchor="middle" font-size="12">epoch</text>`);
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => [px(epochs[i]), py(v)] as const).filter(([, y]) => Number.isFinite(y));
    out.push(`<polyline fill="none" stroke="${COLORS[k]}" stroke-width="2" points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`);
    pts.forEach(([x, y]) => out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${COLORS[k]}"/>`));
    // The legend sits above the plot, where no line can cover it.
    const lx = x0 + M.left + k * 70;
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${M.top - 10}" y2="${M.top - 10}" stroke="${COLORS[k]}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 22}" y="${M.top - 6}" font-size="11">${s.name}</text>`);
  });
  return out.join('\n');
}

/**
 * Two panels: loss (train, validation) and accuracy in % (train, validation), per epoch;
 * `valName` labels the validation series ('validation', or 'test' when the run validates on it).
 */
export function curvesSvg(title: string, points: EpochPoint[], valName = 'validation'): string {
  const epochs = points.map((p) => p.epoch);
  const body = [
    panel(0, 'loss', [{ name: 'train', values: points.map((p) => p.trainLoss) }, { name: valName, values: points.map((p) => p.valLoss) }], epochs, undefined, (v) => String(Number(v.toPrecision(3)))),
    panel(W, 'accuracy (%)', [{ name: 'train', values: points.map((p) => 100 * p.trainAccuracy) }, { name: valName, values: points.map((p) => 100 * p.valAccuracy) }], epochs, [0, 100]),
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 24}" viewBox="0 -24 ${2 * W} ${H + 24}" font-family="sans-serif">
<rect x="0" y="-24" width="${2 * W}" height="${H + 24}" fill="white"/>
<text x="${W}" y="-6" text-anchor="middle" font-size="13" fill="#444">${title.replace(/[<&>]/g, '')}</text>
${body.join('\n')}
</svg>
`;
}
