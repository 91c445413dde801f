// The fuzz suite (scripts/fuzz.js) with its fixed seed, in a process of its own under
// `ulimit -v 4 GiB`: a crash or a hang fails this test; so does any property that fails (the
// runner prints the seed and the counterexample). `npm run test:fuzz` runs it longer with a
// new seed.
import { spawnSync } from 'child_process';
import * as path from 'path';

const root = path.join(__dirname, '..');
// Sanitizer builds reserve terabytes of address space: no `ulimit -v` there.
const limit = process.env.LONGCONV_SANITIZE ? '' : 'ulimit -v 4194304 && ';

test('fuzz: every exported op and constructor, any arguments; valid calls against references (fixed seed)', () => {
  const r = spawnSync('bash', ['-c', `${limit}exec "${process.execPath}" --expose-gc scripts/fuzz.js`], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, LONGCONV_FUZZ_SEED: process.env.LONGCONV_FUZZ_SEED ?? '20241129', LONGCONV_FUZZ_RUNS: process.env.LONGCONV_FUZZ_RUNS ?? '300' },
    timeout: 900_000,
  });
  const summary = r.stdout.trim().split('\n').pop() ?? '';
  console.log(summary);
  expect([r.signal, r.error?.message ?? '', r.stderr]).toEqual([null, '', '']); // no crash, no hang
  expect(r.stdout).not.toMatch(/^FAILED/m);
  expect(r.status).toBe(0);
  expect(JSON.parse(summary)).toMatchObject({ fuzz: 'done', failed: [] });
}, 900_000);
