// CPU-only builds: the CUDA half of native/multires.h.
#include "multires.h"
#include "stub.h"

namespace lc {

void multires_forward_cuda(const float*, const float*, const float*, const float*, int64_t,
                           int64_t, int64_t, int64_t, int64_t, float*, float*) {
  unavailable();
}
void multires_backward_cuda(const float*, const float*, const float*, const float*,
                            const float*, int64_t, int64_t, int64_t, int64_t, int64_t, float*,
                            float*, float*, float*) {
  unavailable();
}

}  // namespace lc
