// Elementwise kernels, same signature on both backends. out may alias a or b.
#pragma once
#include <cstdint>

namespace lc {

// out[i] = a[i] + b[i]
void add_cpu(const float* a, const float* b, float* out, int64_t n);
void add_cuda(const float* a, const float* b, float* out, int64_t n);

}  // namespace lc
