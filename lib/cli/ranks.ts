// `longconv train` under an MPI launcher (mpirun -np N npx longconv train ...): the ranks of
// lc.distributed, the share of a batch or split that each one processes, and the sums that
// make every rank's figures the whole run's. In a world of one process each of these is the
// identity, so the same loop trains alone and data-parallel.
import * as lc from '..';

/** This process's rank in the launch, from the launcher's variables: known before MPI starts. */
export function launchRank(): number {
  const env = process.env;
  return Number(env.OMPI_COMM_WORLD_RANK ?? env.PMI_RANK ?? env.PMIX_RANK ?? 0);
}

/**
 * Joins the launch (a world of one without a launcher). MPI starts before any CUDA use, so that
 * each rank's GPU is its local rank's; with `device` then resolved on every rank, NCCL carries
 * the gradients when every rank trains on CUDA and has NCCL, else MPI does.
 */
export function joinRanks(resolveDevice: () => lc.Device): { world: lc.distributed.World; device: lc.Device } {
  lc.distributed.init();
  const device = resolveDevice();
  const world = lc.distributed.getWorld();
  if (world.size === 1) return { world, device };
  const ready = device === 'cuda' && lc.backendInfo().distributed.nccl.available ? 1 : 0;
  if (sum([ready])[0] === world.size) lc.distributed.init({ backend: 'nccl' });
  return { world: lc.distributed.getWorld(), device };
}

/** This rank's part [first, last) of n items: contiguous, in rank order, sizes differing by at most one. */
export function share(n: number): { first: number; last: number } {
  const { rank, size } = lc.distributed.getWorld();
  return { first: Math.floor((rank * n) / size), last: Math.floor(((rank + 1) * n) / size) };
}

/** The sums over ranks of `values` (float32 sums: exact for counts below 2^24). */
export function sum(values: number[]): number[] {
  const t = lc.tensor(Float32Array.from(values), [values.length]);
  try {
    return Array.from(lc.distributed.allReduce(t).toFloat32Array());
  } finally {
    t.dispose();
  }
}

/** Whether this rank writes files and prints (rank 0). */
export function isRoot(): boolean {
  return lc.distributed.getWorld().rank === 0;
}
