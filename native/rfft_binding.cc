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

// rows, the input length, n and the output length: every one >= 1 (the kernels' precondition;
// the TS op checks it for users).
Sizes sizes_of(const Args& a, const char* in_name, const char* out_name) {
  const Sizes s{a.size("rows"), a.size(in_name), a.size("n"), a.size(out_name)};
  if (s.rows < 1 || s.in < 1 || s.n < 1 || s.out < 1)
    throw Error(std::string("rfft/irfft: rows, ") + in_name + ", n and " + out_name + " must be >= 1");
  // Keeps the element counts below (rows * size * 2) far from int64 overflow.
  if (double(s.rows) * double(std::max(s.in, s.out)) * 2 > 9.0e15) throw Error("rfft/irfft: tensor too large");
  return s;
}

}  // namespace

LC_BINDING(rfft) {  // {x, rows, L, n, bins, adjoint} -> {out [rows, bins, 2]}
  Args a(info, "x");
  const Sizes s = sizes_of(a, "L", "bins");
  const float* x = a.input("x", s.rows * s.in);
  Result r(env, a.device());
  float* out = r.add("out", s.rows * s.out * 2);
  rfft(a.device(), x, out, s.rows, s.in, s.n, s.out, a.flag("adjoint"));
  return r.take();
}

LC_BINDING(irfft) {  // {X, rows, m, n, len, adjoint} -> {out [rows, len]}
  Args a(info, "X");
  const Sizes s = sizes_of(a, "m", "len");
  const float* X = a.input("X", s.rows * s.in * 2);
  Result r(env, a.device());
  float* out = r.add("out", s.rows * s.out);
  irfft(a.device(), X, out, s.rows, s.in, s.n, s.out, a.flag("adjoint"));
  return r.take();
}

}  // namespace lc
