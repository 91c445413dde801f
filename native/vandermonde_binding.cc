// Bindings of vandermonde (native/vandermonde.h): forward and backward.
#include "binding.h"
#include "vandermonde.h"

namespace lc {
LC_BINDING(vandermondeForward) {  // (v, x, R, Rx, N, L) -> out [R,L]
  Device dev = get_storage(info[0], "v")->device;
  ModalDims d = modal_dims(info, 2, "vandermonde", "Rx");
  const float* v = arg_buffer(info[0], "v", dev, d.R * d.N * 2);
  const float* x = arg_buffer(info[1], "x", dev, d.Rp * d.N * 2);
  Napi::Object out = new_storage(env, dev, d.R * d.L);
  vandermonde_forward(dev, v, x, data_of(out), d.R, d.Rp, d.N, d.L);
  return out;
}

// (grad, v, x, R, Rx, N, L, needDv, needDx) -> [dv|null, dx|null]
LC_BINDING(vandermondeBackward) {
  Device dev = get_storage(info[0], "grad")->device;
  ModalDims d = modal_dims(info, 3, "vandermonde", "Rx");
  const float* grad = arg_buffer(info[0], "grad", dev, d.R * d.L);
  const float* v = arg_buffer(info[1], "v", dev, d.R * d.N * 2);
  const float* x = arg_buffer(info[2], "x", dev, d.Rp * d.N * 2);
  const bool need[2] = {info[7].ToBoolean(), info[8].ToBoolean()};
  const int64_t sizes[2] = {d.R * d.N * 2, d.Rp * d.N * 2};
  float* ptr[2];
  Napi::Array out = optional_grads(env, dev, need, sizes, ptr);
  vandermonde_backward(dev, grad, v, x, ptr[0], ptr[1], d.R, d.Rp, d.N, d.L);
  return out;
}

}  // namespace lc
