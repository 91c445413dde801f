// Bindings of multiresConv (native/multires.h): forward and backward.
#include "binding.h"
#include "multires.h"

namespace lc {
namespace {

struct Sizes {
  int64_t B, H, L, k, J;
};

// B, H, L, k, J: the kernels' preconditions. The depth bound keeps every dilation below L, so
// no lag computation can overflow.
Sizes sizes_of(const Args& a) {
  const Sizes s{a.size("B"), a.size("H"), a.size("L"), a.size("k"), a.size("J")};
  if (s.B < 1 || s.H < 1 || s.L < 1) throw Error("multires: B, H and L must be >= 1");
  if (s.k < 2) throw Error("multires: k must be >= 2");
  if (s.J > multires_max_depth(s.L, s.k)) throw Error("multires: depth too large for L and k");
  return s;
}

}  // namespace

LC_BINDING(multiresForward) {  // {x, h0, h1, w, B, H, L, k, J, saveLevels} -> {y, levels|null}
  Args a(info, "x");
  const Sizes s = sizes_of(a);
  const int64_t n = s.B * s.H * s.L;
  const float* x = a.input("x", n);
  const float* h0 = a.input("h0", s.H * s.k);
  const float* h1 = a.input("h1", s.H * s.k);
  const float* w = a.input("w", s.H * (s.J + 2));
  Result r(env, a.device());
  float* y = r.add("y", n);
  float* levels = r.add_if(a.flag("saveLevels"), "levels", (s.J + 1) * n);
  multires_forward(a.device(), x, h0, h1, w, y, levels, s.B, s.H, s.L, s.k, s.J);
  return r.take();
}

// {dy, levels|null, h0, h1, w, B, H, L, k, J, needDx, needDh0, needDh1, needDw}
//   -> {dx, dh0, dh1, dw}, null where not needed. The kernel gradients need levels.
LC_BINDING(multiresBackward) {
  Args a(info, "dy");
  const Sizes s = sizes_of(a);
  const int64_t n = s.B * s.H * s.L;
  const float* dy = a.input("dy", n);
  const float* h0 = a.input("h0", s.H * s.k);
  const float* h1 = a.input("h1", s.H * s.k);
  const float* w = a.input("w", s.H * (s.J + 2));
  const bool needDh0 = a.flag("needDh0"), needDh1 = a.flag("needDh1"), needDw = a.flag("needDw");
  const float* levels = a.input_if(needDh0 || needDh1 || needDw, "levels", (s.J + 1) * n);
  Result r(env, a.device());
  float* dx = r.add_if(a.flag("needDx"), "dx", n);
  float* dh0 = r.add_if(needDh0, "dh0", s.H * s.k);
  float* dh1 = r.add_if(needDh1, "dh1", s.H * s.k);
  float* dw = r.add_if(needDw, "dw", s.H * (s.J + 2));
  multires_backward(a.device(), dy, levels, h0, h1, w, dx, dh0, dh1, dw, s.B, s.H, s.L, s.k, s.J);
  return r.take();
}

}  // namespace lc
