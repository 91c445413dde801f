// Bindings of cauchy (native/cauchy.h): forward and backward.
#include "binding.h"
#include "cauchy.h"

namespace lc {
namespace {

struct Dims {
  int64_t R, Rw, N, L;
};

Dims dims_at(const Napi::CallbackInfo& info, int first) {
  Dims d{arg_int(info[first], "R"), arg_int(info[first + 1], "Rw"), arg_int(info[first + 2], "N"),
         arg_int(info[first + 3], "L")};
  if (d.R < 1 || d.Rw < 1 || d.N < 1 || d.L < 1 || d.R % d.Rw != 0)
    throw Error("cauchy: R, Rw, N and L must be >= 1, with R a multiple of Rw");
  return d;
}

}  // namespace

LC_BINDING(cauchyForward) {  // (v, w, z, R, Rw, N, L, conj) -> out [R,L,2]
  Device dev = get_storage(info[0], "v")->device;
  Dims d = dims_at(info, 3);
  const float* v = arg_buffer(info[0], "v", dev, d.R * d.N * 2);
  const float* w = arg_buffer(info[1], "w", dev, d.Rw * d.N * 2);
  const float* z = arg_buffer(info[2], "z", dev, d.L * 2);
  Napi::Object out = new_storage(env, dev, d.R * d.L * 2);
  (dev == Device::CUDA ? cauchy_forward_cuda : cauchy_forward_cpu)(
      v, w, z, d.R, d.Rw, d.N, d.L, info[7].ToBoolean(), data_of(out));
  return out;
}

// (grad, v, w, z, R, Rw, N, L, conj, needDv, needDw) -> [dv|null, dw|null]
LC_BINDING(cauchyBackward) {
  Device dev = get_storage(info[0], "grad")->device;
  Dims d = dims_at(info, 4);
  const float* grad = arg_buffer(info[0], "grad", dev, d.R * d.L * 2);
  const float* v = arg_buffer(info[1], "v", dev, d.R * d.N * 2);
  const float* w = arg_buffer(info[2], "w", dev, d.Rw * d.N * 2);
  const float* z = arg_buffer(info[3], "z", dev, d.L * 2);
  const bool need[2] = {info[9].ToBoolean(), info[10].ToBoolean()};
  const int64_t sizes[2] = {d.R * d.N * 2, d.Rw * d.N * 2};
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
  (dev == Device::CUDA ? cauchy_backward_cuda : cauchy_backward_cpu)(
      grad, v, w, z, d.R, d.Rw, d.N, d.L, info[8].ToBoolean(), ptr[0], ptr[1]);
  return out;
}

}  // namespace lc
