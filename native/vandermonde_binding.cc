// Bindings of vandermonde (native/vandermonde.h): forward and backward.
#include "binding.h"
#include "vandermonde.h"

namespace lc {

LC_BINDING(vandermondeForward) {  // {v, x, R, Rx, N, L} -> {out [R,L]}
  Args a(info, "v");
  const ModalSizes s = modal_sizes(a, "vandermonde", "Rx");
  const float* v = a.input("v", s.R * s.N * 2);
  const float* x = a.input("x", s.Rp * s.N * 2);
  Result r(env, a.device());
  float* out = r.add("out", s.R * s.L);
  vandermonde_forward(a.device(), v, x, out, s.R, s.Rp, s.N, s.L);
  return r.take();
}

// {grad, v, x, R, Rx, N, L, needDv, needDx} -> {dv|null, dx|null}
LC_BINDING(vandermondeBackward) {
  Args a(info, "grad");
  const ModalSizes s = modal_sizes(a, "vandermonde", "Rx");
  const float* grad = a.input("grad", s.R * s.L);
  const float* v = a.input("v", s.R * s.N * 2);
  const float* x = a.input("x", s.Rp * s.N * 2);
  Result r(env, a.device());
  float* dv = r.add_if(a.flag("needDv"), "dv", s.R * s.N * 2);
  float* dx = r.add_if(a.flag("needDx"), "dx", s.Rp * s.N * 2);
  vandermonde_backward(a.device(), grad, v, x, dv, dx, s.R, s.Rp, s.N, s.L);
  return r.take();
}

}  // namespace lc
