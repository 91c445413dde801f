// Bindings of multiresConv (native/multires.h): forward and backward.
#include "binding.h"
#include "multires.h"

namespace lc {
namespace {

struct Dims {
  int64_t B, H, L, k, J;
};

// (B, H, L, k, J) from info[first..first+4]. The depth bound keeps every dilation below L,
// so no lag computation can overflow.
Dims dims_at(const Napi::CallbackInfo& info, int first) {
  Dims d{arg_int(info[first], "B"), arg_int(info[first + 1], "H"), arg_int(info[first + 2], "L"),
         arg_int(info[first + 3], "k"), arg_int(info[first + 4], "J")};
  if (d.B < 1 || d.H < 1 || d.L < 1) throw Error("multires: B, H and L must be >= 1");
  if (d.k < 2) throw Error("multires: k must be >= 2");
  if (d.J > multires_max_depth(d.L, d.k)) throw Error("multires: depth too large for L and k");
  return d;
}

}  // namespace

LC_BINDING(multiresForward) {  // (x, h0, h1, w, B, H, L, k, J, saveLevels) -> [y, levels|null]
  Device dev = get_storage(info[0], "x")->device;
  Dims d = dims_at(info, 4);
  const int64_t n = d.B * d.H * d.L;
  const float* x = arg_buffer(info[0], "x", dev, n);
  const float* h0 = arg_buffer(info[1], "h0", dev, d.H * d.k);
  const float* h1 = arg_buffer(info[2], "h1", dev, d.H * d.k);
  const float* w = arg_buffer(info[3], "w", dev, d.H * (d.J + 2));
  Napi::Object y = new_storage(env, dev, n);
  Napi::Value levels = env.Null();
  if (info[9].ToBoolean()) levels = new_storage(env, dev, (d.J + 1) * n);
  multires_forward(dev, x, h0, h1, w, data_of(y), levels.IsNull() ? nullptr : data_of(levels.As<Napi::Object>()),
                   d.B, d.H, d.L, d.k, d.J);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, y);
  out.Set(1u, levels);
  return out;
}

// (dy, levels|null, h0, h1, w, B, H, L, k, J, needDx, needDh0, needDh1, needDw)
//   -> [dx, dh0, dh1, dw] (null where not needed)
LC_BINDING(multiresBackward) {
  Device dev = get_storage(info[0], "dy")->device;
  Dims d = dims_at(info, 5);
  const int64_t n = d.B * d.H * d.L;
  const float* dy = arg_buffer(info[0], "dy", dev, n);
  const float* h0 = arg_buffer(info[2], "h0", dev, d.H * d.k);
  const float* h1 = arg_buffer(info[3], "h1", dev, d.H * d.k);
  const float* w = arg_buffer(info[4], "w", dev, d.H * (d.J + 2));
  const bool need[4] = {info[10].ToBoolean(), info[11].ToBoolean(), info[12].ToBoolean(),
                        info[13].ToBoolean()};
  const float* levels = (need[1] || need[2] || need[3])
                            ? arg_buffer(info[1], "levels", dev, (d.J + 1) * n)
                            : nullptr;
  const int64_t sizes[4] = {n, d.H * d.k, d.H * d.k, d.H * (d.J + 2)};
  float* ptr[4];
  Napi::Array out = optional_grads(env, dev, need, sizes, ptr);
  multires_backward(dev, dy, levels, h0, h1, w, ptr[0], ptr[1], ptr[2], ptr[3], d.B, d.H, d.L, d.k, d.J);
  return out;
}

}  // namespace lc
