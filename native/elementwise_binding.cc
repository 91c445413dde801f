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
Loop make_loop(const std::vector<Dim>& dims) {
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
  if (merged.size() > size_t(kMaxDims))
    throw Error("more than " + std::to_string(kMaxDims) + " dimensions remain after merging");
  Loop loop;
  loop.ndim = int(merged.size());
  for (int d = 0; d < loop.ndim; ++d) {
    loop.size[d] = merged[size_t(d)].size;
    loop.stride[0][d] = merged[size_t(d)].stride0;
    loop.stride[1][d] = merged[size_t(d)].stride1;
  }
  return loop;
}

// The largest element index a loop reaches from `offset` with operand `which`'s strides.
int64_t last_index(const Loop& loop, int which, int64_t offset) {
  for (int d = 0; d < loop.ndim; ++d) offset += (loop.size[d] - 1) * loop.stride[which][d];
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
  binary(dev, a, b, out, make_loop(dims), op, alpha);
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
  sum_to(dev, in, out, make_loop(kept), make_loop(reduced), scale);
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
  Loop loop = make_loop(dims);
  if (numel_of(shape) == 0) return env.Undefined();
  if (last_index(loop, 0, in_offset) >= in->numel || last_index(loop, 1, out_offset) >= out->numel)
    throw Error("stridedCopy: indices pass the end of a buffer");
  strided_copy(in->device, in->data, out->data, loop, in_offset, out_offset);
  return env.Undefined();
}

}  // namespace lc
