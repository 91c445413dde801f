export { sgconv } from './sgconv';
export type { SGConvKernelOptions, SGConvKernelResult } from './sgconv';
export { s4d } from './s4d';
export type { S4DParams, S4DKernelOptions } from './s4d';
export { s4, setupCt } from './s4';
export type { S4Params, DplrParams } from './s4';
