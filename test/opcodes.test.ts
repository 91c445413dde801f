// The op codes TypeScript passes to the kernels come from the addon's X-macro lists
// (native/elementwise.h, native/gemm.h). The records below must name exactly the TS types'
// members (a missing or extra key fails to compile); the tests check that the addon exports
// the same names, in list order, as the codes 0..n-1.
import { BinaryOpName, GemmBiasName, native, UnaryOpName } from '../lib/native';
import { BinaryOp, UnaryOp } from '../lib/ops/primitives';

const binary: Record<BinaryOpName, 'real' | 'complex'> = {
  add: 'real', sub: 'real', mul: 'real', div: 'real', geluGrad: 'real', sigmoidGrad: 'real', tanhGrad: 'real', reluGrad: 'real', softplusGrad: 'real',
  cmul: 'complex', cdiv: 'complex', cmulConj: 'complex', cdivConj: 'complex',
};
const unary: Record<UnaryOpName, 'real' | 'complex'> = {
  affine: 'real', exp: 'real', log: 'real', sqrt: 'real', square: 'real', gelu: 'real', sigmoid: 'real', tanh: 'real', relu: 'real', softplus: 'real',
  cexp: 'complex', clog: 'complex', conj: 'complex', cexpm1: 'complex',
};
const gemmBias: Record<GemmBiasName, true> = { none: true, rows: true, cols: true };

function expectCodes(codes: Readonly<Record<string, number>>, names: string[]): void {
  expect(Object.keys(codes)).toEqual(names);
  expect(Object.values(codes)).toEqual(names.map((_, i) => i));
}

test('the addon exports the binary, unary and GEMM bias codes the TypeScript types name', () => {
  expectCodes(native.opCodes.binary, Object.keys(binary));
  expectCodes(native.opCodes.unary, Object.keys(unary));
  expectCodes(native.opCodes.gemmBias, Object.keys(gemmBias));
  expect(BinaryOp).toBe(native.opCodes.binary);
  expect(UnaryOp).toBe(native.opCodes.unary);
});

test('complex ops come last, from cmul and cexp on (the kernels and lib/ops/primitives.ts compare with them)', () => {
  for (const [name, kind] of Object.entries(binary)) expect([name, BinaryOp[name as BinaryOpName] >= BinaryOp.cmul]).toEqual([name, kind === 'complex']);
  for (const [name, kind] of Object.entries(unary)) expect([name, UnaryOp[name as UnaryOpName] >= UnaryOp.cexp]).toEqual([name, kind === 'complex']);
});
