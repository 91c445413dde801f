#include "distributed.h"

#include <algorithm>
#include <functional>
#include <memory>

#include "cuda_backend.h"
#include "dispatch.h"
#include "elementwise.h"
#include "errors.h"
#include "mpi_loader.h"
#include "nccl_loader.h"

namespace lc {
namespace {

DistributedWorld the_world;
bool started = false;

// A scratch buffer from the device's caching allocator, returned to it on scope exit.
using Scratch = std::unique_ptr<float, std::function<void(float*)>>;
Scratch scratch(Device device, int64_t count) {
  return Scratch(device_alloc(device, count), [device](float* p) { device_free(device, p); });
}

// dst ← s · src (a plain copy when s is 1, so that values pass bit for bit).
void scaled_copy(Device device, const float* src, float* dst, int64_t count, float s) {
  if (s == 1.0f) {
    if (dst != src) copy_between(device, dst, device, src, count);
  } else {
    unary(device, src, dst, count, UnaryOp::Affine, s, 0.0f);
  }
}

MpiWorld& mpi() {
  MpiWorld* w = mpi_world();
  if (!w) throw Error("distributed: not initialised (call lc.distributed.init() first)");
  return *w;
}

// One in-place collective over a contiguous region of `device` memory, through the transport
// that serves the device. `host_floats` bounds the host copy of CUDA data for an MPI that
// cannot read device memory.
template <class MpiCall, class NcclCall>
void collective(Device device, float* data, int64_t count, int64_t host_floats, MpiCall mpi_call,
                NcclCall nccl_call) {
  if (device == Device::CPU) return mpi_call(data, count);
  if constexpr (kWithCuda) {
    if (the_world.nccl) return nccl_call(data, count);
  }
  if (the_world.cuda_aware) {
    cuda_synchronize();  // MPI reads device memory outside the stream's order
    return mpi_call(data, count);
  }
  const int64_t chunk = std::min(count, host_floats);
  Scratch host = scratch(Device::CPU, chunk);
  for (int64_t done = 0; done < count; done += chunk) {
    const int64_t n = std::min(chunk, count - done);
    copy_between(Device::CPU, host.get(), Device::CUDA, data + done, n);
    mpi_call(host.get(), n);
    copy_between(Device::CUDA, data + done, Device::CPU, host.get(), n);
  }
}

void reduce_region(Device device, float* data, int64_t count, int64_t bucket_floats) {
  collective(
      device, data, count, bucket_floats, [](float* p, int64_t n) { mpi().allreduce_sum(p, n); },
      [](float* p, int64_t n) {
        if constexpr (kWithCuda) nccl_allreduce_sum(p, n);
      });
}

void broadcast_region(Device device, float* data, int64_t count, int root, int64_t bucket_floats) {
  collective(
      device, data, count, bucket_floats,
      [root](float* p, int64_t n) { mpi().broadcast(p, n * int64_t(sizeof(float)), root); },
      [root](float* p, int64_t n) {
        if constexpr (kWithCuda) nccl_broadcast(p, n, root);
      });
}

// Calls region(data, count, in_place) once per buffer of at least `bucket_floats` (in place: the
// caller's memory) and once per bucket of the smaller buffers between them, packed in order:
// pack(buffer, slot) before, unpack(slot, buffer) after.
template <class Pack, class Region, class Unpack>
void by_buckets(Device device, const std::vector<Span>& buffers, int64_t bucket_floats, Pack pack,
                Region region, Unpack unpack) {
  if (bucket_floats < 1) throw Error("distributed: the bucket size must be at least one float");
  for (size_t first = 0; first < buffers.size();) {
    if (buffers[first].count >= bucket_floats) {
      region(buffers[first].data, buffers[first].count, true);
      ++first;
      continue;
    }
    size_t last = first;
    int64_t total = 0;
    while (last < buffers.size() && buffers[last].count < bucket_floats &&
           total + buffers[last].count <= bucket_floats)
      total += buffers[last++].count;
    Scratch bucket = scratch(device, total);
    for (size_t i = first, offset = 0; i < last; offset += size_t(buffers[i].count), ++i)
      pack(buffers[i], bucket.get() + offset);
    region(bucket.get(), total, false);
    for (size_t i = first, offset = 0; i < last; offset += size_t(buffers[i].count), ++i)
      unpack(bucket.get() + offset, buffers[i]);
    first = last;
  }
}

}  // namespace

const DistributedWorld& distributed_init(bool nccl) {
  MpiWorld& w = mpi_init();
  if (!started) {
    DistributedWorld world;
    world.rank = w.rank;
    world.size = w.size;
    world.local_rank = w.local_rank;
    world.local_size = w.local_size;
    world.cuda_aware = w.cuda_aware;
    // One GPU per process: the node's ranks take its devices in turn.
    world.cuda_device = cuda_select_device(w.local_rank);
    the_world = world;
    started = true;
  }
  if (nccl && !the_world.nccl) {
    if constexpr (kWithCuda) {
      nccl_init(
          w.rank, w.size, [&w](void* id, size_t bytes) { w.broadcast(id, int64_t(bytes), 0); },
          [&w](bool ok) {
            float failed = ok ? 0.0f : 1.0f;  // exact: a count far below 2^24
            w.allreduce_sum(&failed, 1);
            return int(failed);
          });
      the_world.nccl = true;
    } else {
      throw Error("NCCL is not available: built without CUDA support (CPU-only build)");
    }
  }
  return the_world;
}

const DistributedWorld* distributed_world() { return started ? &the_world : nullptr; }

void all_reduce_sum(Device device, const std::vector<Span>& buffers, float pre, float post,
                    int64_t bucket_floats) {
  mpi();
  by_buckets(
      device, buffers, bucket_floats,
      [&](const Span& b, float* slot) { scaled_copy(device, b.data, slot, b.count, pre); },
      [&](float* data, int64_t count, bool in_place) {
        // A buffer reduced in place is scaled in place: its old values are replaced anyway.
        if (in_place) scaled_copy(device, data, data, count, pre);
        reduce_region(device, data, count, bucket_floats);
        if (in_place) scaled_copy(device, data, data, count, post);
      },
      [&](const float* slot, const Span& b) { scaled_copy(device, slot, b.data, b.count, post); });
}

void broadcast_spans(Device device, const std::vector<Span>& buffers, int root, int64_t bucket_floats) {
  MpiWorld& w = mpi();
  if (root < 0 || root >= w.size)
    throw Error("broadcast: root " + std::to_string(root) + " is not a rank (size " + std::to_string(w.size) + ")");
  const bool is_root = w.rank == root;
  by_buckets(
      device, buffers, bucket_floats,
      [&](const Span& b, float* slot) {
        if (is_root) copy_between(device, slot, device, b.data, b.count);
      },
      [&](float* data, int64_t count, bool) { broadcast_region(device, data, count, root, bucket_floats); },
      [&](const float* slot, const Span& b) {
        if (!is_root) copy_between(device, b.data, device, slot, b.count);
      });
}

void distributed_barrier() { mpi().barrier(); }

void distributed_abort(int code) {
  if constexpr (kWithCuda) nccl_abort();
  MpiWorld* w = mpi_world();
  if (w) w->abort(code);
  std::_Exit(code);
}

void distributed_finalize() {
  if (!started) return;
  started = false;
  if constexpr (kWithCuda) nccl_finalize();
  mpi_finalize();
}

}  // namespace lc
