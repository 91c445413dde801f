// lc.distributed: data-parallel training across processes (MPI) and GPUs (NCCL).
export {
  init, info, isInitialized, getWorld, rank, size, localRank, launchedByMpi, allReduce, broadcast, broadcastObject, barrier, finalize, abort, DEFAULT_BUCKET_BYTES,
} from './collectives';
export type { World, InitOptions, AllReduceOptions, BroadcastOptions, DistributedBackend, DistributedInfo } from './collectives';
export { DataParallel } from './data_parallel';
export type { DataParallelOptions, SynchronizeOptions } from './data_parallel';
