// CPU kernels of native/elementwise.h. Each splits its loop into rows of the innermost dim,
// computes a row's offsets once and runs the row as a tight strided loop. Small tensors stay
// on the calling thread (parallel_for's grain), keeping per-call overhead low.
#include <algorithm>
#include <vector>

#include "elementwise_ops.h"
#include "thread_pool.h"

namespace lc {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per chunk before work is split across threads

// The innermost dim of a loop as (length, stride of operand 0, stride of operand 1).
struct Row {
  int64_t length, stride0, stride1;
};

Row inner_row(const Loop& loop) {
  if (loop.ndim == 0) return {1, 0, 0};
  int last = loop.ndim - 1;
  return {loop.size[last], loop.stride[0][last], loop.stride[1][last]};
}

// Calls row_fn(row, offset0, offset1) for rows [begin, end) of the loop, in parallel when large.
template <typename RowFn>
void for_rows(const Loop& loop, const RowFn& row_fn) {
  Row row = inner_row(loop);
  int64_t rows = row.length == 0 ? 0 : loop_numel(loop) / row.length;
  parallel_for(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, row.length)),
               [&](int64_t begin, int64_t end) {
                 for (int64_t r = begin; r < end; ++r)
                   row_fn(r, loop_offset(loop, 0, r, loop.ndim - 1), loop_offset(loop, 1, r, loop.ndim - 1));
               });
}

template <BinaryOp op>
void binary_loop(const float* a, const float* b, float* out, const Loop& loop, float alpha) {
  constexpr int w = is_complex(op) ? 2 : 1;
  Row row = inner_row(loop);
  for_rows(loop, [&](int64_t r, int64_t offset_a, int64_t offset_b) {
    const float* pa = a + offset_a * w;
    const float* pb = b + offset_b * w;
    float* po = out + r * row.length * w;
    for (int64_t j = 0; j < row.length; ++j)
      apply_binary<op>(pa + j * row.stride0 * w, pb + j * row.stride1 * w, po + j * w, alpha);
  });
}

template <UnaryOp op>
void unary_loop(const float* x, float* out, int64_t n, float s, float t) {
  constexpr int w = is_complex(op) ? 2 : 1;
  parallel_for(n / w, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) apply_unary<op>(x + i * w, out + i * w, s, t);
  });
}

// Sum of `in` over the reduced loop, rows [begin, end), from `base`; in double for accuracy.
double sum_rows(const float* in, int64_t base, const Loop& reduced, int64_t begin, int64_t end) {
  Row row = inner_row(reduced);
  double acc = 0;
  for (int64_t r = begin; r < end; ++r) {
    const float* p = in + base + loop_offset(reduced, 0, r, reduced.ndim - 1);
    for (int64_t j = 0; j < row.length; ++j) acc += p[j * row.stride0];
  }
  return acc;
}

}  // namespace

void binary_cpu(const float* a, const float* b, float* out, const Loop& loop, BinaryOp op,
                float alpha) {
  with_op(op, [&](auto tag) { binary_loop<decltype(tag)::value>(a, b, out, loop, alpha); });
}

void unary_cpu(const float* x, float* out, int64_t n, UnaryOp op, float s, float t) {
  with_op(op, [&](auto tag) { unary_loop<decltype(tag)::value>(x, out, n, s, t); });
}

void sum_to_cpu(const float* in, float* out, const Loop& kept, const Loop& reduced, float scale) {
  int64_t outputs = loop_numel(kept);
  Row row = inner_row(reduced);
  int64_t rows = row.length == 0 ? 0 : loop_numel(reduced) / row.length;
  // Few outputs with long sums (e.g. a loss summed over everything): split each sum into
  // parts of a fixed number of rows so threads share it; the parts are added in order, so
  // the result does not depend on the thread count.
  int64_t rows_per_part = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, row.length));
  int64_t parts = outputs >= 64 ? 1 : std::min<int64_t>(256, std::max<int64_t>(1, rows / rows_per_part));
  rows_per_part = (rows + parts - 1) / std::max<int64_t>(1, parts);
  std::vector<double> partial(size_t(outputs * parts));
  int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, rows_per_part * row.length));
  parallel_for(outputs * parts, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      int64_t o = i / parts, part = i % parts;
      int64_t first = part * rows_per_part, last = std::min(rows, first + rows_per_part);
      partial[size_t(i)] = sum_rows(in, loop_offset(kept, 0, o, kept.ndim), reduced, first, last);
    }
  });
  for (int64_t o = 0; o < outputs; ++o) {
    double acc = 0;
    for (int64_t part = 0; part < parts; ++part) acc += partial[size_t(o * parts + part)];
    out[o] = float(scale * acc);
  }
}

void strided_copy_cpu(const float* in, float* out, const Loop& loop, int64_t in_offset, int64_t out_offset) {
  Row row = inner_row(loop);
  for_rows(loop, [&](int64_t, int64_t offset_in, int64_t offset_out) {
    const float* pi = in + in_offset + offset_in;
    float* po = out + out_offset + offset_out;
    for (int64_t j = 0; j < row.length; ++j) po[j * row.stride1] = pi[j * row.stride0];
  });
}

}  // namespace lc
