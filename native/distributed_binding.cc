// Bindings of native/distributed.h (lc.distributed): what MPI and NCCL the searches found, the
// world, and the collectives over arrays of storages.
#include <string>
#include <vector>

#include "binding.h"
#include "dispatch.h"
#include "distributed.h"
#include "mpi_loader.h"
#include "nccl_loader.h"

namespace lc {
namespace {

// {buffers: Storage[], counts: number[]}: live storages on one device, each holding its count.
std::vector<Span> spans(const Args& a, Device& device) {
  const Napi::Value buffers = a.value("buffers"), counts = a.value("counts");
  if (!buffers.IsArray() || !counts.IsArray()) throw Error("buffers, counts: expected arrays");
  const Napi::Array b = buffers.As<Napi::Array>(), c = counts.As<Napi::Array>();
  if (b.Length() != c.Length()) throw Error("buffers, counts: expected arrays of one length");
  std::vector<Span> out;
  for (uint32_t i = 0; i < b.Length(); ++i) {
    Storage* s = get_storage(b.Get(i), "buffers[]");
    if (i == 0) device = s->device;
    const int64_t count = arg_int(c.Get(i), "counts[]");
    out.push_back(Span{arg_buffer(b.Get(i), "buffers[]", device, count), count});
  }
  return out;
}

// {available: false, reason} or {available: true, path}, for the caller to add to.
Napi::Object library_info(Napi::Env env, bool found, const std::string& reason, const std::string& path) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("available", found);
  out.Set(found ? "path" : "reason", found ? path : reason);
  return out;
}

}  // namespace

LC_BINDING(distributedInfo) {  // -> {mpi: {available, reason | path, abi, version}, nccl: {...}}
  const MpiLibrary& m = mpi_library();
  Napi::Object mpi = library_info(env, m.found, m.reason, m.path);
  if (m.found) {
    mpi.Set("abi", m.abi);
    mpi.Set("version", m.version);
  }
  Napi::Object nccl = library_info(env, false, "built without CUDA support (CPU-only build)", "");
  if constexpr (kWithCuda) {
    const NcclLibrary& n = nccl_library();
    nccl = library_info(env, n.found, n.reason, n.path);
    if (n.found) nccl.Set("version", n.version);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("mpi", mpi);
  out.Set("nccl", nccl);
  return out;
}

LC_BINDING(distributedInit) {  // {nccl} -> {rank, size, localRank, localSize, cudaDevice, nccl, cudaAware}
  Args a(info);
  const DistributedWorld& w = distributed_init(a.flag("nccl"));
  Napi::Object out = Napi::Object::New(env);
  out.Set("rank", w.rank);
  out.Set("size", w.size);
  out.Set("localRank", w.local_rank);
  out.Set("localSize", w.local_size);
  out.Set("cudaDevice", w.cuda_device);
  out.Set("nccl", w.nccl);
  out.Set("cudaAware", w.cuda_aware);
  return out;
}

// {buffers, counts, pre, post, bucketFloats}: each buffer ← post · Σ_ranks pre · buffer.
LC_BINDING(allReduce) {
  Args a(info);
  Device device = Device::CPU;
  const std::vector<Span> buffers = spans(a, device);
  all_reduce_sum(device, buffers, float(a.number("pre")), float(a.number("post")), a.size("bucketFloats"));
  return env.Undefined();
}

// {buffers, counts, root, bucketFloats}: each buffer ← rank root's.
LC_BINDING(broadcast) {
  Args a(info);
  Device device = Device::CPU;
  const std::vector<Span> buffers = spans(a, device);
  broadcast_spans(device, buffers, int(a.size("root")), a.size("bucketFloats"));
  return env.Undefined();
}

LC_BINDING(distributedBarrier) {
  distributed_barrier();
  return env.Undefined();
}

LC_BINDING(distributedFinalize) {
  distributed_finalize();
  return env.Undefined();
}

LC_BINDING(distributedAbort) {  // {code}: never returns
  Args a(info);
  distributed_abort(int(a.size("code")));
}

}  // namespace lc
