// Standalone test of the elementwise math of native/elementwise_ops.h that replaces libm calls
// on the CPU (erf_rational, exp_nonpositive) and of the GELU built on them, against float64 libm over
// floats spread evenly over every bit pattern (every float with --all). Target math_test of
// CMakeLists.txt, built and run by scripts/test-native.sh (npm test).
// Exit status 0 when every check passes; prints the largest errors found.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "check.h"
#include "elementwise_ops.h"

namespace {

float from_bits(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

// The spacing of floats at the exact value v (the subnormal spacing below FLT_MIN).
double ulp_at(double v) {
  int e;
  std::frexp(std::fabs(v), &e);  // |v| = m 2^e, m in [0.5, 1)
  return std::ldexp(1.0, std::max(e - 24, -149));
}

// The largest error of f against ref over the finite floats visited, in ulps of the exact value
// (where ref is finite), with the input where it occurs.
struct Worst {
  double ulps = 0;
  float at = 0;
  void add(float x, float got, double want) {
    const double e = std::fabs(double(got) - want) / ulp_at(want);
    if (e > ulps) ulps = e, at = x;
  }
};

}  // namespace

int main(int argc, char** argv) {
  // Every 251st bit pattern (a prime stride visits every low-bit residue) or every one.
  const uint64_t stride = argc > 1 && std::strcmp(argv[1], "--all") == 0 ? 1 : 251;
  Worst erf, exp, gelu_pos, gelu_grad;
  // x < 0: x Phi(x) with Phi = (1 + erf) / 2 carries erf's absolute error: the error in units
  // of (1 ulp + 1e-8 |x|).
  double gelu_neg = 0;
  float gelu_neg_at = 0;
  for (uint64_t bits = 0; bits < (uint64_t(1) << 32); bits += stride) {
    const float x = from_bits(uint32_t(bits));
    if (!std::isfinite(x)) continue;
    erf.add(x, float(lc::erf_rational(double(x))), std::erf(double(x)));
    if (x <= 0) exp.add(x, lc::exp_nonpositive(x), std::exp(double(x)));
    if (std::fabs(x) < 1e6f) {
      const double phi = 0.5 * std::erfc(-double(x) / std::sqrt(2.0));
      const double want = double(x) * phi;
      if (x >= 0) {
        gelu_pos.add(x, lc::gelu(x), want);
      } else {
        const double e = std::fabs(double(lc::gelu(x)) - want) / (ulp_at(want) - 1e-8 * double(x));
        if (e > gelu_neg) gelu_neg = e, gelu_neg_at = x;
      }
      const double grad = phi + double(x) * std::exp(-0.5 * double(x) * double(x)) / std::sqrt(2 * M_PI);
      // The derivative is O(1): its error is absolute (in ulps of 1).
      const double e = std::fabs(double(lc::gelu_derivative(x)) - grad) / ulp_at(1.0);
      if (e > gelu_grad.ulps) gelu_grad.ulps = e, gelu_grad.at = x;
    }
  }
  std::printf("erf_rational: max %.2f ulp (x = %.9g)\n", erf.ulps, erf.at);
  std::printf("exp_nonpositive: max %.2f ulp (x = %.9g)\n", exp.ulps, exp.at);
  std::printf("gelu, x >= 0: max %.2f ulp (x = %.9g)\n", gelu_pos.ulps, gelu_pos.at);
  std::printf("gelu, x < 0: max %.2f (ulp + 1e-8 |x|) (x = %.9g)\n", gelu_neg, gelu_neg_at);
  std::printf("gelu_derivative: max %.2f ulp of 1 (x = %.9g)\n", gelu_grad.ulps, gelu_grad.at);
  check(erf.ulps <= 0.65, "erf_rational within 0.65 ulp");
  check(exp.ulps <= 1.5, "exp_nonpositive within 1.5 ulp");
  check(gelu_pos.ulps <= 2, "gelu within 2 ulp for x >= 0");
  check(gelu_neg <= 2, "gelu within 2 ulp + 2e-8 |x| for x < 0");
  check(gelu_grad.ulps <= 2, "gelu_derivative within 2 ulp of 1");

  // Edges: NaN stays NaN, infinities saturate, exp underflows to 0.
  const float inf = INFINITY, nan = NAN;
  check(std::isnan(lc::erf_rational(double(nan))) && std::isnan(lc::exp_nonpositive(nan)) && std::isnan(lc::gelu(nan)),
        "NaN passes through");
  check(lc::erf_rational(inf) == 1 && lc::erf_rational(-inf) == -1 && lc::erf_rational(6.0) == 1,
        "erf(±inf) = ±1, erf(6) = 1");
  check(lc::exp_nonpositive(-inf) == 0 && lc::exp_nonpositive(-200) == 0 && lc::exp_nonpositive(0) == 1,
        "exp(-inf) = exp(-200) = 0, exp(0) = 1");
  check(lc::gelu(inf) == inf && lc::gelu(-1e30f) == 0 && lc::gelu_derivative(-1e30f) == 0,
        "gelu(inf) = inf, gelu(-1e30) = gelu'(-1e30) = 0");
  if (failures) return 1;
  std::printf("math_test: all checks passed\n");
  return 0;
}
