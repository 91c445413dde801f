// Bindings of the SGConv kernel (native/sgconv.h): forward and backward.
#include <string>
#include <vector>

#include "binding.h"
#include "sgconv.h"

namespace lc {
namespace {

struct Sizes {
  int64_t S, C, H, d, initScale, L;
};

// S (the length of the call's array of sub-kernels or flags), C, H, d, initScale, L: the
// kernels' preconditions.
Sizes sizes_of(const Args& a, const char* list_name) {
  const Napi::Value list = a.value(list_name);
  if (!list.IsArray()) throw Error(std::string(list_name) + ": expected an array");
  const Sizes s{int64_t(list.As<Napi::Array>().Length()), a.size("C"), a.size("H"), a.size("d"),
                a.size("initScale"), a.size("L")};
  if (s.S < 1 || s.S > kSgconvMaxSubKernels)
    throw Error("sgconv: expected 1 to " + std::to_string(kSgconvMaxSubKernels) + " sub-kernels");
  if (s.C < 1 || s.H < 1 || s.d < 1 || s.L < 1) throw Error("sgconv: C, H, d and L must be >= 1");
  // T = d * 2^(S-1+initScale) <= 2^40 keeps the index arithmetic far from overflow.
  const int64_t exponent = s.S - 1 + s.initScale;
  if (exponent > 40 || s.d > (int64_t(1) << (40 - exponent)))
    throw Error("sgconv: the concatenated length d*2^(S-1+initScale) exceeds 2^40");
  return s;
}

}  // namespace

// {subKernels[], multiplier, norm|null, C, H, d, initScale, L} -> {out, norm}
// With norm null the norm is computed into a new storage; otherwise the given one is read.
LC_BINDING(sgconvKernelForward) {
  Args a(info, "multiplier");
  const Sizes s = sizes_of(a, "subKernels");
  const Napi::Array list = a.value("subKernels").As<Napi::Array>();
  std::vector<const float*> subKernels(size_t(s.S));
  for (uint32_t i = 0; i < uint32_t(s.S); ++i) {
    const std::string name = "subKernels[" + std::to_string(i) + "]";
    subKernels[i] = arg_buffer(list.Get(i), name.c_str(), a.device(), s.C * s.H * s.d);
  }
  const float* multiplier = a.input("multiplier", s.H);
  const bool computeNorm = !a.has("norm");
  Result r(env, a.device());
  float* out = r.add("out", s.C * s.H * s.L);
  float* norm = computeNorm ? r.add("norm", s.C * s.H) : a.output("norm", s.C * s.H);  // given: only read
  if (!computeNorm) r.set("norm", a.value("norm"));
  sgconv_kernel_forward(a.device(), subKernels.data(), multiplier, out, norm, s.S, s.C, s.H, s.d, s.initScale, s.L,
                        computeNorm);
  return r.take();
}

// {dOut, multiplier, norm, needs[] (one boolean per sub-kernel), C, H, d, initScale, L}
//   -> {grads: (storage|null)[]}, the sub-kernels' gradients
LC_BINDING(sgconvKernelBackward) {
  Args a(info, "multiplier");
  const Sizes s = sizes_of(a, "needs");
  const Napi::Array needs = a.value("needs").As<Napi::Array>();
  const float* dOut = a.input("dOut", s.C * s.H * s.L);
  const float* multiplier = a.input("multiplier", s.H);
  const float* norm = a.input("norm", s.C * s.H);
  Result r(env, a.device());
  Napi::Array grads = Napi::Array::New(env, size_t(s.S));
  std::vector<float*> dSubKernels(size_t(s.S), nullptr);
  for (uint32_t i = 0; i < uint32_t(s.S); ++i) {
    if (!needs.Get(i).ToBoolean()) {
      grads.Set(i, env.Null());
      continue;
    }
    const Napi::Object grad = r.make(s.C * s.H * s.d);
    dSubKernels[i] = data_of(grad);
    grads.Set(i, grad);
  }
  r.set("grads", grads);
  sgconv_kernel_backward(a.device(), dOut, multiplier, norm, dSubKernels.data(), s.S, s.C, s.H, s.d, s.initScale,
                         s.L);
  return r.take();
}

}  // namespace lc
