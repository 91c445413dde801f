export type { Dataset, Split } from './dataset';
export { limitSplit, permutation } from './dataset';
export { mnistTask, TEST_PER_CLASS, PERMUTATION_SEED } from './mnist';
export { listopsTask, sampleListOps, applyOp, LISTOPS_TOKENS } from './listops';
export type { ListOpsOptions } from './listops';
export { copyTask, recallTask } from './synthetic';
export type { SyntheticOptions } from './synthetic';
