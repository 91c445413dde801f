// Bindings of native/max_min.h.
#include "binding.h"
#include "max_min.h"

namespace lc {

// {x, outer, n, inner, isMax, wantValues} -> {values [outer, inner] | null, indices [outer, inner]}
LC_BINDING(maxMinForward) {
  Args a(info, "x");
  const AxisSlices s = axis_slices(a, "max/min");
  const float* x = a.input("x", s.total());
  Result r(env, a.device());
  float* values = r.add_if(a.flag("wantValues"), "values", s.outer * s.inner);
  float* indices = r.add("indices", s.outer * s.inner);
  max_min_forward(a.device(), x, values, indices, s.outer, s.n, s.inner, a.flag("isMax"));
  return r.take();
}

LC_BINDING(maxMinBackward) {  // {indices, dy, outer, n, inner} -> {dx [outer, n, inner]}
  Args a(info, "indices");
  const AxisSlices s = axis_slices(a, "max/min");
  const float* indices = a.input("indices", s.outer * s.inner);
  const float* dy = a.input("dy", s.outer * s.inner);
  Result r(env, a.device());
  float* dx = r.add("dx", s.total());
  max_min_backward(a.device(), indices, dy, dx, s.outer, s.n, s.inner);
  return r.take();
}

}  // namespace lc
