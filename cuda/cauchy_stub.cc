// CPU-only builds: the CUDA half of native/cauchy.h.
#include "cauchy.h"
#include "stub.h"

namespace lc {

void cauchy_forward_cuda(const float*, const float*, const float*, int64_t, int64_t, int64_t,
                         int64_t, bool, float*) {
  unavailable();
}
void cauchy_backward_cuda(const float*, const float*, const float*, const float*, int64_t,
                          int64_t, int64_t, int64_t, bool, float*, float*) {
  unavailable();
}

}  // namespace lc
