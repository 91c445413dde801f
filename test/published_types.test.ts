// The published .d.ts files (dist/, built with stripInternal): what is marked @internal is not
// in them, they type-check on their own (skipLibCheck off, --strict), and a user's code that
// reaches for an internal member does not compile.
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot, requireDist, typecheck } from './typecheck';

beforeAll(requireDist);

function declarationFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? declarationFiles(p) : p.endsWith('.d.ts') ? [p] : [];
  });
}

test('no @internal declaration reaches dist/*.d.ts', () => {
  const files = declarationFiles(path.join(packageRoot, 'dist'));
  expect(files.length).toBeGreaterThan(20);
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    const where = path.relative(packageRoot, f);
    // The native bindings' typings (interface NativeBinding and each op file's augmentation).
    expect([where, /declare module|NativeBinding/.test(text)]).toEqual([where, false]);
    // Tensor's graph and storage internals.
    expect([where, /\b(gradNode|retainForGraph|releaseFromGraph|get storage\(\))/.test(text)]).toEqual([where, false]);
  }
});

test('every dist/*.d.ts type-checks under --strict with skipLibCheck off', () => {
  const files = declarationFiles(path.join(packageRoot, 'dist'));
  const imports = files.map((f, i) => `import * as m${i} from '${path.relative(path.join(packageRoot, '.typecheck'), f).replace(/\.d\.ts$/, '')}';\nvoid m${i};`);
  expect(typecheck({ 'all.ts': imports.join('\n') })).toEqual([]);
});

test("a user's code sees the public API only", () => {
  const source = `
import * as lc from 'longconv';
const t = lc.randn([2, 3], { requiresGrad: true });
const y: lc.Tensor = lc.sum(lc.mul(t, t));
y.backward();
const shape: readonly number[] = t.grad!.shape;
void shape;
// @ts-expect-error internal: the autograd node
void t.gradNode;
// @ts-expect-error internal: the native buffer
void t.storage;
// @ts-expect-error internal: graph reference counting
t.retainForGraph();
// @ts-expect-error the constructor is internal: tensors come from lc.tensor, lc.zeros, ...
new lc.Tensor({}, [1]);
lc.dispose([t, y]);
`;
  expect(typecheck({ 'user.ts': source })).toEqual([]);
});
