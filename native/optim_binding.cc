// Bindings of the optimizer kernels (native/optim.h).
#include "binding.h"
#include "optim.h"

namespace lc {

// {grad, param, m, v, n, lr, beta1, beta2, eps, weightDecay, step}: updates param, m, v in place.
LC_BINDING(adamwStep) {
  Args a(info, "param");
  const int64_t n = a.size("n");
  const float* grad = a.input("grad", n);
  float* param = a.output("param", n);
  float* m = a.output("m", n);
  float* v = a.output("v", n);
  const AdamWHyper h{a.number("lr"), a.number("beta1"), a.number("beta2"), a.number("eps"),
                     a.number("weightDecay"), a.size("step")};
  if (h.step < 1) throw Error("adamwStep: step must be >= 1");
  adamw_step(a.device(), grad, param, m, v, n, h);
  return env.Undefined();
}

LC_BINDING(sumOfSquares) {  // {x, n} -> number
  Args a(info, "x");
  const int64_t n = a.size("n");
  const float* x = a.input("x", n);
  return Napi::Number::New(env, sum_of_squares(a.device(), x, n));
}

}  // namespace lc
