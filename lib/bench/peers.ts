// The peers of `longconv bench`: numpy, FFTW (pyfftw) and PyTorch, each in its own Python
// process (python/bench_peer.py, shipped with the package), one process per peer and CPU
// thread count so that OMP_NUM_THREADS and friends are set before the libraries load.
//
// Protocol, one JSON object per line:
//   peer -> longconv, once:  {"ready": true, "peer", "version", "python", "ops", "devices"} | {"ready": false, "skipped": why}
//   longconv -> peer:        {"id", "op", "device", "shape", "L", "repeat"?, "warmup", "budgetMs", "minSamples", "maxSamples"}
//   peer -> longconv:        {"id", "fwdMs": [ms...], "fwdBwdMs": [ms...]} | {"id", "skipped": why}
// The peer times its own runs (after warm-up, CUDA with events after a synchronize) by the
// same sample plan as longconv's, and longconv summarises both the same way. A case is asked
// for once per round (lib/bench/timing.ts: ROUNDS); the peer keeps the last case it built, so
// later rounds reuse its data and plans.
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { createInterface, Interface } from 'readline';
import type { PeerName } from './options';

/** The peer server script, beside its Python modules; the same path from lib/bench and dist/bench. */
export const PEER_SCRIPT = path.join(__dirname, '..', '..', 'python', 'bench_peer.py');

/** A request for one case, as the peer receives it. */
export interface PeerRequest {
  op: string;
  device: 'cpu' | 'cuda';
  shape: Record<string, number>;
  L: number;
  repeat?: number;
  warmup: number;
  budgetMs: number;
  minSamples: number;
  maxSamples: number;
}

export type PeerAnswer = { fwdMs: number[]; fwdBwdMs: number[] } | { skipped: string };

/** What a started peer says about itself. */
export interface PeerInfo {
  peer: PeerName;
  version: string;
  python: string;
  /** The ops this peer has an implementation of; the others are not compared with it. */
  ops: string[];
  /** The devices it runs on (numpy and FFTW: the CPU); on others it is not compared either. */
  devices: string[];
}

const START_TIMEOUT_MS = 120_000; // importing torch on a busy machine takes a while
const REQUEST_TIMEOUT_MS = 30 * 60_000;

/**
 * The interpreters tried, in order: --python, else $LONGCONV_PYTHON, else python3 on PATH
 * (a virtualenv or pyenv one) and then the system's /usr/bin/python3 (where Debian's
 * python3-numpy, python3-pyfftw and python3-torch install).
 */
function pythonCandidates(explicit?: string): string[] {
  if (explicit) return [explicit];
  if (process.env.LONGCONV_PYTHON) return [process.env.LONGCONV_PYTHON];
  return ['python3', '/usr/bin/python3'];
}

function peerEnv(threads: number): NodeJS.ProcessEnv {
  // No __pycache__ in the package's python/ folder, which may be read-only.
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', LONGCONV_PEER_THREADS: String(threads) };
  for (const name of ['OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'NUMEXPR_NUM_THREADS']) env[name] = String(threads);
  // Tuning variables for old OpenBLAS builds slow a current numpy down; the peers run without them.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** One running peer process. */
export class PeerProcess {
  private nextId = 1;
  private pending: { id: number; resolve: (a: PeerAnswer) => void; timer: NodeJS.Timeout } | null = null;
  private exitReason: string | null = null;
  private stderrTail: string[] = [];

  private constructor(private readonly child: ChildProcess, private readonly lines: Interface, readonly info: PeerInfo) {
    lines.on('line', (line) => this.onLine(line));
  }

  /** Starts `name` with the first interpreter that can import it; otherwise says why none could. */
  static async start(name: PeerName, threads: number, python?: string): Promise<PeerProcess | { skipped: string }> {
    const reasons: string[] = [];
    for (const interpreter of pythonCandidates(python)) {
      const started = await PeerProcess.startWith(interpreter, name, threads);
      if (started instanceof PeerProcess) return started;
      if (!reasons.includes(started)) reasons.push(started);
    }
    return { skipped: reasons.join('; ') };
  }

  private static startWith(python: string, name: PeerName, threads: number): Promise<PeerProcess | string> {
    return new Promise((resolve) => {
      let settled = false;
      const stderr: string[] = [];
      const child = spawn(python, [PEER_SCRIPT, name], { env: peerEnv(threads), stdio: ['pipe', 'pipe', 'pipe'] });
      const lines = createInterface({ input: child.stdout! });
      const finish = (result: PeerProcess | string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (typeof result === 'string') {
          lines.close();
          child.kill();
        }
        resolve(result);
      };
      const timer = setTimeout(() => finish(`${python}: the ${name} peer did not start within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
      child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(...d.split('\n').filter(Boolean)));
      child.on('error', (e: NodeJS.ErrnoException) => finish(`${python}: ${e.code === 'ENOENT' ? 'not found' : e.message}`));
      // 'close' comes after stdout's last line, so a peer that says why it cannot run is heard.
      child.on('close', (code, signal) => finish(`${python}: ${stderr.slice(-1)[0] ?? `exited (${signal ?? `code ${code}`}) before answering`}`));
      lines.once('line', (line) => {
        let hello: { ready?: boolean; skipped?: string; version?: string; python?: string; ops?: unknown; devices?: unknown };
        try {
          hello = JSON.parse(line);
        } catch {
          finish(`${python}: the ${name} peer said '${line.slice(0, 200)}' instead of JSON`);
          return;
        }
        if (!hello.ready) {
          finish(`${python}: ${hello.skipped ?? 'not ready'}`);
          return;
        }
        const list = (v: unknown, fallback: string[]) => (Array.isArray(v) ? v.map(String) : fallback);
        const peer = new PeerProcess(child, lines, {
          peer: name, version: String(hello.version ?? '?'), python: String(hello.python ?? python),
          ops: list(hello.ops, []), devices: list(hello.devices, ['cpu', 'cuda']),
        });
        child.stderr!.removeAllListeners('data');
        child.stderr!.on('data', (d: string) => peer.noteStderr(d));
        child.removeAllListeners('close');
        child.on('close', (code, signal) => peer.onExit(code, signal));
        finish(peer);
      });
    });
  }

  /** Asks for one case's timings; a peer that fails or dies answers with the reason. */
  request(req: PeerRequest): Promise<PeerAnswer> {
    if (this.exitReason) return Promise.resolve({ skipped: this.exitReason });
    if (this.pending) throw new Error('PeerProcess.request: one request at a time');
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settle({ skipped: `no answer within ${REQUEST_TIMEOUT_MS / 60_000} min` });
        this.close();
      }, REQUEST_TIMEOUT_MS);
      this.pending = { id, resolve, timer };
      this.child.stdin!.write(JSON.stringify({ id, ...req }) + '\n');
    });
  }

  /** Ends the process (it also ends by itself when its stdin closes). */
  close(): void {
    this.exitReason ??= 'peer closed';
    this.lines.close();
    this.child.stdin!.end();
    this.child.kill();
  }

  private settle(answer: PeerAnswer): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    clearTimeout(pending.timer);
    pending.resolve(answer);
  }

  private onLine(line: string): void {
    let msg: { id?: number; fwdMs?: number[]; fwdBwdMs?: number[]; skipped?: string };
    try {
      msg = JSON.parse(line);
    } catch {
      this.settle({ skipped: `the peer said '${line.slice(0, 200)}' instead of JSON` });
      return;
    }
    if (!this.pending || msg.id !== this.pending.id) return;
    const ok = Array.isArray(msg.fwdMs) && Array.isArray(msg.fwdBwdMs) && msg.fwdMs.length > 0 && msg.fwdBwdMs.length > 0;
    this.settle(typeof msg.skipped === 'string' ? { skipped: msg.skipped } : ok ? { fwdMs: msg.fwdMs!, fwdBwdMs: msg.fwdBwdMs! } : { skipped: 'the peer answered without timings' });
  }

  private noteStderr(text: string): void {
    this.stderrTail.push(...text.split('\n').filter(Boolean));
    this.stderrTail.splice(0, Math.max(0, this.stderrTail.length - 5));
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const last = this.stderrTail.slice(-1)[0];
    this.exitReason ??= `the ${this.info.peer} peer exited (${signal === 'SIGKILL' ? 'killed, e.g. out of memory' : signal ?? `code ${code}`})${last ? `: ${last}` : ''}`;
    this.settle({ skipped: this.exitReason });
  }
}
