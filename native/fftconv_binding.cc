// Bindings of fftConv (native/fftconv.h): kernel spectrum, forward, backward.
#include "binding.h"
#include "fftconv.h"

namespace lc {
namespace {

struct Sizes {
  int64_t B, C, H, L;
};

// B (1 when the call has none), C, H, L: the kernels' preconditions.
Sizes sizes_of(const Args& a, bool withB) {
  const Sizes s{withB ? a.size("B") : 1, a.size("C"), a.size("H"), a.size("L")};
  if (s.B < 1 || s.C < 1 || s.H < 1 || s.L < 1) throw Error("fftconv: B, C, H and L must be >= 1");
  return s;
}

}  // namespace

LC_BINDING(fftconvSize) {  // (L) -> n
  return Napi::Number::New(env, double(fftconv_size(arg_int(info[0], "L"))));
}

LC_BINDING(fftconvKernelSpectrum) {  // {k, kRev|null, D|null, C, H, L} -> {Kf}
  Args a(info, "k");
  const Sizes s = sizes_of(a, false);
  const float* k = a.input("k", s.C * s.H * s.L);
  const float* kRev = a.optional("kRev", s.C * s.H * s.L);
  const float* D = a.optional("D", s.C * s.H);
  Result r(env, a.device());
  float* Kf = r.add("Kf", fftconv_kernel_spectrum_floats(a.device(), s.C, s.H, s.L));
  fftconv_kernel_spectrum(a.device(), k, kRev, D, Kf, s.C, s.H, s.L);
  return r.take();
}

LC_BINDING(fftconvForward) {  // {u, Kf, B, C, H, L, saveUf} -> {y, Uf|null}
  Args a(info, "u");
  const Sizes s = sizes_of(a, true);
  const float* u = a.input("u", s.B * s.H * s.L);
  const float* Kf = a.input("Kf", fftconv_kernel_spectrum_floats(a.device(), s.C, s.H, s.L));
  Result r(env, a.device());
  float* y = r.add("y", s.B * s.C * s.H * s.L);
  float* Uf = r.add_if(a.flag("saveUf"), "Uf", fftconv_input_spectrum_floats(a.device(), s.B, s.H, s.L));
  fftconv_forward(a.device(), u, Kf, y, Uf, s.B, s.C, s.H, s.L);
  return r.take();
}

// {dy, Kf, Uf|null, B, C, H, L, needDu, needDk, needDkRev, needDD} -> {du, dk, dkRev, dD}, null
// where not needed. The kernel gradients need Uf (the forward pass's saveUf).
LC_BINDING(fftconvBackward) {
  Args a(info, "dy");
  const Sizes s = sizes_of(a, true);
  const float* dy = a.input("dy", s.B * s.C * s.H * s.L);
  const float* Kf = a.input("Kf", fftconv_kernel_spectrum_floats(a.device(), s.C, s.H, s.L));
  const bool needDk = a.flag("needDk"), needDkRev = a.flag("needDkRev"), needDD = a.flag("needDD");
  const float* Uf =
      a.input_if(needDk || needDkRev || needDD, "Uf", fftconv_input_spectrum_floats(a.device(), s.B, s.H, s.L));
  Result r(env, a.device());
  float* du = r.add_if(a.flag("needDu"), "du", s.B * s.H * s.L);
  float* dk = r.add_if(needDk, "dk", s.C * s.H * s.L);
  float* dkRev = r.add_if(needDkRev, "dkRev", s.C * s.H * s.L);
  float* dD = r.add_if(needDD, "dD", s.C * s.H);
  fftconv_backward(a.device(), dy, Kf, Uf, du, dk, dkRev, dD, s.B, s.C, s.H, s.L);
  return r.take();
}

}  // namespace lc
