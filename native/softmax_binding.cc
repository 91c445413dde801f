// Bindings of native/softmax.h.
#include "binding.h"
#include "softmax.h"

namespace lc {

LC_BINDING(softmaxForward) {  // {x, outer, n, inner, log} -> {y [outer, n, inner]}
  Args a(info, "x");
  const AxisSlices s = axis_slices(a, "softmax");
  const float* x = a.input("x", s.total());
  Result r(env, a.device());
  float* y = r.add("y", s.total());
  softmax_forward(a.device(), x, y, s.outer, s.n, s.inner, a.flag("log"));
  return r.take();
}

LC_BINDING(softmaxBackward) {  // {y, dy, outer, n, inner, log} -> {dx [outer, n, inner]}
  Args a(info, "y");
  const AxisSlices s = axis_slices(a, "softmax");
  const float* y = a.input("y", s.total());
  const float* dy = a.input("dy", s.total());
  Result r(env, a.device());
  float* dx = r.add("dx", s.total());
  softmax_backward(a.device(), y, dy, dx, s.outer, s.n, s.inner, a.flag("log"));
  return r.take();
}

}  // namespace lc
