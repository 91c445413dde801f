// Bindings of the SGConv kernel (native/sgconv.h): forward and backward.
#include <string>
#include <vector>

#include "binding.h"
#include "sgconv.h"

namespace lc {
namespace {

struct Dims {
  int64_t S, C, H, d, initScale, L;
};

// (S from the caller's array), C, H, d, initScale, L at info[first..first+4].
Dims dims_at(const Napi::CallbackInfo& info, int64_t S, int first) {
  Dims g{S, arg_int(info[first], "C"), arg_int(info[first + 1], "H"), arg_int(info[first + 2], "d"),
         arg_int(info[first + 3], "initScale"), arg_int(info[first + 4], "L")};
  if (S < 1 || S > kSgconvMaxSubKernels)
    throw Error("sgconv: expected 1 to " + std::to_string(kSgconvMaxSubKernels) + " sub-kernels");
  if (g.C < 1 || g.H < 1 || g.d < 1 || g.L < 1) throw Error("sgconv: C, H, d and L must be >= 1");
  // T = d * 2^(S-1+initScale) <= 2^40 keeps the index arithmetic far from overflow.
  const int64_t exponent = S - 1 + g.initScale;
  if (exponent > 40 || g.d > (int64_t(1) << (40 - exponent)))
    throw Error("sgconv: the concatenated length d*2^(S-1+initScale) exceeds 2^40");
  return g;
}

Device device_of(const Napi::CallbackInfo& info) {
  return get_storage(info[1], "multiplier")->device;
}

}  // namespace

// (subKernels[], multiplier, norm|null, C, H, d, initScale, L) -> [out, norm]
// With norm null the norm is computed into a new storage; otherwise the given one is read.
LC_BINDING(sgconvKernelForward) {
  if (!info[0].IsArray()) throw Error("subKernels: expected an array of storages");
  Napi::Array list = info[0].As<Napi::Array>();
  const Dims g = dims_at(info, int64_t(list.Length()), 3);
  const Device dev = device_of(info);
  std::vector<const float*> subKernels(size_t(g.S));
  for (uint32_t i = 0; i < uint32_t(g.S); ++i) {
    const std::string name = "subKernels[" + std::to_string(i) + "]";
    subKernels[i] = arg_buffer(list.Get(i), name.c_str(), dev, g.C * g.H * g.d);
  }
  const float* multiplier = arg_buffer(info[1], "multiplier", dev, g.H);
  const bool computeNorm = info[2].IsNull() || info[2].IsUndefined();
  Napi::Value norm = info[2];
  if (computeNorm) norm = new_storage(env, dev, g.C * g.H);
  float* normData = arg_buffer(norm, "norm", dev, g.C * g.H);
  Napi::Object out = new_storage(env, dev, g.C * g.H * g.L);
  sgconv_kernel_forward(dev, subKernels.data(), multiplier, data_of(out), normData, g.S, g.C, g.H, g.d, g.initScale,
                        g.L, computeNorm);
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, out);
  result.Set(1u, norm);
  return result;
}

// (dOut, multiplier, norm, needs[] (one boolean per sub-kernel), C, H, d, initScale, L)
//   -> (storage|null)[] of the sub-kernels' gradients
LC_BINDING(sgconvKernelBackward) {
  if (!info[3].IsArray()) throw Error("needs: expected an array of booleans");
  Napi::Array needs = info[3].As<Napi::Array>();
  const Dims g = dims_at(info, int64_t(needs.Length()), 4);
  const Device dev = device_of(info);
  const float* dOut = arg_buffer(info[0], "dOut", dev, g.C * g.H * g.L);
  const float* multiplier = arg_buffer(info[1], "multiplier", dev, g.H);
  const float* norm = arg_buffer(info[2], "norm", dev, g.C * g.H);
  std::vector<float*> grads(size_t(g.S), nullptr);
  Napi::Array result = Napi::Array::New(env, size_t(g.S));
  for (uint32_t i = 0; i < uint32_t(g.S); ++i) {
    if (!needs.Get(i).ToBoolean()) {
      result.Set(i, env.Null());
      continue;
    }
    Napi::Object grad = new_storage(env, dev, g.C * g.H * g.d);
    grads[i] = data_of(grad);
    result.Set(i, grad);
  }
  sgconv_kernel_backward(dev, dOut, multiplier, norm, grads.data(), g.S, g.C, g.H, g.d, g.initScale, g.L);
  return result;
}

}  // namespace lc
