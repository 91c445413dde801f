// NCCL at run time, for CUDA tensors across processes: libnccl.so.2 is found with dlopen (never
// linked) and driven through the few entry points declared in nccl_loader.cc with NCCL's ABI
// (nccl.h is never included). One communicator over every rank of the MPI world, one GPU per
// process; collectives are queued on the legacy default stream, behind the ops that wrote the
// data and ahead of those that read it. CUDA builds only (CPU-only builds never call these).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace lc {

struct NcclLibrary {
  bool found = false;
  std::string path;    // the file that was loaded
  int version = 0;     // ncclGetVersion, e.g. 22304 for 2.23.4
  std::string reason;  // why NCCL cannot be used (empty when found)
};

// Searched once, never throws: $LONGCONV_NCCL_PATH (a file, or a directory searched for the
// sonames), libnccl.so.2 and libnccl.so through the dynamic loader, then in $NCCL_HOME,
// $CUDA_PATH and $CUDA_HOME (lib64, lib) and /usr/local/cuda/lib64.
const NcclLibrary& nccl_library();

// Creates the communicator of `size` ranks on the current CUDA device. `share_id` must give
// every rank the bytes rank 0 passes it (NCCL's unique id; longconv broadcasts it over MPI);
// `count_failures(ok)`, a collective, the number of ranks that passed ok = false. Throws
// lc::Error on every rank when NCCL is missing or fails to start on any rank.
void nccl_init(int rank, int size, const std::function<void(void* id, size_t bytes)>& share_id,
               const std::function<int(bool ok)>& count_failures);
bool nccl_active();
// data[0, count) ← the sum over ranks, in place (device memory).
void nccl_allreduce_sum(float* data, int64_t count);
// data[0, count) ← root's (device memory).
void nccl_broadcast(float* data, int64_t count, int root);
// Destroys the communicator after its queued work; nccl_abort abandons that work (for errors).
void nccl_finalize();
void nccl_abort();

}  // namespace lc
