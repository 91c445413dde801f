// Bindings of vandermonde (native/vandermonde.h): forward and backward.
#include "binding.h"
#include "vandermonde.h"

namespace lc {
namespace {

struct Dims {
  int64_t R, Rx, N, L;
};

Dims dims_at(const Napi::CallbackInfo& info, int first) {
  Dims d{arg_int(info[first], "R"), arg_int(info[first + 1], "Rx"), arg_int(info[first + 2], "N"),
         arg_int(info[first + 3], "L")};
  if (d.R < 1 || d.Rx < 1 || d.N < 1 || d.L < 1 || d.R % d.Rx != 0)
    throw Error("vandermonde: R, Rx, N and L must be >= 1, with R a multiple of Rx");
  return d;
}

}  // namespace

LC_BINDING(vandermondeForward) {  // (v, x, R, Rx, N, L) -> out [R,L]
  Device dev = get_storage(info[0], "v")->device;
  Dims d = dims_at(info, 2);
  const float* v = arg_buffer(info[0], "v", dev, d.R * d.N * 2);
  const float* x = arg_buffer(info[1], "x", dev, d.Rx * d.N * 2);
  Napi::Object out = new_storage(env, dev, d.R * d.L);
  (dev == Device::CUDA ? vandermonde_forward_cuda : vandermonde_forward_cpu)(
      v, x, d.R, d.Rx, d.N, d.L, data_of(out));
  return out;
}

// (grad, v, x, R, Rx, N, L, needDv, needDx) -> [dv|null, dx|null]
LC_BINDING(vandermondeBackward) {
  Device dev = get_storage(info[0], "grad")->device;
  Dims d = dims_at(info, 3);
  const float* grad = arg_buffer(info[0], "grad", dev, d.R * d.L);
  const float* v = arg_buffer(info[1], "v", dev, d.R * d.N * 2);
  const float* x = arg_buffer(info[2], "x", dev, d.Rx * d.N * 2);
  const bool need[2] = {info[7].ToBoolean(), info[8].ToBoolean()};
  const int64_t sizes[2] = {d.R * d.N * 2, d.Rx * d.N * 2};
  Napi::Array out = Napi::Array::New(env, 2);
  float* ptr[2] = {nullptr, nullptr};
  for (uint32_t i = 0; i < 2; ++i) {
    if (!need[i]) {
      out.Set(i, env.Null());
      continue;
    }
    Napi::Object s = new_storage(env, dev, sizes[i]);
    ptr[i] = data_of(s);
    out.Set(i, s);
  }
  (dev == Device::CUDA ? vandermonde_backward_cuda : vandermonde_backward_cpu)(
      grad, v, x, d.R, d.Rx, d.N, d.L, ptr[0], ptr[1]);
  return out;
}

}  // namespace lc
