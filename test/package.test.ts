// package.json: the published package depends on what its code loads at run time and nothing
// else (issue 13: an install no longer brings mnist's 41 MB of JSON or the build tools); what a
// source build needs is an optional peer dependency; the files list ships what the code reads.
import { builtinModules } from 'module';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const root = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The module names a source file loads: imports (not `import type`), re-exports, require() and import(). */
function loadedModules(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const names: string[] = [];
  const literal = (node: ts.Node | undefined) => {
    if (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))) names.push(node.text);
    else if (node && ts.isTemplateExpression(node)) names.push(node.head.text); // require(`pkg/${x}`)
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) literal(node.moduleSpecifier);
    else if (ts.isExportDeclaration(node) && !node.isTypeOnly) literal(node.moduleSpecifier);
    else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) literal(node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

/** The packages (not Node's own modules) that lib/ and bin/ load. */
function loadedPackages(): Set<string> {
  const files = [...sources(path.join(root, 'lib')), path.join(root, 'bin', 'longconv.js')];
  const specs = files.flatMap(loadedModules).filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s.split('/')[0]));
  return new Set(specs.map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0])));
}

test('dependencies are exactly the packages the code loads at run time', () => {
  expect(Object.keys(pkg.dependencies).sort()).toEqual([...loadedPackages()].sort());
});

test('build-time packages are devDependencies; the source build tools optional peers', () => {
  for (const name of ['mnist', 'cmake-js', 'node-addon-api']) {
    expect(pkg.dependencies[name]).toBeUndefined();
    expect(pkg.devDependencies[name]).toBeDefined();
  }
  expect(pkg.peerDependencies).toEqual({ 'cmake-js': expect.any(String), 'node-addon-api': expect.any(String) });
  expect(pkg.peerDependenciesMeta).toEqual({ 'cmake-js': { optional: true }, 'node-addon-api': { optional: true } });
});

test('files ships the built-in digits and the changelog; prepare writes the digits', () => {
  expect(pkg.files).toEqual(expect.arrayContaining(['data/digits.gz', 'CHANGELOG.md', 'dist/', 'prebuilds/']));
  expect(pkg.scripts.prepare).toContain('pack-digits.js');
  expect(fs.existsSync(path.join(root, 'data', 'digits.gz'))).toBe(true);
});
