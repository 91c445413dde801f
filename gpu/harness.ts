// The parity runner of the GPU bundle: runs the CUDA suites of the compiled test files (the
// suites test/devices.ts's cudaSuite() declares; the same cases jest runs) outside jest, which
// does not travel in the bundle. It provides jest's globals (describe, test, hooks, and the
// `expect` package jest itself uses), runs only the tests inside CUDA suites, and writes one
// JSON line per test as it goes, so a crash or a time box loses nothing already measured.
//
//   node harness.js --out FILE [--files a,b] [--grep RE] [--deadline EPOCH_MS] [--resume] [--list] DIR
//
// DIR holds the compiled *.test.js files. Exit status: 0 all passed, 1 some failed, 2 usage,
// 75 the CUDA context was lost (a sticky error: the caller restarts with --resume).
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'expect';

type Fn = () => unknown;

interface Test {
  name: string;
  fn: Fn;
  skip: boolean;
}

interface Suite {
  name: string;
  /** Declared by cudaSuite(): its tests (and its sub-suites' tests) run. */
  cuda: boolean;
  skip: boolean;
  parent: Suite | null;
  children: (Suite | Test)[];
  beforeAll: Fn[];
  afterAll: Fn[];
  beforeEach: Fn[];
  afterEach: Fn[];
}

/** One JSON line of the results file. */
export interface TestRecord {
  /** 'start' precedes each test: a start without a result means the process died in the test. */
  event: 'start' | 'result';
  id: string;
  file: string;
  status?: 'passed' | 'failed' | 'skipped' | 'not-run';
  ms?: number;
  error?: string;
}

const STICKY = /illegal memory access|unspecified launch failure|misaligned address|illegal instruction|device-side assert|hardware stack error|an illegal address|context is destroyed/i;

function newSuite(name: string, parent: Suite | null, cuda = false, skip = false): Suite {
  return { name, cuda, skip, parent, children: [], beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] };
}

/** jest's test-name templates: `$key` (object rows) and printf-style %s %d %i %f %j %p %o %#. */
function formatName(template: string, row: unknown, index: number): string {
  const args = Array.isArray(row) ? row : [row];
  let k = 0;
  let name = template.replace(/%([sdifjpo#%])/g, (m, c: string) => {
    if (c === '%') return '%';
    if (c === '#') return String(index);
    const v = args[k++];
    if (c === 'd' || c === 'i') return String(Math.trunc(Number(v)));
    if (c === 'f') return String(Number(v));
    if (c === 'j' || c === 'o' || c === 'p') return JSON.stringify(v);
    return String(v);
  });
  if (row && typeof row === 'object' && !Array.isArray(row)) {
    name = name.replace(/\$([A-Za-z_][\w.]*)/g, (m, key: string) => {
      const v = key.split('.').reduce<unknown>((o, p) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[p] : undefined), row);
      return typeof v === 'string' ? v : JSON.stringify(v);
    });
  }
  return name;
}

class Harness {
  readonly root = newSuite('', null);
  private current = this.root;
  private file = '';
  readonly tests: { id: string; file: string; test: Test; chain: Suite[] }[] = [];

  /** Collects the suites and tests of one compiled test file. */
  load(file: string): void {
    this.file = path.basename(file).replace(/\.test\.js$/, '');
    const suite = newSuite(this.file, this.root);
    this.root.children.push(suite);
    this.current = suite;
    require(file);
    this.current = this.root;
  }

  describe(name: string, fn: () => void, opts: { cuda?: boolean; skip?: boolean } = {}): void {
    const suite = newSuite(name, this.current, opts.cuda ?? false, opts.skip ?? false);
    this.current.children.push(suite);
    const outer = this.current;
    this.current = suite;
    try {
      fn();
    } finally {
      this.current = outer;
    }
  }

  cudaDescribe(name: string, fn: () => void): void {
    this.describe(name, fn, { cuda: true });
  }

  test(name: string, fn: Fn, skip = false): void {
    this.current.children.push({ name, fn, skip });
  }

  hook(kind: 'beforeAll' | 'afterAll' | 'beforeEach' | 'afterEach', fn: Fn): void {
    this.current[kind].push(fn);
  }

  /** Installs describe, test/it, the hooks and expect as globals, as jest does. */
  install(): void {
    const g = globalThis as Record<string, unknown>;
    const each = (register: (name: string, fn: () => void) => void) => (table: unknown[]) => (name: string, fn: (...args: unknown[]) => unknown) =>
      table.forEach((row, i) => register(formatName(name, row, i), () => fn(...(Array.isArray(row) ? row : [row]))));
    const describeFn = Object.assign((name: string, fn: () => void) => this.describe(name, fn), {
      skip: (name: string, fn: () => void) => this.describe(name, fn, { skip: true }),
      each: each((name, fn) => this.describe(name, fn as () => void)),
    });
    const testFn = Object.assign((name: string, fn: Fn) => this.test(name, fn), {
      skip: (name: string, fn: Fn) => this.test(name, fn, true),
      each: each((name, fn) => this.test(name, fn)),
    });
    Object.assign(g, {
      describe: describeFn,
      test: testFn,
      it: testFn,
      beforeAll: (fn: Fn) => this.hook('beforeAll', fn),
      afterAll: (fn: Fn) => this.hook('afterAll', fn),
      beforeEach: (fn: Fn) => this.hook('beforeEach', fn),
      afterEach: (fn: Fn) => this.hook('afterEach', fn),
      expect,
      longconvHarness: this,
    });
  }

  /** Every test inside a CUDA suite, in declaration order, with its suite chain. */
  collect(): void {
    const walk = (suite: Suite, chain: Suite[], inCuda: boolean, skipped: boolean) => {
      for (const child of suite.children) {
        if ('fn' in child) {
          if (!inCuda) continue;
          const file = chain[0].name;
          let id = [...chain.map((s) => s.name), child.name].join(' › ');
          while (this.tests.some((t) => t.id === id)) id += ' (again)';
          this.tests.push({ id, file, test: { ...child, skip: child.skip || skipped }, chain });
        } else {
          walk(child, [...chain, child], inCuda || child.cuda, skipped || child.skip);
        }
      }
    };
    for (const fileSuite of this.root.children) walk(fileSuite as Suite, [fileSuite as Suite], false, false);
  }
}

const errorText = (e: unknown) => (e instanceof Error ? `${e.message}\n${(e.stack ?? '').split('\n').slice(1, 6).join('\n')}` : String(e)).slice(0, 4000);

async function call(fn: Fn): Promise<void> {
  await fn();
}

interface Options {
  dir: string;
  out: string;
  files?: string[];
  grep?: RegExp;
  deadline?: number;
  resume: boolean;
  list: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Partial<Options> & { resume: boolean; list: boolean } = { resume: false, list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a}: expected a value`);
      return argv[++i];
    };
    if (a === '--out') o.out = value();
    else if (a === '--files') o.files = value().split(',').filter(Boolean);
    else if (a === '--grep') o.grep = new RegExp(value());
    else if (a === '--deadline') o.deadline = Number(value());
    else if (a === '--resume') o.resume = true;
    else if (a === '--list') o.list = true;
    else if (a.startsWith('--')) throw new Error(`unknown flag ${a}`);
    else o.dir = a;
  }
  if (!o.dir) throw new Error('expected the folder of the compiled test files');
  if (!o.out && !o.list) throw new Error('--out: expected a results file');
  return o as Options;
}

async function main(argv: string[]): Promise<number> {
  let opts: Options;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`harness: ${(e as Error).message}\n`);
    return 2;
  }
  const harness = new Harness();
  harness.install();
  // Only files that declare CUDA suites; test/devices.ts reads LONGCONV_TEST_CUDA at load.
  const all = fs.readdirSync(opts.dir).filter((f) => f.endsWith('.test.js')).sort();
  const wanted = all.filter((f) => fs.readFileSync(path.join(opts.dir, f), 'utf8').includes('cudaSuite'));
  const names = new Set(wanted.map((f) => f.replace(/\.test\.js$/, '')));
  for (const f of opts.files ?? []) {
    if (!names.has(f)) {
      process.stderr.write(`harness: --files: no CUDA suite in '${f}' (choose from ${[...names].join(', ')})\n`);
      return 2;
    }
  }
  // In the order --files gives (the sanitizer puts its slowest file last), else by name.
  for (const name of opts.files ?? [...names]) harness.load(path.resolve(opts.dir, `${name}.test.js`));
  harness.collect();
  const selected = harness.tests.filter((t) => !opts.grep || opts.grep.test(t.id));
  if (opts.list) {
    for (const t of selected) process.stdout.write(`${t.id}\n`);
    process.stdout.write(`${selected.length} tests\n`);
    return selected.length ? 0 : 1;
  }

  const done = new Set<string>();
  if (opts.resume && fs.existsSync(opts.out)) {
    const records = fs.readFileSync(opts.out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as TestRecord);
    const started = new Set<string>();
    for (const r of records) (r.event === 'start' ? started : done).add(r.id);
    for (const id of started) {
      if (done.has(id)) continue;
      const t = selected.find((s) => s.id === id);
      const rec: TestRecord = { event: 'result', id, file: t?.file ?? '', status: 'failed', error: 'the process died during this test (crash or a lost CUDA context)' };
      fs.appendFileSync(opts.out, JSON.stringify(rec) + '\n');
      done.add(id);
    }
  }
  const write = (rec: TestRecord) => fs.appendFileSync(opts.out, JSON.stringify(rec) + '\n');

  // Suite hooks: beforeAll once before the suite's first test that runs, afterAll after its last.
  const remaining = new Map<Suite, number>();
  const runnable = selected.filter((t) => !done.has(t.id) && !t.test.skip);
  for (const t of runnable) for (const s of t.chain) remaining.set(s, (remaining.get(s) ?? 0) + 1);
  const started = new Map<Suite, unknown>(); // suite -> its beforeAll error (undefined: fine)
  let failed = 0;
  let lost = false;
  for (const t of selected) {
    if (done.has(t.id)) continue;
    if (t.test.skip) {
      write({ event: 'result', id: t.id, file: t.file, status: 'skipped' });
      continue;
    }
    // After a sticky CUDA error every later call fails: stop, and let the caller resume in a
    // fresh process.
    if (lost) break;
    if (opts.deadline !== undefined && Date.now() > opts.deadline) {
      write({ event: 'result', id: t.id, file: t.file, status: 'not-run', error: 'time box' });
      continue;
    }
    write({ event: 'start', id: t.id, file: t.file });
    const t0 = Date.now();
    let error: unknown;
    for (const s of t.chain) {
      if (!started.has(s)) {
        let e: unknown;
        for (const h of s.beforeAll) await call(h).catch((x) => (e = e ?? x));
        started.set(s, e);
      }
      error = error ?? started.get(s);
    }
    if (error === undefined) {
      try {
        for (const s of t.chain) for (const h of s.beforeEach) await call(h);
        await call(t.test.fn);
      } catch (e) {
        error = e;
      }
      for (const s of [...t.chain].reverse()) for (const h of s.afterEach) await call(h).catch((x) => (error = error ?? x));
    }
    for (const s of [...t.chain].reverse()) {
      const left = (remaining.get(s) ?? 1) - 1;
      remaining.set(s, left);
      if (left === 0) for (const h of s.afterAll) await call(h).catch(() => undefined);
    }
    const ms = Date.now() - t0;
    if (error === undefined) {
      write({ event: 'result', id: t.id, file: t.file, status: 'passed', ms });
      process.stdout.write(`  ok   ${t.id} (${ms} ms)\n`);
    } else {
      failed++;
      const text = errorText(error);
      write({ event: 'result', id: t.id, file: t.file, status: 'failed', ms, error: text });
      process.stdout.write(`  FAIL ${t.id} (${ms} ms)\n       ${text.split('\n')[0]}\n`);
      if (STICKY.test(text)) lost = true;
    }
  }
  if (lost) return 75;
  return failed ? 1 : 0;
}

if (require.main === module) {
  // exitCode, not exit(): a piped stdout is written asynchronously and must drain first.
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      process.stderr.write(`harness: ${errorText(e)}\n`);
      process.exitCode = 1;
    },
  );
}
