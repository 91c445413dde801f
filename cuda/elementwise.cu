#include "cuda_backend.h"
#include "cuda_check.h"
#include "elementwise.h"

namespace lc {
namespace {
__global__ void add_kernel(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = a[i] + b[i];
}
}  // namespace

void add_cuda(const float* a, const float* b, float* out, int64_t n) {
  if (n <= 0) return;
  cuda_require();
  add_kernel<<<grid_for(n), kBlock>>>(a, b, out, n);
  check_launch("add");
}

}  // namespace lc
