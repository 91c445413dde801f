#include "nccl_loader.h"

#include <cuda_runtime_api.h>

#include "cuda_backend.h"
#include "errors.h"
#include "library_search.h"

namespace lc {
namespace {

// NCCL's ABI, from its documented API (nccl.h): results and enums are ints, the communicator
// an opaque pointer, the unique id a 128-byte struct passed by value.
using ncclResult_t = int;  // 0 is ncclSuccess
using ncclComm_t = struct ncclComm*;
struct ncclUniqueId {
  char internal[128];
};
constexpr ncclResult_t kNcclSuccess = 0;
constexpr int kNcclFloat32 = 7;  // ncclDataType_t ncclFloat32
constexpr int kNcclSum = 0;      // ncclRedOp_t ncclSum

struct NcclApi {
  ncclResult_t (*getVersion)(int* version);
  ncclResult_t (*getUniqueId)(ncclUniqueId* id);
  ncclResult_t (*commInitRank)(ncclComm_t* comm, int nranks, ncclUniqueId id, int rank);
  ncclResult_t (*commDestroy)(ncclComm_t comm);
  ncclResult_t (*commAbort)(ncclComm_t comm);
  ncclResult_t (*allReduce)(const void* sendbuff, void* recvbuff, size_t count, int datatype, int op,
                            ncclComm_t comm, cudaStream_t stream);
  ncclResult_t (*broadcast)(const void* sendbuff, void* recvbuff, size_t count, int datatype, int root,
                            ncclComm_t comm, cudaStream_t stream);
  const char* (*getErrorString)(ncclResult_t result);
};

NcclApi api;
ncclComm_t comm = nullptr;

NcclLibrary load_library() {
  NcclLibrary result;
  const FoundLibrary found = find_library(
      LibrarySearch{"LONGCONV_NCCL_PATH", {"libnccl.so.2", "libnccl.so"}, {"NCCL_HOME", "CUDA_PATH", "CUDA_HOME"},
                    {"/usr/local/cuda/lib64"}},
      [](void* library, LibraryVersion& version, std::string& rejection) {
        bind_symbol(library, "ncclGetVersion", api.getVersion, rejection);
        bind_symbol(library, "ncclGetUniqueId", api.getUniqueId, rejection);
        bind_symbol(library, "ncclCommInitRank", api.commInitRank, rejection);
        bind_symbol(library, "ncclCommDestroy", api.commDestroy, rejection);
        bind_symbol(library, "ncclCommAbort", api.commAbort, rejection);
        bind_symbol(library, "ncclAllReduce", api.allReduce, rejection);
        bind_symbol(library, "ncclBroadcast", api.broadcast, rejection);
        bind_symbol(library, "ncclGetErrorString", api.getErrorString, rejection);
        if (rejection.empty() && api.getVersion(&version.number) != kNcclSuccess) rejection = "fails ncclGetVersion";
        return rejection.empty();
      });
  result.path = found.path;
  result.version = found.version;
  result.found = found.handle != nullptr;
  if (!result.found) result.reason = "NCCL not found (tried " + found.tried + "; set LONGCONV_NCCL_PATH)";
  return result;
}

void check(ncclResult_t result, const char* call) {
  if (result != kNcclSuccess) throw Error(std::string(call) + " failed: " + api.getErrorString(result));
}

// Stream 0: the legacy default stream (neither longconv nor NCCL is built with per-thread
// default streams), the one every longconv op is queued on.
cudaStream_t stream() { return nullptr; }

}  // namespace

const NcclLibrary& nccl_library() {
  static const NcclLibrary library = load_library();
  return library;
}

void nccl_init(int rank, int size, const std::function<void(void* id, size_t bytes)>& share_id,
               const std::function<int(bool ok)>& count_failures) {
  if (comm) return;
  // Each step ends in a collective vote, so that a rank failing alone (no NCCL or GPU here, or
  // NCCL refusing the communicator, as it does two ranks on one GPU) fails every rank with a
  // named error instead of leaving the others waiting for it.
  std::string failure;
  const auto attempt = [&failure](const std::function<void()>& step) {
    try {
      step();
    } catch (const Error& e) {
      failure = e.what();
    }
  };
  // `made`: this rank's communicator, abandoned when another rank has none.
  const auto agree = [&](const char* stage, ncclComm_t made) {
    const int failed = count_failures(failure.empty());
    if (failed == 0) return;
    if (made) api.commAbort(made);
    if (failure.empty())
      failure = std::to_string(failed) + " of " + std::to_string(size) + " ranks failed " + stage + " (see their errors)";
    throw Error("NCCL could not start: " + failure);
  };
  ncclUniqueId id{};
  attempt([&] {
    const NcclLibrary& library = nccl_library();
    if (!library.found) throw Error(library.reason);
    cuda_require();
    if (rank == 0) check(api.getUniqueId(&id), "ncclGetUniqueId");
  });
  agree("to load NCCL or to make its unique id", nullptr);
  share_id(&id, sizeof id);
  ncclComm_t created = nullptr;
  attempt([&] { check(api.commInitRank(&created, size, id, rank), "ncclCommInitRank"); });
  agree("ncclCommInitRank", created);
  comm = created;
}

bool nccl_active() { return comm != nullptr; }

void nccl_allreduce_sum(float* data, int64_t count) {
  if (count == 0) return;
  check(api.allReduce(data, data, size_t(count), kNcclFloat32, kNcclSum, comm, stream()), "ncclAllReduce");
}

void nccl_broadcast(float* data, int64_t count, int root) {
  if (count == 0) return;
  check(api.broadcast(data, data, size_t(count), kNcclFloat32, root, comm, stream()), "ncclBroadcast");
}

void nccl_finalize() {
  if (!comm) return;
  ncclComm_t c = comm;
  comm = nullptr;
  cuda_synchronize();  // queued collectives finish before their communicator goes
  check(api.commDestroy(c), "ncclCommDestroy");
}

void nccl_abort() {
  if (!comm) return;
  ncclComm_t c = comm;
  comm = nullptr;
  api.commAbort(c);
}

}  // namespace lc
