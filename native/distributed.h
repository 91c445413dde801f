// Collectives over longconv buffers across the processes of an MPI launch (lc.distributed):
// MPI for CPU buffers; for CUDA buffers NCCL when it was started, else an MPI that accepts
// device pointers, else MPI through host copies. Small buffers travel packed into buckets, one
// collective per bucket; a buffer of at least a bucket's size travels in place.
#pragma once
#include <cstdint>
#include <vector>

#include "storage.h"

namespace lc {

struct DistributedWorld {
  int rank = 0, size = 1;
  int local_rank = 0, local_size = 1;  // among the ranks on this node
  int cuda_device = -1;                // the GPU chosen by local rank; -1 without CUDA
  bool nccl = false;                   // CUDA buffers go through NCCL
  bool cuda_aware = false;             // the MPI accepts device pointers
};

// Starts MPI once, choosing this rank's GPU by its local rank, and with `nccl` NCCL too (also
// on a later call: every rank must make it). Throws lc::Error naming what is missing or failed.
const DistributedWorld& distributed_init(bool nccl);
// The world between distributed_init and distributed_finalize, else nullptr.
const DistributedWorld* distributed_world();

struct Span {
  float* data;
  int64_t count;
};

// Every rank passes buffers of the same sizes in the same order, all on `device`. Each buffer
// becomes post · Σ over ranks of (pre · that rank's buffer); pre and post of 1 copy exactly.
void all_reduce_sum(Device device, const std::vector<Span>& buffers, float pre, float post,
                    int64_t bucket_floats);
// Each buffer becomes rank `root`'s.
void broadcast_spans(Device device, const std::vector<Span>& buffers, int root, int64_t bucket_floats);
void distributed_barrier();
// Stops every rank (for an error on this one: no rank is left waiting in a collective).
[[noreturn]] void distributed_abort(int code);
// Ends NCCL and MPI; MPI cannot be started again in this process.
void distributed_finalize();

}  // namespace lc
