// Bindings of the general kernels (native/elementwise.h). Shapes arrive as JS arrays; this
// file turns them into merged Loops and checks that every index stays inside its buffer. The op
// codes come from the lists in elementwise.h (native.opCodes).
//
// Unlike the other kernel bindings these four take positional arguments: they run behind every
// elementwise, reduction and shape op, and named arguments cost time there. Measured on 4x4
// tensors (bench: one native call, CPU, 2-core EPYC): binary 3.7 -> 5.8 us, unary 1.5 -> 2.5 us,
// sumTo 2.9 -> 4.4 us, stridedCopy 3.0 -> 5.0 us per call, i.e. +18% on a whole lc.add (10.9 us)
// and +15% on lc.exp (6.8 us).
#include <string>
#include <vector>

#include "binding.h"
#include "elementwise.h"
#include "storage.h"

namespace lc {
namespace {

using Dims = std::vector<int64_t>;

int64_t numel_of(const Dims& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Dims contiguous_strides(const Dims& shape) {
  Dims strides(shape.size());
  int64_t s = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

// Strides that read `shape` broadcast to `target` (same rank): 0 along its size-1 dims.
Dims broadcast_strides(const Dims& shape, const Dims& target, const char* name) {
  if (shape.size() != target.size()) throw Error(std::string(name) + ": rank differs from the output's");
  Dims strides = contiguous_strides(shape);
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == target[d]) continue;
    if (shape[d] != 1) throw Error(std::string(name) + ": shape does not broadcast to the output's");
    strides[d] = 0;
  }
  return strides;
}

struct Dim {
  int64_t size, stride0, stride1;
};

// Drops size-1 dims and merges neighbours that are contiguous for both operands.
std::vector<Dim> merge_dims(const std::vector<Dim>& dims) {
  std::vector<Dim> merged;
  for (const Dim& d : dims) {
    if (d.size == 1) continue;
    if (!merged.empty()) {
      Dim& last = merged.back();
      if (last.stride0 == d.stride0 * d.size && last.stride1 == d.stride1 * d.size) {
        last = {last.size * d.size, d.stride0, d.stride1};
        continue;
      }
    }
    merged.push_back(d);
  }
  return merged;
}

// A Loop over merged dims [first, last) (at most kMaxDims of them).
Loop to_loop(const Dim* first, const Dim* last) {
  Loop loop;
  loop.ndim = int(last - first);
  for (int d = 0; d < loop.ndim; ++d) {
    loop.size[d] = first[d].size;
    loop.stride[0][d] = first[d].stride0;
    loop.stride[1][d] = first[d].stride1;
  }
  return loop;
}

// Runs fn(loop, offset0, offset1, slice) over merged dims: the kernels take at most kMaxDims
// dims, so the leading dims of a larger iteration space are walked here, one kernel call per
// slice (offsets in elements of each operand; slices in row-major order of the leading dims).
template <class Fn>
void for_each_slice(const std::vector<Dim>& merged, const Fn& fn) {
  const size_t outer = merged.size() > size_t(kMaxDims) ? merged.size() - size_t(kMaxDims) : 0;
  const Loop inner = to_loop(merged.data() + outer, merged.data() + merged.size());
  int64_t slices = 1;
  for (size_t d = 0; d < outer; ++d) slices *= merged[d].size;
  for (int64_t s = 0; s < slices; ++s) {
    int64_t rest = s, offset0 = 0, offset1 = 0;
    for (size_t d = outer; d-- > 0;) {
      const int64_t i = rest % merged[d].size;
      rest /= merged[d].size;
      offset0 += i * merged[d].stride0;
      offset1 += i * merged[d].stride1;
    }
    fn(inner, offset0, offset1, s);
  }
}

// The largest element index merged dims reach from `offset` with operand `which`'s strides.
int64_t last_index(const std::vector<Dim>& merged, int which, int64_t offset) {
  for (const Dim& d : merged) offset += (d.size - 1) * (which == 0 ? d.stride0 : d.stride1);
  return offset;
}

}  // namespace

LC_BINDING(binary) {  // (op, a, b, out, aShape, bShape, outShape, alpha); shapes of equal rank
  int64_t code = arg_int(info[0], "op");
  if (code >= int64_t(BinaryOp::Count)) throw Error("binary: unknown op");
  BinaryOp op = BinaryOp(code);
  Device dev = get_storage(info[1], "a")->device;
  Dims a_shape = arg_dims(info[4], "aShape"), b_shape = arg_dims(info[5], "bShape");
  Dims out_shape = arg_dims(info[6], "outShape");
  int64_t w = is_complex(op) ? 2 : 1;
  const float* a = arg_buffer(info[1], "a", dev, numel_of(a_shape) * w);
  const float* b = arg_buffer(info[2], "b", dev, numel_of(b_shape) * w);
  float* out = arg_buffer(info[3], "out", dev, numel_of(out_shape) * w);
  Dims sa = broadcast_strides(a_shape, out_shape, "a"), sb = broadcast_strides(b_shape, out_shape, "b");
  std::vector<Dim> dims;
  for (size_t d = 0; d < out_shape.size(); ++d) dims.push_back({out_shape[d], sa[d], sb[d]});
  float alpha = float(arg_number(info[7], "alpha"));
  // out is contiguous and the leading dims are outermost: slice s starts at s * inner size.
  for_each_slice(merge_dims(dims), [&](const Loop& loop, int64_t offset_a, int64_t offset_b, int64_t s) {
    binary(dev, a + offset_a * w, b + offset_b * w, out + s * loop_numel(loop) * w, loop, op, alpha);
  });
  return env.Undefined();
}

LC_BINDING(unary) {  // (op, x, out, n, s, t); n floats
  int64_t code = arg_int(info[0], "op");
  if (code >= int64_t(UnaryOp::Count)) throw Error("unary: unknown op");
  UnaryOp op = UnaryOp(code);
  Device dev = get_storage(info[1], "x")->device;
  int64_t n = arg_int(info[3], "n");
  if (is_complex(op) && n % 2) throw Error("unary: a complex op needs an even number of floats");
  const float* x = arg_buffer(info[1], "x", dev, n);
  float* out = arg_buffer(info[2], "out", dev, n);
  float s = float(arg_number(info[4], "s")), t = float(arg_number(info[5], "t"));
  unary(dev, x, out, n, op, s, t);
  return env.Undefined();
}

LC_BINDING(sumTo) {  // (in, out, inShape, outShape, scale); outShape: inShape with some dims 1
  Device dev = get_storage(info[0], "in")->device;
  Dims in_shape = arg_dims(info[2], "inShape"), out_shape = arg_dims(info[3], "outShape");
  if (in_shape.size() != out_shape.size()) throw Error("sumTo: ranks differ");
  const float* in = arg_buffer(info[0], "in", dev, numel_of(in_shape));
  float* out = arg_buffer(info[1], "out", dev, numel_of(out_shape));
  Dims in_strides = contiguous_strides(in_shape), out_strides = contiguous_strides(out_shape);
  std::vector<Dim> kept, reduced;
  for (size_t d = 0; d < in_shape.size(); ++d) {
    if (out_shape[d] == in_shape[d]) kept.push_back({in_shape[d], in_strides[d], out_strides[d]});
    else if (out_shape[d] == 1) reduced.push_back({in_shape[d], in_strides[d], 0});
    else throw Error("sumTo: outShape must equal inShape or be 1 in each dim");
  }
  float scale = float(arg_number(info[4], "scale"));
  const std::vector<Dim> merged_kept = merge_dims(kept), merged_reduced = merge_dims(reduced);
  // dst = scale * the sum over `reduced_loop` of src, slice by slice of the kept dims.
  auto sum_into = [&](const float* src, float* dst, const Loop& reduced_loop) {
    for_each_slice(merged_kept, [&](const Loop& loop, int64_t offset_in, int64_t, int64_t s) {
      sum_to(dev, src + offset_in, dst + s * loop_numel(loop), loop, reduced_loop, scale);
    });
  };
  if (merged_reduced.size() <= size_t(kMaxDims)) {
    sum_into(in, out, to_loop(merged_reduced.data(), merged_reduced.data() + merged_reduced.size()));
    return env.Undefined();
  }
  // More summed dims than a kernel takes: one partial sum per slice of the leading ones, added
  // up in slice order (deterministic).
  const int64_t n = numel_of(out_shape);
  if (numel_of(in_shape) == 0) {  // an empty sum (a leading dim of size 0: no slices at all)
    device_zero(dev, out, n);
    return env.Undefined();
  }
  WorkBuffer partial(n, dev);
  Loop whole;
  whole.ndim = 1;
  whole.size[0] = n;
  whole.stride[0][0] = whole.stride[1][0] = 1;
  for_each_slice(merged_reduced, [&](const Loop& reduced_loop, int64_t offset_in, int64_t, int64_t s) {
    sum_into(in + offset_in, s == 0 ? out : partial.data(), reduced_loop);
    if (s > 0) binary(dev, out, partial.data(), out, whole, BinaryOp::Add, 1.0f);
  });
  return env.Undefined();
}

LC_BINDING(stridedCopy) {  // (in, out, shape, inStrides, inOffset, outStrides, outOffset)
  Storage* in = get_storage(info[0], "in");
  Storage* out = get_storage(info[1], "out");
  if (out->device != in->device) throw Error("stridedCopy: in and out on different devices");
  Dims shape = arg_dims(info[2], "shape"), in_strides = arg_dims(info[3], "inStrides");
  Dims out_strides = arg_dims(info[5], "outStrides");
  int64_t in_offset = arg_int(info[4], "inOffset"), out_offset = arg_int(info[6], "outOffset");
  if (in_strides.size() != shape.size() || out_strides.size() != shape.size())
    throw Error("stridedCopy: shape and strides differ in rank");
  std::vector<Dim> dims;
  for (size_t d = 0; d < shape.size(); ++d) dims.push_back({shape[d], in_strides[d], out_strides[d]});
  const std::vector<Dim> merged = merge_dims(dims);
  if (numel_of(shape) == 0) return env.Undefined();
  if (last_index(merged, 0, in_offset) >= in->numel || last_index(merged, 1, out_offset) >= out->numel)
    throw Error("stridedCopy: indices pass the end of a buffer");
  for_each_slice(merged, [&](const Loop& loop, int64_t offset_in, int64_t offset_out, int64_t) {
    strided_copy(in->device, in->data, out->data, loop, in_offset + offset_in, out_offset + offset_out);
  });
  return env.Undefined();
}

}  // namespace lc
