// CUDA kernels of native/elementwise.h: grid-stride loops, one thread per element (binary,
// unary, copy) and one warp per output part (sum_to), with the math of elementwise_ops.h.
#include <algorithm>
#include <memory>

#include "elementwise_ops.h"
#include "kernel_common.cuh"

namespace lc {
namespace {

template <BinaryOp op>
__global__ void binary_kernel(const float* a, const float* b, float* out, Loop loop, int64_t n, float alpha) {
  constexpr int w = is_complex(op) ? 2 : 1;
  for (int64_t i : grid_stride(n))
    apply_binary<op>(a + loop_offset(loop, 0, i, loop.ndim) * w, b + loop_offset(loop, 1, i, loop.ndim) * w,
                     out + i * w, alpha);
}

template <UnaryOp op>
__global__ void unary_kernel(const float* x, float* out, int64_t n, float s, float t) {
  constexpr int w = is_complex(op) ? 2 : 1;
  for (int64_t i : grid_stride(n)) apply_unary<op>(x + i * w, out + i * w, s, t);
}

__global__ void copy_kernel(const float* in, float* out, Loop loop, int64_t n, int64_t in_offset, int64_t out_offset) {
  for (int64_t i : grid_stride(n))
    out[out_offset + loop_offset(loop, 1, i, loop.ndim)] = in[in_offset + loop_offset(loop, 0, i, loop.ndim)];
}

// Warp per (output o, part p): sums reduced elements [p * chunk, (p + 1) * chunk) of output o
// in double, then writes scale * sum to out[o * parts + p]. The order is fixed: deterministic.
__global__ void sum_kernel(const float* in, float* out, Loop kept, Loop reduced, int64_t outputs, int64_t parts,
                           int64_t inner, int64_t chunk, float scale) {
  const int lane = lane_id();
  for (int64_t task : warp_stride(outputs * parts)) {
    int64_t o = task / parts, p = task % parts;
    int64_t base = loop_offset(kept, 0, o, kept.ndim);
    int64_t end = (p + 1) * chunk < inner ? (p + 1) * chunk : inner;
    double acc = 0;
    for (int64_t j = p * chunk + lane; j < end; j += kWarp) acc += in[base + loop_offset(reduced, 0, j, reduced.ndim)];
    for (int offset = kWarp / 2; offset > 0; offset /= 2) acc += __shfl_down_sync(0xffffffffu, acc, offset);
    if (lane == 0) out[task] = float(scale * acc);
  }
}

}  // namespace

void binary_cuda(const float* a, const float* b, float* out, const Loop& loop, BinaryOp op,
                 float alpha) {
  int64_t n = loop_numel(loop);
  if (n == 0) return;
  with_op(op, [&](auto tag) {
    launch("binary", binary_kernel<decltype(tag)::value>, over_items(n), a, b, out, loop, n, alpha);
  });
}

void unary_cuda(const float* x, float* out, int64_t n, UnaryOp op, float s, float t) {
  int64_t elements = is_complex(op) ? n / 2 : n;
  if (elements == 0) return;
  with_op(op, [&](auto tag) {
    launch("unary", unary_kernel<decltype(tag)::value>, over_items(elements), x, out, elements, s, t);
  });
}

void sum_to_cuda(const float* in, float* out, const Loop& kept, const Loop& reduced, float scale) {
  int64_t outputs = loop_numel(kept), inner = loop_numel(reduced);
  if (outputs == 0) return;
  // Few outputs with long sums: split each into parts (pass 1 into scratch), then add the
  // parts of each output (pass 2, the same kernel over a contiguous [outputs, parts] block).
  constexpr int64_t kMinChunk = 4096, kTargetTasks = 8192;
  int64_t parts = std::min<int64_t>(
      1024, std::max<int64_t>(1, std::min((inner + kMinChunk - 1) / kMinChunk, kTargetTasks / outputs)));
  int64_t chunk = std::max<int64_t>(1, (inner + parts - 1) / parts);
  if (parts == 1) {
    launch("sum_to", sum_kernel, over_warps(outputs), in, out, kept, reduced, outputs, 1, inner, chunk, scale);
    return;
  }
  std::unique_ptr<float, void (*)(void*)> scratch(
      static_cast<float*>(cuda_alloc(size_t(outputs * parts) * sizeof(float))), cuda_free);
  launch("sum_to (parts)", sum_kernel, over_warps(outputs * parts), in, scratch.get(), kept, reduced, outputs, parts,
         inner, chunk, 1.0f);
  Loop rows, cols;  // scratch as [outputs, parts]: keep rows, reduce the contiguous parts
  rows.ndim = cols.ndim = 1;
  rows.size[0] = outputs;
  rows.stride[0][0] = parts;
  cols.size[0] = parts;
  cols.stride[0][0] = 1;
  launch("sum_to (total)", sum_kernel, over_warps(outputs), scratch.get(), out, rows, cols, outputs, 1, parts, parts,
         scale);
}

void strided_copy_cuda(const float* in, float* out, const Loop& loop, int64_t in_offset, int64_t out_offset) {
  int64_t n = loop_numel(loop);
  if (n == 0) return;
  launch("strided_copy", copy_kernel, over_items(n), in, out, loop, n, in_offset, out_offset);
}

}  // namespace lc
