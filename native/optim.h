// Optimizer kernels (lc.optim): the fused AdamW update and the sum of squares behind gradient
// clipping. CPU half: native/optim_cpu.cc; CUDA half: cuda/optim.cu (native/dispatch.h).
// Clipping scales gradients in place with the elementwise affine kernel (unary,
// native/elementwise.h).
#pragma once
#include <cmath>
#include <cstdint>

#include "dispatch.h"

#ifdef __CUDACC__
#define LC_OPTIM_HD __host__ __device__
#else
#define LC_OPTIM_HD
#endif

namespace lc {

struct AdamWHyper {
  double lr, beta1, beta2, eps, weight_decay;
  int64_t step;  // 1 for the first update (bias correction)
};

// The per-call constants of PyTorch's AdamW update, computed once on the host in double.
struct AdamWCoefficients {
  float beta1, beta2, eps;
  float one_minus_beta1, one_minus_beta2;  // from the doubles: 1 - float(0.999) is off by 1e-5
  float decay;          // 1 - lr * weight_decay (decoupled weight decay)
  float step_size;      // lr / (1 - beta1^step)
  float inv_sqrt_bc2;   // 1 / sqrt(1 - beta2^step)
};

inline AdamWCoefficients adamw_coefficients(const AdamWHyper& h) {
  double bc1 = 1 - std::pow(h.beta1, double(h.step));
  double bc2 = 1 - std::pow(h.beta2, double(h.step));
  return {float(h.beta1), float(h.beta2), float(h.eps), float(1 - h.beta1), float(1 - h.beta2),
          float(1 - h.lr * h.weight_decay),
          float(h.lr / bc1), float(1 / std::sqrt(bc2))};
}

// One element of the update, in PyTorch's order: decay the parameter, update the moments,
// then p -= step_size * m / (sqrt(v) / sqrt(bc2) + eps). Shared so both backends agree.
LC_OPTIM_HD inline void adamw_update(float& p, float g, float& m, float& v, const AdamWCoefficients& c) {
  m = c.beta1 * m + c.one_minus_beta1 * g;
  v = c.beta2 * v + c.one_minus_beta2 * g * g;
  p = p * c.decay - c.step_size * m / (sqrtf(v) * c.inv_sqrt_bc2 + c.eps);
}

// Updates param, m and v (n floats each) in place from grad.
LC_KERNEL(void, adamw_step, (const float* grad, float* param, float* m, float* v, int64_t n,
                             const AdamWHyper& h))

// Sum of x[i]^2 over n floats, accumulated in double in a fixed order (deterministic for a
// given n, whatever the thread count). 0 for n = 0.
LC_KERNEL(double, sum_of_squares, (const float* x, int64_t n))

}  // namespace lc
