// What `longconv bench` prints and writes: its rows as JSON lines, an aligned terminal table,
// Markdown (bench/RESULTS.md and --out DIR/RESULTS.md), and the log-log chart of --svg.
import { ChartPanel, logLogChart } from '../cli/svg';
import { PEERS, PeerName } from './options';

/** A peer's timings for a row (ratio = peer time / longconv time: above 1, longconv is faster). */
export interface PeerTimes {
  fwdMs: number;
  fwdBwdMs: number;
  fwdP10: number;
  fwdP90: number;
  fwdBwdP10: number;
  fwdBwdP90: number;
  fwdRatio: number;
  fwdBwdRatio: number;
}
export type PeerCell = PeerTimes | { skipped: string };

/** One measured case. The first nine keys are the JSON row of `--json`; the rest add detail. */
export interface BenchRow {
  op: string;
  device: 'cpu' | 'cuda';
  shape: Record<string, number>;
  L: number;
  threads: number;
  /** Medians in ms. */
  fwdMs: number;
  fwdBwdMs: number;
  /** The forward's minimum bytes over its median time, in GB/s (1e9 bytes). */
  gbps: number;
  peers: Partial<Record<PeerName, PeerCell>>;
  fwdP10: number;
  fwdP90: number;
  fwdBwdP10: number;
  fwdBwdP90: number;
  samples: number;
  bytes: { fwd: number; fwdBwd: number };
  /** gbps as a fraction of the machine's bandwidth (see BenchMeta.bandwidth), null when unknown. */
  bandwidthFraction: number | null;
}

/** About one run: when, where, with what. */
export interface BenchMeta {
  date: string;
  longconv: string;
  node: string;
  cpu: string;
  cores: number;
  device: 'cpu' | 'cuda';
  gpu?: string;
  /** Per thread count (CPU) or for the device (CUDA): GB/s and how it was obtained. */
  bandwidth: Record<string, { gbps: number | null; source: string }>;
  /** The 1-minute load average before and after the run: how busy the machine was (absent: not recorded). */
  loadAverage?: [number, number];
  peers: Partial<Record<PeerName, { version: string; python: string; ops: string[]; devices: string[] } | { skipped: string }>>;
}

/** The JSON line of a row: the issue's keys first, in its order, then the detail. */
export function jsonRow(row: BenchRow): string {
  const { op, device, shape, L, threads, fwdMs, fwdBwdMs, gbps, peers, ...detail } = row;
  return JSON.stringify({ op, device, shape, L, threads, fwdMs, fwdBwdMs, gbps, peers, ...detail });
}

/** Milliseconds with three significant digits (at least one decimal below 1000). */
function formatMs(ms: number): string {
  if (ms >= 1000) return ms.toFixed(0);
  return ms >= 100 ? ms.toFixed(1) : ms >= 10 ? ms.toFixed(2) : ms.toPrecision(3);
}

const formatShape = (shape: Record<string, number>) => Object.entries(shape).map(([k, v]) => `${k}=${v}`).join(' ');
const isTimes = (c: PeerCell | undefined): c is PeerTimes => !!c && 'fwdMs' in c;

/** Header and cells of a suite's table; `notes` explains the skipped peer cells. */
function tableCells(rows: BenchRow[]): { header: string[]; cells: string[][]; notes: string[] } {
  const peers = PEERS.filter((p) => rows.some((r) => r.peers[p] !== undefined));
  const header = ['op', 'device', 'shape', 'L', 'thr', 'fwd ms (p10–p90)', 'fwd+bwd ms (p10–p90)', 'GB/s', '% bw'];
  peers.forEach((p) => header.push(`${p} fwd`, '×', `${p} f+b`, '×'));
  const notes: string[] = [];
  const note = (peer: string, reason: string) => {
    const text = `${peer}: ${reason}`;
    if (!notes.includes(text)) notes.push(text);
    return `—[${notes.indexOf(text) + 1}]`;
  };
  const cells = rows.map((r) => {
    const line = [
      r.op, r.device, formatShape(r.shape), String(r.L), String(r.threads),
      `${formatMs(r.fwdMs)} (${formatMs(r.fwdP10)}–${formatMs(r.fwdP90)})`,
      `${formatMs(r.fwdBwdMs)} (${formatMs(r.fwdBwdP10)}–${formatMs(r.fwdBwdP90)})`,
      r.gbps.toFixed(r.gbps >= 10 ? 0 : 1),
      r.bandwidthFraction === null ? 'n/a' : `${(100 * r.bandwidthFraction).toFixed(r.bandwidthFraction >= 0.1 ? 0 : 1)}%`,
    ];
    for (const p of peers) {
      const c = r.peers[p];
      if (isTimes(c)) line.push(formatMs(c.fwdMs), `${c.fwdRatio.toFixed(2)}`, formatMs(c.fwdBwdMs), `${c.fwdBwdRatio.toFixed(2)}`);
      else {
        const mark = c ? note(p, c.skipped) : '—';
        line.push(mark, '', mark, '');
      }
    }
    return line;
  });
  return { header, cells, notes: notes.map((n, i) => `[${i + 1}] ${n}`) };
}

/** An aligned plain-text table (numbers right-aligned). */
export function textTable(rows: BenchRow[]): string {
  const { header, cells, notes } = tableCells(rows);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => (i < 3 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), ...notes].join('\n');
}

/** A Markdown table with its notes. */
function markdownTable(rows: BenchRow[]): string {
  const { header, cells, notes } = tableCells(rows);
  const line = (vals: string[]) => `| ${vals.map((v) => v.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i < 3 ? '---' : '---:'))), ...cells.map(line), '', ...notes.map((n) => `${n}  `)].join('\n').trimEnd();
}

/** One line about the run: machine, load, bandwidth and peer versions. */
export function describeRun(meta: BenchMeta): string {
  const bw = Object.entries(meta.bandwidth).map(([k, b]) => `${k}: ${b.gbps === null ? 'unknown' : `${b.gbps.toFixed(1)} GB/s`} (${b.source})`).join('; ');
  const peers = Object.entries(meta.peers).map(([p, v]) => ('version' in v! ? `${p} ${v.version}` : `${p} skipped`)).join(', ');
  return `${meta.date.slice(0, 10)}, ${meta.device === 'cuda' ? meta.gpu : meta.cpu} (${meta.cores} cores), longconv ${meta.longconv}, Node ${meta.node}` +
    `${peers ? `, ${peers}` : ''}; ${meta.loadAverage ? `load average ${meta.loadAverage[0].toFixed(2)} before, ${meta.loadAverage[1].toFixed(2)} after` : 'load average not recorded'}; bandwidth ${bw}`;
}

/** A results file: one suite on one device, as --out writes it. */
export interface ResultsFile {
  suite: string;
  meta: BenchMeta;
  rows: BenchRow[];
}

/** Markdown for results files: a section per file, machine line, then the table. */
export function resultsMarkdown(files: ResultsFile[]): string {
  return files.map((f) => `### ${f.suite} — ${f.meta.device}\n\n${describeRun(f.meta)}.\n\n${markdownTable(f.rows)}\n`).join('\n');
}

/**
 * The --svg chart: a panel per op, time (forward+backward median) against L, a line per
 * implementation and device (and thread count, when rows have several).
 */
export function benchChart(rows: BenchRow[]): string {
  const ops = [...new Set(rows.map((r) => r.op))];
  const panels: ChartPanel[] = ops.map((op) => {
    const mine = rows.filter((r) => r.op === op);
    const manyThreads = new Set(mine.map((r) => `${r.device}/${r.threads}`)).size > new Set(mine.map((r) => r.device)).size;
    const label = (impl: string, r: BenchRow) => `${impl} ${r.device}${manyThreads ? ` ${r.threads}t` : ''}`;
    const series = new Map<string, { label: string; points: [number, number][]; dashed: boolean }>();
    const add = (impl: string, r: BenchRow, ms: number) => {
      const l = label(impl, r);
      if (!series.has(l)) series.set(l, { label: l, points: [], dashed: r.device === 'cuda' });
      series.get(l)!.points.push([r.L, ms]);
    };
    for (const r of mine) {
      add('longconv', r, r.fwdBwdMs);
      for (const p of PEERS) {
        const c = r.peers[p];
        if (isTimes(c)) add(p, r, c.fwdBwdMs);
      }
    }
    const shape = formatShape(mine[0].shape);
    return { title: `${op} (${shape})`, xLabel: 'L', yLabel: 'forward+backward ms', series: [...series.values()] };
  });
  return logLogChart('longconv bench: median time against sequence length (log-log)', panels);
}
