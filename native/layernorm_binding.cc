// Bindings of native/layernorm.h.
#include "binding.h"
#include "layernorm.h"

namespace lc {

// (x, weight|null, bias|null, outer, n, inner, eps) -> [y, mean, rstd]
LC_BINDING(layerNormForward) {
  Device dev = get_storage(info[0], "x")->device;
  int64_t outer = arg_int(info[3], "outer"), n = arg_int(info[4], "n"), inner = arg_int(info[5], "inner");
  const float* x = arg_buffer(info[0], "x", dev, outer * n * inner);
  const float* weight = arg_buffer(info[1], "weight", dev, n, true);
  const float* bias = arg_buffer(info[2], "bias", dev, n, true);
  float eps = float(arg_number(info[6], "eps"));
  Napi::Object y = new_storage(env, dev, outer * n * inner);
  Napi::Object mean = new_storage(env, dev, outer * inner);
  Napi::Object rstd = new_storage(env, dev, outer * inner);
  layernorm_forward(dev, x, weight, bias, data_of(y), data_of(mean), data_of(rstd), outer, n, inner, eps);
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, y);
  out.Set(1u, mean);
  out.Set(2u, rstd);
  return out;
}

// (x, weight|null, mean, rstd, dy, outer, n, inner, needDx, needDweight, needDbias)
//   -> [dx|null, dweight|null, dbias|null]
LC_BINDING(layerNormBackward) {
  Device dev = get_storage(info[0], "x")->device;
  int64_t outer = arg_int(info[5], "outer"), n = arg_int(info[6], "n"), inner = arg_int(info[7], "inner");
  const float* x = arg_buffer(info[0], "x", dev, outer * n * inner);
  const float* weight = arg_buffer(info[1], "weight", dev, n, true);
  const float* mean = arg_buffer(info[2], "mean", dev, outer * inner);
  const float* rstd = arg_buffer(info[3], "rstd", dev, outer * inner);
  const float* dy = arg_buffer(info[4], "dy", dev, outer * n * inner);
  const int64_t sizes[3] = {outer * n * inner, n, n};
  float* ptr[3] = {nullptr, nullptr, nullptr};
  Napi::Array out = Napi::Array::New(env, 3);
  for (uint32_t i = 0; i < 3; ++i) {
    if (!info[8 + i].ToBoolean()) {
      out.Set(i, env.Null());
      continue;
    }
    Napi::Object s = new_storage(env, dev, sizes[i]);
    ptr[i] = data_of(s);
    out.Set(i, s);
  }
  layernorm_backward(dev, x, weight, mean, rstd, dy, ptr[0], ptr[1], ptr[2], outer, n, inner);
  return out;
}

}  // namespace lc
