// Nsight Compute for the GPU bundle's profile stage: finding the CUDA tools (ncu,
// compute-sanitizer), reading the CSV that `ncu --csv --page details` prints, and reducing it to
// one row per kernel. Pure functions over files and text, so the dry run tests them without a GPU.
import * as fs from 'fs';
import * as path from 'path';

/** Entries of `dir` whose names match `re`, as full paths, newest version first. */
function entries(dir: string, re: RegExp): string[] {
  try {
    return fs.readdirSync(dir).filter((n) => re.test(n)).sort((a, b) => b.localeCompare(a, 'en', { numeric: true })).map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}

/**
 * Folders that may hold a CUDA tool, in search order: PATH; each CUDA root's bin/,
 * compute-sanitizer/ and Nsight Compute folders (the toolkit's nsight-compute-<version>/,
 * /opt/nvidia/nsight-compute/<version>/); the Python environment's nvidia wheels (nvidia/<pkg>/bin).
 */
export function toolDirs(pathVar: string, cudaRoots: string[], siteDirs: string[]): string[] {
  const dirs = pathVar.split(path.delimiter).filter(Boolean);
  for (const root of cudaRoots) {
    dirs.push(path.join(root, 'bin'), path.join(root, 'compute-sanitizer'), ...entries(root, /^nsight-compute-\d/), ...entries(path.join(root, 'nsight-compute'), /^\d/));
  }
  for (const site of siteDirs) dirs.push(...entries(path.join(site, 'nvidia'), /./).map((d) => path.join(d, 'bin')));
  return dirs;
}

/** The search of toolDirs on this machine: $CUDA_HOME, $CUDA_PATH, /usr/local/cuda*, /opt/nvidia. */
export function machineToolDirs(siteDirs: string[]): string[] {
  const roots = [process.env.CUDA_HOME, process.env.CUDA_PATH, '/usr/local/cuda', ...entries('/usr/local', /^cuda-\d/), '/opt/nvidia'];
  return toolDirs(process.env.PATH ?? '', roots.filter((r): r is string => !!r), siteDirs);
}

/** The first executable `name` in `dirs`, or null. */
export function findTool(name: string, dirs: string[]): string | null {
  for (const d of dirs) {
    const f = path.join(d, name);
    try {
      fs.accessSync(f, fs.constants.X_OK);
      if (fs.statSync(f).isFile()) return f;
    } catch {
      // not here
    }
  }
  return null;
}

/** One kernel launch of a details page: its metrics by "Section: Metric". */
export interface NcuLaunch {
  id: number;
  kernel: string;
  block: string;
  grid: string;
  metrics: Record<string, { unit: string; value: string }>;
}

/** The fields of one CSV line ("a","b,c","say ""x"""). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') field += line[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/**
 * The launches of `ncu --csv --page details` output: one line per metric, columns named by the
 * header line (which ncu versions add or drop columns around the ones read here); ncu's own
 * ==PROF== lines and the profiled program's output around the table are skipped, as are the
 * rule rows (no metric name).
 */
export function parseDetailsCsv(text: string): NcuLaunch[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => l.startsWith('"ID",'));
  if (start < 0) return [];
  const header = csvFields(lines[start]);
  const col = (name: string) => header.indexOf(name);
  const [ID, KERNEL, BLOCK, GRID, SECTION, METRIC, UNIT, VALUE] = ['ID', 'Kernel Name', 'Block Size', 'Grid Size', 'Section Name', 'Metric Name', 'Metric Unit', 'Metric Value'].map(col);
  const launches = new Map<number, NcuLaunch>();
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('"')) continue;
    const f = csvFields(line);
    if (f.length < header.length || !/^\d+$/.test(f[ID])) continue;
    const id = Number(f[ID]);
    let launch = launches.get(id);
    if (!launch) {
      launch = { id, kernel: f[KERNEL], block: BLOCK >= 0 ? f[BLOCK] : '', grid: GRID >= 0 ? f[GRID] : '', metrics: {} };
      launches.set(id, launch);
    }
    if (f[METRIC]) launch.metrics[`${f[SECTION]}: ${f[METRIC]}`] = { unit: f[UNIT], value: f[VALUE] };
  }
  return [...launches.values()].sort((a, b) => a.id - b.id);
}

/** A metric's number ("1,234.5" as ncu groups digits), or undefined when absent or n/a. */
function metricValue(launch: NcuLaunch, name: string, unit?: RegExp): { value: number; unit: string } | undefined {
  for (const [key, m] of Object.entries(launch.metrics)) {
    if (!key.endsWith(`: ${name}`) || (unit && !unit.test(m.unit))) continue;
    const value = Number(m.value.replace(/,/g, ''));
    if (m.value !== '' && Number.isFinite(value)) return { value, unit: m.unit };
  }
  return undefined;
}

const NS_PER: Record<string, number> = { nsecond: 1, ns: 1, usecond: 1e3, us: 1e3, msecond: 1e6, ms: 1e6, second: 1e9, s: 1e9 };
const BYTES_PER: Record<string, number> = { 'byte/second': 1, 'B/s': 1, 'Kbyte/second': 1e3, 'Mbyte/second': 1e6, 'Gbyte/second': 1e9, 'Tbyte/second': 1e12 };

/** A launch's duration in nanoseconds: the Speed Of Light section's, else gpu__time_duration's. */
function durationNs(launch: NcuLaunch): number | undefined {
  const d = metricValue(launch, 'Duration') ?? metricValue(launch, 'gpu__time_duration.sum');
  return d && NS_PER[d.unit] !== undefined ? d.value * NS_PER[d.unit] : undefined;
}

/**
 * "void lc::(anonymous namespace)::spectral_product<false>(const float2 *, ...)" ->
 * "spectral_product<false>": no return type, namespaces or parameters; long template arguments cut.
 */
export function shortKernelName(name: string): string {
  let depth = 0;
  let end = name.length;
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '<') depth++;
    else if (c === '>') depth--;
    else if (depth === 0 && c === '(' && name.slice(start, i).trim() !== '' && !name.slice(start, i).endsWith('::')) {
      end = i;
      break;
    } else if (depth === 0 && c === ':' && name[i + 1] === ':') start = i + 2;
    else if (depth === 0 && c === ' ') start = i + 1;
  }
  const short = name.slice(start, end).trim() || name;
  return short.length > 64 ? `${short.slice(0, 63)}…` : short;
}

/** One row of a profile table: the launches of one kernel with one launch geometry. */
export interface KernelRow {
  kernel: string;
  name: string;
  calls: number;
  grid: string;
  block: string;
  registers?: number;
  durationNs?: number;
  /** Share of the forward's kernel time, in %. */
  timePct?: number;
  /** Achieved DRAM throughput, % of peak (Speed Of Light). */
  dramPct?: number;
  /** DRAM bytes per second (Memory Workload Analysis). */
  dramGBps?: number;
  /** Compute (SM) throughput, % of peak. */
  smPct?: number;
  l2HitPct?: number;
  achievedOccupancyPct?: number;
  theoreticalOccupancyPct?: number;
}

/**
 * The launches grouped by kernel and geometry, in order of first launch: calls counted, times
 * summed, the rates averaged weighted by time (a launch without a duration weighs 1).
 */
export function kernelRows(launches: NcuLaunch[]): { rows: KernelRow[]; totalNs: number } {
  const groups = new Map<string, NcuLaunch[]>();
  for (const l of launches) {
    const key = `${l.kernel}\t${l.grid}\t${l.block}`;
    groups.set(key, [...(groups.get(key) ?? []), l]);
  }
  const totalNs = launches.reduce((t, l) => t + (durationNs(l) ?? 0), 0);
  const rows = [...groups.values()].map((group) => {
    const weight = (l: NcuLaunch) => durationNs(l) ?? 1;
    const mean = (name: string, unit?: RegExp, scale: (u: string) => number = () => 1) => {
      let sum = 0;
      let weights = 0;
      for (const l of group) {
        const m = metricValue(l, name, unit);
        if (m) {
          sum += weight(l) * m.value * scale(m.unit);
          weights += weight(l);
        }
      }
      return weights ? sum / weights : undefined;
    };
    const ns = group.every((l) => durationNs(l) !== undefined) ? group.reduce((t, l) => t + durationNs(l)!, 0) : undefined;
    const first = group[0];
    return {
      kernel: first.kernel,
      name: shortKernelName(first.kernel),
      calls: group.length,
      grid: first.grid || String(metricValue(first, 'Grid Size')?.value ?? ''),
      block: first.block || String(metricValue(first, 'Block Size')?.value ?? ''),
      registers: metricValue(first, 'Registers Per Thread')?.value,
      durationNs: ns,
      timePct: ns !== undefined && totalNs > 0 ? (100 * ns) / totalNs : undefined,
      dramPct: mean('DRAM Throughput', /%/),
      dramGBps: mean('Memory Throughput', /byte\/second|B\/s/, (u) => (BYTES_PER[u] ?? NaN) / 1e9),
      smPct: mean('Compute (SM) Throughput', /%/),
      l2HitPct: mean('L2 Hit Rate', /%/),
      achievedOccupancyPct: mean('Achieved Occupancy', /%/),
      theoreticalOccupancyPct: mean('Theoretical Occupancy', /%/),
    };
  });
  return { rows, totalNs };
}

/**
 * Where the last of several identical calls begins in a list of kernel names: the longest tail
 * block that repeats the block before it (the warm-up call), after whatever launched first (the
 * inputs). Null when the tail does not repeat.
 */
export function lastRepeat(names: string[]): { skip: number; count: number } | null {
  const n = names.length;
  for (let count = Math.floor(n / 2); count > 0; count--) {
    let same = true;
    for (let i = 0; i < count && same; i++) same = names[n - 2 * count + i] === names[n - count + i];
    if (same) return { skip: n - count, count };
  }
  return null;
}

/**
 * ncu's error lines (==ERROR==), verbatim; for ERR_NVGPUCTRPERM (performance counters
 * restricted to administrators, the driver's default) with the fix.
 */
export function ncuErrors(output: string): { lines: string[]; permission: boolean; hint?: string } {
  const lines = output.split('\n').filter((l) => l.startsWith('==ERROR==')).slice(0, 10);
  const permission = /ERR_NVGPUCTRPERM/.test(output);
  const hint = permission
    ? 'fix: run verify.sh as root (sudo -E), or let users read the counters: load the driver with NVreg_RestrictProfilingToAdminUsers=0 (options nvidia in /etc/modprobe.d, then reload it or reboot); in a container, start it with --cap-add=SYS_ADMIN. See https://developer.nvidia.com/ERR_NVGPUCTRPERM'
    : undefined;
  return { lines, permission, hint };
}
