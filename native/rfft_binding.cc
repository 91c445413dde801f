// Bindings of the real FFTs (native/rfft.h).
#include <algorithm>
#include <string>

#include "binding.h"
#include "rfft.h"

namespace lc {
namespace {

struct Sizes {
  int64_t rows, in, n, out;
};

// (rows, in, n, out) at info[1..4]; every one >= 1 (the TS op checks this for users).
Sizes sizes_of(const Napi::CallbackInfo& info, const char* in_name, const char* out_name) {
  Sizes s{arg_int(info[1], "rows"), arg_int(info[2], in_name), arg_int(info[3], "n"),
          arg_int(info[4], out_name)};
  if (s.rows < 1 || s.in < 1 || s.n < 1 || s.out < 1)
    throw Error(std::string("rfft/irfft: rows, ") + in_name + ", n and " + out_name +
                " must be >= 1");
  // Keeps the element counts below (rows * size * 2) far from int64 overflow.
  if (double(s.rows) * double(std::max(s.in, s.out)) * 2 > 9.0e15)
    throw Error("rfft/irfft: tensor too large");
  return s;
}

}  // namespace

LC_BINDING(rfft) {  // (x, rows, L, n, bins, adjoint) -> [rows, bins, 2]
  Device dev = get_storage(info[0], "x")->device;
  const Sizes s = sizes_of(info, "L", "bins");
  const float* x = arg_buffer(info[0], "x", dev, s.rows * s.in);
  Napi::Object out = new_storage(env, dev, s.rows * s.out * 2);
  rfft(dev, x, data_of(out), s.rows, s.in, s.n, s.out, info[5].ToBoolean().Value());
  return out;
}

LC_BINDING(irfft) {  // (X, rows, m, n, len, adjoint) -> [rows, len]
  Device dev = get_storage(info[0], "X")->device;
  const Sizes s = sizes_of(info, "m", "len");
  const float* X = arg_buffer(info[0], "X", dev, s.rows * s.in * 2);
  Napi::Object out = new_storage(env, dev, s.rows * s.out);
  irfft(dev, X, data_of(out), s.rows, s.in, s.n, s.out, info[5].ToBoolean().Value());
  return out;
}

}  // namespace lc
