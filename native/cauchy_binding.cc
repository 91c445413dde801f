// Bindings of cauchy (native/cauchy.h): forward and backward.
#include "binding.h"
#include "cauchy.h"

namespace lc {

LC_BINDING(cauchyForward) {  // {v, w, z, R, Rw, N, L, conj} -> {out [R,L,2]}
  Args a(info, "v");
  const ModalSizes s = modal_sizes(a, "cauchy", "Rw");
  const float* v = a.input("v", s.R * s.N * 2);
  const float* w = a.input("w", s.Rp * s.N * 2);
  const float* z = a.input("z", s.L * 2);
  Result r(env, a.device());
  float* out = r.add("out", s.R * s.L * 2);
  cauchy_forward(a.device(), v, w, z, out, s.R, s.Rp, s.N, s.L, a.flag("conj"));
  return r.take();
}

// {grad, v, w, z, R, Rw, N, L, conj, needDv, needDw} -> {dv|null, dw|null}
LC_BINDING(cauchyBackward) {
  Args a(info, "grad");
  const ModalSizes s = modal_sizes(a, "cauchy", "Rw");
  const float* grad = a.input("grad", s.R * s.L * 2);
  const float* v = a.input("v", s.R * s.N * 2);
  const float* w = a.input("w", s.Rp * s.N * 2);
  const float* z = a.input("z", s.L * 2);
  Result r(env, a.device());
  float* dv = r.add_if(a.flag("needDv"), "dv", s.R * s.N * 2);
  float* dw = r.add_if(a.flag("needDw"), "dw", s.Rp * s.N * 2);
  cauchy_backward(a.device(), grad, v, w, z, dv, dw, s.R, s.Rp, s.N, s.L, a.flag("conj"));
  return r.take();
}

}  // namespace lc
