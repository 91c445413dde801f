// CPU-only builds: the CUDA half of native/vandermonde.h.
#include "stub.h"
#include "vandermonde.h"

namespace lc {

void vandermonde_forward_cuda(const float*, const float*, int64_t, int64_t, int64_t, int64_t,
                              float*) {
  unavailable();
}
void vandermonde_backward_cuda(const float*, const float*, const float*, int64_t, int64_t,
                               int64_t, int64_t, float*, float*) {
  unavailable();
}

}  // namespace lc
