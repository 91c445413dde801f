// No dead exports: every function, class or constant a lib/ module exports is public API (it
// reaches lib/index.ts) or is used by another file of the repository (lib, tests, CLI, examples,
// benchmarks, scripts, the GPU harness). An export nothing else names is either dead code or an
// internal that should not be exported. Types are left alone: a signature may name its types.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const root = path.join(__dirname, '..');

function files(dir: string, exts: string[]): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' || e.name === 'node_modules' ? [] : files(p, exts);
    return exts.some((x) => p.endsWith(x)) ? [p] : [];
  });
}

/** Names of the values (functions, classes, variables, enums) a source file exports by declaration. */
function exportedValues(source: ts.SourceFile): string[] {
  const names: string[] = [];
  for (const st of source.statements) {
    if (!ts.canHaveModifiers(st) || !ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isEnumDeclaration(st)) && st.name) names.push(st.name.text);
    else if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) names.push(d.name.text);
  }
  return names;
}

test('every exported value of lib/ is used outside its own file', () => {
  const lib = files(path.join(root, 'lib'), ['.ts']);
  const elsewhere = [
    ...lib,
    ...['test', 'bin', 'examples', 'bench', 'scripts', 'gpu'].flatMap((d) => files(path.join(root, d), ['.ts', '.js', '.sh'])),
  ];
  const text = new Map(elsewhere.map((f) => [f, fs.readFileSync(f, 'utf8')]));
  const unused: string[] = [];
  for (const file of lib) {
    const source = ts.createSourceFile(file, text.get(file)!, ts.ScriptTarget.ES2022, true);
    for (const name of exportedValues(source)) {
      const word = new RegExp(`\\b${name}\\b`);
      if (!elsewhere.some((other) => other !== file && word.test(text.get(other)!))) unused.push(`${path.relative(root, file)}: ${name}`);
    }
  }
  expect(unused).toEqual([]);
});
