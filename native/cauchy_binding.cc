// Bindings of cauchy (native/cauchy.h): forward and backward.
#include "binding.h"
#include "cauchy.h"

namespace lc {
LC_BINDING(cauchyForward) {  // (v, w, z, R, Rw, N, L, conj) -> out [R,L,2]
  Device dev = get_storage(info[0], "v")->device;
  ModalDims d = modal_dims(info, 3, "cauchy", "Rw");
  const float* v = arg_buffer(info[0], "v", dev, d.R * d.N * 2);
  const float* w = arg_buffer(info[1], "w", dev, d.Rp * d.N * 2);
  const float* z = arg_buffer(info[2], "z", dev, d.L * 2);
  Napi::Object out = new_storage(env, dev, d.R * d.L * 2);
  cauchy_forward(dev, v, w, z, data_of(out), d.R, d.Rp, d.N, d.L, info[7].ToBoolean().Value());
  return out;
}

// (grad, v, w, z, R, Rw, N, L, conj, needDv, needDw) -> [dv|null, dw|null]
LC_BINDING(cauchyBackward) {
  Device dev = get_storage(info[0], "grad")->device;
  ModalDims d = modal_dims(info, 4, "cauchy", "Rw");
  const float* grad = arg_buffer(info[0], "grad", dev, d.R * d.L * 2);
  const float* v = arg_buffer(info[1], "v", dev, d.R * d.N * 2);
  const float* w = arg_buffer(info[2], "w", dev, d.Rp * d.N * 2);
  const float* z = arg_buffer(info[3], "z", dev, d.L * 2);
  const bool need[2] = {info[9].ToBoolean(), info[10].ToBoolean()};
  const int64_t sizes[2] = {d.R * d.N * 2, d.Rp * d.N * 2};
  float* ptr[2];
  Napi::Array out = optional_grads(env, dev, need, sizes, ptr);
  cauchy_backward(dev, grad, v, w, z, ptr[0], ptr[1], d.R, d.Rp, d.N, d.L, info[8].ToBoolean().Value());
  return out;
}

}  // namespace lc
