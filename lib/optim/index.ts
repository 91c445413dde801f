export { AdamW } from './adamw';
export type { AdamWOptions, AdamWGroupOptions, AdamWGroup, AdamWOverride, AdamWState } from './adamw';
export { cosineSchedule } from './schedule';
export type { CosineScheduleOptions } from './schedule';
export { clipGradNorm } from './clip';
