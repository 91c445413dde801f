// CPU-only builds: the CUDA half of native/gemm.h.
#include "gemm.h"
#include "stub.h"

namespace lc {

void gemm_cuda(const GemmShape&, const float*, const float*, const float*, float*) {
  unavailable();
}

}  // namespace lc
