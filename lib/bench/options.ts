// The flags of `longconv bench`, parsed strictly: a bad flag is one line and exit code 2.
import { choice, Flags, number, parseCommand, UsageError } from '../cli/args';

export const SUITES = ['fftconv', 'rfft', 'cauchy', 'vandermonde', 's4d-kernel', 's4-kernel', 'sgconv-kernel', 'multires', 'layer', 'train-step'] as const;
export const PEERS = ['numpy', 'fftw', 'torch'] as const;
export type SuiteName = (typeof SUITES)[number];
export type PeerName = (typeof PEERS)[number];

/** What one `longconv bench` run measures, and where its output goes. */
export interface BenchOptions {
  suites: SuiteName[];
  device: 'cpu' | 'cuda' | 'auto';
  /** Sequence lengths L; each suite has its own default list. */
  sizes?: number[];
  /** Batch B, heads/features H and state size N; each suite has its own defaults. */
  batch?: number;
  heads?: number;
  state?: number;
  /** CPU thread counts, each measured in turn; default: the current count. */
  threads?: number[];
  /** Timed repeats (median, p10, p90 over them); without it, at most ~2 s of repeats per measurement (at least 3, at most 10). */
  repeat?: number;
  warmup: number;
  /** The peers asked for; 'importable' (the default) runs those that import and leaves the rest out. */
  peers: PeerName[] | 'importable';
  /** The Python interpreter for the peers (also $LONGCONV_PYTHON); default: python3 on PATH, then /usr/bin/python3. */
  python?: string;
  json: boolean;
  out?: string;
  svg?: string;
}

/** The flags of `longconv bench` (positionals: the suites, default all), in the order --help lists them. */
export const BENCH_FLAGS: Flags = {
  device: { value: 'cpu|cuda|auto', help: 'where longconv and the peers run', default: 'auto' },
  sizes: { value: 'L1,L2,...', help: 'sequence lengths', default: "each suite's own list" },
  batch: { value: 'B', help: 'batch size', default: "each suite's" },
  heads: { value: 'H', help: 'channels / heads', default: "each suite's" },
  state: { value: 'N', help: 'state size (even)', default: "each suite's" },
  threads: { value: 'T1,T2,...', help: 'CPU thread counts, each measured', default: 'the current count' },
  repeat: { value: 'R', help: 'timed repeats per measurement', default: 'about 2 s worth, 3 to 10' },
  warmup: { value: 'W', help: 'untimed runs before timing', default: '2' },
  peers: { value: 'none|numpy|fftw|torch|all|LIST', help: 'the peers timed beside longconv', default: 'every peer that imports' },
  python: { value: 'PATH', help: 'the Python of the peers', default: '$LONGCONV_PYTHON, else python3' },
  json: { help: 'one JSON object per row' },
  out: { value: 'DIR', help: 'write the results as JSON files into DIR (and RESULTS.md)' },
  svg: { value: 'FILE', help: 'a chart of the results' },
};

function integerList(value: unknown, name: string, min: number): number[] | undefined {
  if (value === undefined) return undefined;
  const items = String(value).split(',');
  const list = items.map((item) => number(item, name, { integer: true, min }) as number);
  if (new Set(list).size !== list.length) throw new UsageError(`--${name}: expected distinct integers, got '${String(value)}'`);
  return list;
}

function peerList(value: unknown): BenchOptions['peers'] {
  if (value === undefined) return 'importable';
  const names = String(value).split(',');
  if (names.length === 1 && (names[0] === 'all' || names[0] === 'none')) return names[0] === 'all' ? [...PEERS] : [];
  return [...new Set(names.map((n) => choice(n, 'peer', [...PEERS, 'all', 'none'] as const)))].map((n) => {
    if (n === 'all' || n === 'none') throw new UsageError(`--peers: '${n}' stands alone (choose from none, numpy, fftw, torch, all, or a comma list of peers)`);
    return n;
  });
}

/** Parses `longconv bench` arguments (after the command name). @throws UsageError */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values: v, positionals } = parseCommand(argv, BENCH_FLAGS, 'bench', true);
  const suites = new Set<SuiteName>();
  for (const name of positionals.length ? positionals : ['all']) {
    if (name === 'all') SUITES.forEach((s) => suites.add(s));
    else suites.add(choice(name, 'suite', [...SUITES, 'all'] as const) as SuiteName);
  }
  for (const name of ['out', 'svg', 'python'] as const) {
    if (v[name] === '') throw new UsageError(`--${name}: expected a path, got ''`);
  }
  return {
    suites: SUITES.filter((s) => suites.has(s)),
    device: choice(v.device, 'device', ['cpu', 'cuda', 'auto'] as const, 'auto'),
    sizes: integerList(v.sizes, 'sizes', 2),
    batch: number(v.batch, 'batch', { integer: true, min: 1 }),
    heads: number(v.heads, 'heads', { integer: true, min: 1 }),
    state: state(v.state),
    threads: integerList(v.threads, 'threads', 1),
    repeat: number(v.repeat, 'repeat', { integer: true, min: 1 }),
    warmup: number(v.warmup, 'warmup', { integer: true, min: 0 }) ?? 2,
    peers: peerList(v.peers),
    python: v.python as string | undefined,
    json: !!v.json,
    out: v.out as string | undefined,
    svg: v.svg as string | undefined,
  };
}

// The state size N counts conjugate pairs twice (S4's d_state), so it is even.
function state(value: unknown): number | undefined {
  const n = number(value, 'state', { integer: true, min: 2 });
  if (n !== undefined && n % 2 !== 0) throw new UsageError(`--state: expected an even state size (N/2 complex modes), got '${String(value)}'`);
  return n;
}
