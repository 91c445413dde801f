// Every code block of README.md, checked as a reader would use it. The rule, by the block's
// language:
//   ts      type-checked as a user's file (`import * as lc from 'longconv'` resolves to this
//           package's dist/index.d.ts) under --strict, then run with node (compiled to
//           CommonJS) in a temporary folder; it must exit 0 and leave no live tensor. A block
//           preceded by `<!-- readme: types only (why) -->` is type-checked but not run (a
//           training run of minutes).
//   js      the same, type-checked as JavaScript (checkJs), then run.
//   sh      `bash -n` (syntax); every `npm run X` names a script of package.json, every other
//           `npm X` an npm command; every `longconv` command line (after `npx`) parses with the
//           CLI's own flag parser. Nothing runs: these install, train for minutes or need a GPU.
//   python  parsed by python3's ast module when python3 is installed (else skipped, saying so).
//   text    a diagram or output: not code.
// A block without a language fails: it must say what it is.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { parseCommandLine } from '../lib/cli/main';
import { packageRoot, requireDist, typecheck } from './typecheck';

interface Block {
  lang: string;
  code: string;
  line: number;
  typesOnly: boolean;
}

function readmeBlocks(): Block[] {
  const lines = fs.readFileSync(path.join(packageRoot, 'README.md'), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`README.md:${i + 1}: the code block is not closed`);
    const typesOnly = /^<!-- readme: types only \(.+\) -->$/.test(lines[i - 1] ?? '');
    blocks.push({ lang: open[1], code: lines.slice(i + 1, end).join('\n') + '\n', line: i + 1, typesOnly });
    i = end;
  }
  return blocks;
}

const blocks = readmeBlocks();
const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8'));
const label = (b: Block) => `README.md:${b.line} (${b.lang || 'no language'})`;

beforeAll(requireDist);

test('every block says its language, one the rule knows', () => {
  expect(blocks.length).toBeGreaterThan(10);
  for (const b of blocks) expect([label(b), ['ts', 'js', 'sh', 'python', 'text'].includes(b.lang)]).toEqual([label(b), true]);
});

describe('TypeScript and JavaScript blocks type-check and run', () => {
  let dir: string;
  beforeAll(() => {
    // A user's project: node_modules/longconv is this package; paths in the blocks (test
    // fixtures) resolve as they do from the repository root.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'longconv-readme-'));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(packageRoot, path.join(dir, 'node_modules', 'longconv'));
    fs.symlinkSync(path.join(packageRoot, 'test'), path.join(dir, 'test'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const b of blocks.filter((x) => x.lang === 'ts' || x.lang === 'js')) {
    test(`${label(b)}${b.typesOnly ? ': types only' : ''}`, () => {
      const file = `block${b.line}.${b.lang}`;
      expect(typecheck({ [file]: b.code })).toEqual([]);
      if (b.typesOnly) return;
      const js = b.lang === 'js' ? b.code : ts.transpileModule(b.code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
      // After the block: no tensor may be left alive (the README shows how to free them).
      const leakCheck = `\n;process.on('exit', () => { const m = require('longconv').memory(); const live = m.cpu.tensors + m.cuda.tensors; if (live) { console.error('README block left ' + live + ' live tensors'); process.exitCode = 1; } });\n`;
      fs.writeFileSync(path.join(dir, `block${b.line}.js`), js + leakCheck);
      const r = spawnSync(process.execPath, [`block${b.line}.js`], { cwd: dir, encoding: 'utf8', timeout: 300000, env: { ...process.env, LONGCONV_NUM_THREADS: '2' } });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    });
  }
});

describe('shell blocks: syntax, npm scripts, longconv flags', () => {
  for (const b of blocks.filter((x) => x.lang === 'sh')) {
    test(label(b), () => {
      const syntax = spawnSync('bash', ['-n'], { input: b.code, encoding: 'utf8' });
      expect(syntax.stderr).toBe('');
      // One command per line (comments dropped), split at && and |.
      const commands = b.code.split('\n').map((l) => l.replace(/(^|\s)#.*$/, '').trim()).filter(Boolean).flatMap((l) => l.split(/&&|\|/).map((c) => c.trim()));
      for (const command of commands) {
        const words = command.split(/\s+/).filter((w) => !/^[A-Z_]+=/.test(w)); // drop VAR=value prefixes
        if (words[0] === 'npm') {
          if (words[1] === 'run') expect([command, Object.keys(pkg.scripts).includes(words[2])]).toEqual([command, true]);
          else expect([command, ['ci', 'install', 'test', 'start', 'pack', 'publish', 'rebuild'].includes(words[1])]).toEqual([command, true]);
          if (words[1] === 'start' || words[1] === 'test') expect(pkg.scripts[words[1]]).toBeDefined();
        }
        const at = words.indexOf('longconv');
        if (at >= 0 && (at === 0 || words[at - 1] === 'npx')) {
          // The CLI's own parser: unknown commands and flags, bad values are usage errors.
          expect([command, parseCommandLine(words.slice(at + 1))]).toEqual([command, null]);
        }
      }
    });
  }
});

describe('Python blocks parse', () => {
  const python = spawnSync('python3', ['--version']).status === 0;
  for (const b of blocks.filter((x) => x.lang === 'python')) {
    (python ? test : test.skip)(`${label(b)}${python ? '' : ' (no python3 here)'}`, () => {
      const r = spawnSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: b.code, encoding: 'utf8' });
      expect(r.stderr).toBe('');
    });
  }
});
