// Bindings of fftConv (native/fftconv.h): kernel spectrum, forward, backward.
#include "binding.h"
#include "fftconv.h"

namespace lc {
namespace {

struct Dims {
  int64_t B, C, H, L;
};

Dims dims_at(const Napi::CallbackInfo& info, int first, bool withB) {
  Dims d{withB ? arg_int(info[first], "B") : 1, arg_int(info[first + withB], "C"),
         arg_int(info[first + withB + 1], "H"), arg_int(info[first + withB + 2], "L")};
  if (d.B < 1 || d.C < 1 || d.H < 1 || d.L < 1) throw Error("fftconv: B, C, H and L must be >= 1");
  return d;
}

int64_t kernel_spectrum_floats(Device dev, const Dims& d) {
  return fftconv_kernel_spectrum_floats(dev, d.C, d.H, d.L);
}

int64_t input_spectrum_floats(Device dev, const Dims& d) {
  return fftconv_input_spectrum_floats(dev, d.B, d.H, d.L);
}

}  // namespace

LC_BINDING(fftconvSize) {  // (L) -> n
  return Napi::Number::New(env, double(fftconv_size(arg_int(info[0], "L"))));
}

LC_BINDING(fftconvKernelSpectrum) {  // (k, kRev|null, D|null, C, H, L) -> Kf
  Device dev = get_storage(info[0], "k")->device;
  Dims d = dims_at(info, 3, false);
  const float* k = arg_buffer(info[0], "k", dev, d.C * d.H * d.L);
  const float* kRev = arg_buffer(info[1], "kRev", dev, d.C * d.H * d.L, true);
  const float* D = arg_buffer(info[2], "D", dev, d.C * d.H, true);
  Napi::Object Kf = new_storage(env, dev, kernel_spectrum_floats(dev, d));
  fftconv_kernel_spectrum(dev, k, kRev, D, data_of(Kf), d.C, d.H, d.L);
  return Kf;
}

LC_BINDING(fftconvForward) {  // (u, Kf, B, C, H, L, saveUf) -> [y, Uf|null]
  Device dev = get_storage(info[0], "u")->device;
  Dims d = dims_at(info, 2, true);
  const float* u = arg_buffer(info[0], "u", dev, d.B * d.H * d.L);
  const float* Kf = arg_buffer(info[1], "Kf", dev, kernel_spectrum_floats(dev, d));
  Napi::Object y = new_storage(env, dev, d.B * d.C * d.H * d.L);
  Napi::Value Uf = env.Null();
  if (info[6].ToBoolean()) Uf = new_storage(env, dev, input_spectrum_floats(dev, d));
  fftconv_forward(dev, u, Kf, data_of(y), Uf.IsNull() ? nullptr : data_of(Uf.As<Napi::Object>()), d.B, d.C, d.H,
                  d.L);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, y);
  out.Set(1u, Uf);
  return out;
}

// (dy, Kf, Uf|null, B, C, H, L, needDu, needDk, needDkRev, needDD) -> [du, dk, dkRev, dD]
LC_BINDING(fftconvBackward) {
  Device dev = get_storage(info[0], "dy")->device;
  Dims d = dims_at(info, 3, true);
  const float* dy = arg_buffer(info[0], "dy", dev, d.B * d.C * d.H * d.L);
  const float* Kf = arg_buffer(info[1], "Kf", dev, kernel_spectrum_floats(dev, d));
  const bool need[4] = {info[7].ToBoolean(), info[8].ToBoolean(), info[9].ToBoolean(),
                        info[10].ToBoolean()};
  const float* Uf = (need[1] || need[2] || need[3])
                        ? arg_buffer(info[2], "Uf", dev, input_spectrum_floats(dev, d))
                        : nullptr;
  const int64_t sizes[4] = {d.B * d.H * d.L, d.C * d.H * d.L, d.C * d.H * d.L, d.C * d.H};
  float* ptr[4];
  Napi::Array out = optional_grads(env, dev, need, sizes, ptr);
  fftconv_backward(dev, dy, Kf, Uf, ptr[0], ptr[1], ptr[2], ptr[3], d.B, d.C, d.H, d.L);
  return out;
}

}  // namespace lc
