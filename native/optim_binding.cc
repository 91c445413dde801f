// Bindings of the optimizer kernels (native/optim.h).
#include "binding.h"
#include "optim.h"

namespace lc {

// (param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, step): updates param, m, v in place.
LC_BINDING(adamwStep) {
  Device dev = get_storage(info[0], "param")->device;
  int64_t n = arg_int(info[4], "n");
  float* param = arg_buffer(info[0], "param", dev, n);
  const float* grad = arg_buffer(info[1], "grad", dev, n);
  float* m = arg_buffer(info[2], "m", dev, n);
  float* v = arg_buffer(info[3], "v", dev, n);
  AdamWHyper h{arg_number(info[5], "lr"),  arg_number(info[6], "beta1"),
               arg_number(info[7], "beta2"), arg_number(info[8], "eps"),
               arg_number(info[9], "weightDecay"), arg_int(info[10], "step")};
  if (h.step < 1) throw Error("adamwStep: step must be >= 1");
  adamw_step(dev, grad, param, m, v, n, h);
  return env.Undefined();
}

LC_BINDING(sumOfSquares) {  // (x, n) -> number
  Device dev = get_storage(info[0], "x")->device;
  int64_t n = arg_int(info[1], "n");
  const float* x = arg_buffer(info[0], "x", dev, n);
  return Napi::Number::New(env, sum_of_squares(dev, x, n));
}

}  // namespace lc
