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

/** One line of a log-log chart: (x, y) points, both > 0. */
export interface ChartSeries {
  label: string;
  points: [number, number][];
  /** Drawn dashed (e.g. a second device), same colour rules otherwise. */
  dashed?: boolean;
}

/** One panel of {@link logLogChart}. */
export interface ChartPanel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const LOG_W = 440, LOG_H = 330, LOG_M = { left: 62, right: 14, top: 34, bottom: 46 };

const escapeXml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

// Ticks on a log axis: powers of `base` inside [lo, hi], thinned to at most `max`, plus the 2
// and 5 multiples of a decade axis that would otherwise show fewer than three ticks.
function logTicks(lo: number, hi: number, base: number, max = 7): number[] {
  let ticks: number[] = [];
  for (let e = Math.floor(Math.log(lo) / Math.log(base)); base ** e <= hi * (1 + 1e-9); e++) if (base ** e >= lo * (1 - 1e-9)) ticks.push(base ** e);
  if (base === 10 && ticks.length < 3) {
    ticks = [];
    for (let e = Math.floor(Math.log10(lo)); 10 ** e <= hi; e++) for (const m of [1, 2, 5]) if (m * 10 ** e >= lo && m * 10 ** e <= hi) ticks.push(Number((m * 10 ** e).toPrecision(6)));
  }
  const step = Math.ceil(ticks.length / max);
  return ticks.filter((_, i) => i % step === 0);
}

function tickLabel(v: number, base: number): string {
  if (base === 2 && v >= 1024) return v % (1 << 20) === 0 ? `${v / (1 << 20)}M` : `${v / 1024}K`;
  return String(Number(v.toPrecision(3)));
}

function logPanel(x0: number, y0: number, panel: ChartPanel, colors: Map<string, string>): string {
  const pts = panel.series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && y > 0 && Number.isFinite(y));
  const out: string[] = [];
  out.push(`<text x="${x0 + LOG_W / 2}" y="${y0 + 20}" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`);
  const plotW = LOG_W - LOG_M.left - LOG_M.right, plotH = LOG_H - LOG_M.top - LOG_M.bottom;
  out.push(`<rect x="${x0 + LOG_M.left}" y="${y0 + LOG_M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  if (!pts.length) return out.join('\n');
  let [xLo, xHi] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [yLo, yHi] = [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
  if (xHi / xLo < 2) [xLo, xHi] = [xLo / 1.5, xHi * 1.5];
  [yLo, yHi] = yHi / yLo < 2 ? [yLo / 1.5, yHi * 1.5] : [yLo / 1.25, yHi * 1.25];
  const px = (x: number) => x0 + LOG_M.left + (Math.log(x / xLo) / Math.log(xHi / xLo)) * plotW;
  const py = (y: number) => y0 + LOG_M.top + (1 - Math.log(y / yLo) / Math.log(yHi / yLo)) * plotH;
  for (const t of logTicks(yLo, yHi, 10)) {
    out.push(`<line x1="${x0 + LOG_M.left}" x2="${x0 + LOG_W - LOG_M.right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${x0 + LOG_M.left - 5}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${tickLabel(t, 10)}</text>`);
  }
  for (const t of logTicks(xLo, xHi, 2)) {
    out.push(`<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${y0 + LOG_M.top}" y2="${y0 + LOG_H - LOG_M.bottom}" stroke="#eee"/>`);
    out.push(`<text x="${px(t).toFixed(1)}" y="${y0 + LOG_H - LOG_M.bottom + 15}" text-anchor="middle" font-size="11">${tickLabel(t, 2)}</text>`);
  }
  out.push(`<text x="${x0 + LOG_M.left + plotW / 2}" y="${y0 + LOG_H - 12}" text-anchor="middle" font-size="12">${escapeXml(panel.xLabel)}</text>`);
  const yMid = y0 + LOG_M.top + plotH / 2;
  out.push(`<text x="${x0 + 14}" y="${yMid}" text-anchor="middle" font-size="12" transform="rotate(-90 ${x0 + 14} ${yMid})">${escapeXml(panel.yLabel)}</text>`);
  for (const s of panel.series) {
    const color = colors.get(s.label)!;
    const line = s.points.filter(([x, y]) => x > 0 && y > 0 && Number.isFinite(y)).sort((a, b) => a[0] - b[0]);
    if (!line.length) continue;
    const d = line.map(([x, y], i) => `${i ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    out.push(`<path class="series" d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${escapeXml(s.label)}</title></path>`);
    line.forEach(([x, y]) => out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2.5" fill="${color}"/>`));
  }
  return out.join('\n');
}

/**
 * Log-log line charts, one panel per entry (three to a row) and one legend for all: a series
 * keeps its colour in every panel by its label. Each series is a single <path>.
 */
export function logLogChart(title: string, panels: ChartPanel[]): string {
  const labels = [...new Set(panels.flatMap((p) => p.series.map((s) => s.label)))];
  const colors = new Map(labels.map((l, i) => [l, PALETTE[i % PALETTE.length]]));
  const dashed = new Set(panels.flatMap((p) => p.series.filter((s) => s.dashed).map((s) => s.label)));
  const cols = Math.min(3, Math.max(1, panels.length)), rows = Math.ceil(panels.length / cols);
  const legendCols = Math.max(1, Math.floor((cols * LOG_W - 40) / 190)), legendRows = Math.ceil(labels.length / legendCols);
  const width = cols * LOG_W, top = 30, legendTop = top + rows * LOG_H + 8, height = legendTop + legendRows * 20 + 10;
  const body = panels.map((p, i) => logPanel((i % cols) * LOG_W, top + Math.floor(i / cols) * LOG_H, p, colors));
  const legend = labels.map((l, i) => {
    const x = 20 + (i % legendCols) * 190, y = legendTop + Math.floor(i / legendCols) * 20 + 10;
    return `<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${colors.get(l)}" stroke-width="2"${dashed.has(l) ? ' stroke-dasharray="6 4"' : ''}/>` +
      `<text x="${x + 30}" y="${y + 4}" font-size="12">${escapeXml(l)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>
<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${escapeXml(title)}</text>
${body.join('\n')}
${legend.join('\n')}
</svg>
`;
}
