// Bindings of native/layernorm.h.
#include "binding.h"
#include "layernorm.h"

namespace lc {

// {x, weight|null, bias|null, outer, n, inner, eps} -> {y, mean, rstd}
LC_BINDING(layerNormForward) {
  Args a(info, "x");
  const int64_t outer = a.size("outer"), n = a.size("n"), inner = a.size("inner");
  const float* x = a.input("x", outer * n * inner);
  const float* weight = a.optional("weight", n);
  const float* bias = a.optional("bias", n);
  Result r(env, a.device());
  float* y = r.add("y", outer * n * inner);
  float* mean = r.add("mean", outer * inner);
  float* rstd = r.add("rstd", outer * inner);
  layernorm_forward(a.device(), x, weight, bias, y, mean, rstd, outer, n, inner, float(a.number("eps")));
  return r.take();
}

// {x, weight|null, mean, rstd, dy, outer, n, inner, needDx, needDweight, needDbias}
//   -> {dx, dweight, dbias}, null where not needed
LC_BINDING(layerNormBackward) {
  Args a(info, "x");
  const int64_t outer = a.size("outer"), n = a.size("n"), inner = a.size("inner");
  const float* x = a.input("x", outer * n * inner);
  const float* weight = a.optional("weight", n);
  const float* mean = a.input("mean", outer * inner);
  const float* rstd = a.input("rstd", outer * inner);
  const float* dy = a.input("dy", outer * n * inner);
  Result r(env, a.device());
  float* dx = r.add_if(a.flag("needDx"), "dx", outer * n * inner);
  float* dweight = r.add_if(a.flag("needDweight"), "dweight", n);
  float* dbias = r.add_if(a.flag("needDbias"), "dbias", n);
  layernorm_backward(a.device(), x, weight, mean, rstd, dy, dx, dweight, dbias, outer, n, inner);
  return r.take();
}

}  // namespace lc
