// CPU-only builds: the CUDA half of native/sgconv.h.
#include "sgconv.h"
#include "stub.h"

namespace lc {

void sgconv_kernel_forward_cuda(const float* const*, int64_t, int64_t, int64_t, int64_t, int64_t,
                                const float*, int64_t, bool, float*, float*) {
  unavailable();
}
void sgconv_kernel_backward_cuda(const float*, const float*, const float*, int64_t, int64_t,
                                 int64_t, int64_t, int64_t, int64_t, float* const*) {
  unavailable();
}

}  // namespace lc
