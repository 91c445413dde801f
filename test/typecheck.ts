// Type-checks TypeScript sources as a user of the published package would write them:
// `import ... from 'longconv'` resolves to this package's dist/index.d.ts (package.json
// "types"), under --strict, with the library's own .d.ts files checked too (skipLibCheck off).
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

export const packageRoot = path.join(__dirname, '..');

/** Fails at once when dist/ (built by `npm run build:ts`; `npm test` builds it) is missing. */
export function requireDist(): void {
  if (!fs.existsSync(path.join(packageRoot, 'dist', 'index.d.ts'))) throw new Error('dist/ is missing: run `npm run build:ts` first (npm test does)');
}

/**
 * The diagnostics of compiling `files` (virtual file name -> source) as one program, each as
 * "file:line: message". Empty when everything type-checks.
 */
export function typecheck(files: Record<string, string>, options: ts.CompilerOptions = {}): string[] {
  const compilerOptions: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
    typeRoots: [path.join(packageRoot, 'node_modules', '@types')],
    baseUrl: packageRoot,
    paths: { longconv: ['.'] },
    allowJs: true,
    checkJs: true,
    ...options,
  };
  const dir = path.join(packageRoot, '.typecheck');
  const virtual = new Map(Object.entries(files).map(([name, text]) => [path.join(dir, name), text]));
  const host = ts.createCompilerHost(compilerOptions);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, ...rest) => {
    const text = virtual.get(f);
    return text !== undefined ? ts.createSourceFile(f, text, lang) : getSourceFile.call(host, f, lang, ...rest);
  };
  const program = ts.createProgram([...virtual.keys()], compilerOptions, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file) return message;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    return `${path.relative(packageRoot, d.file.fileName)}:${line + 1}: ${message}`;
  });
}
