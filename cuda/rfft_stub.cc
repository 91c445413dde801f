// CPU-only builds: the CUDA half of native/rfft.h.
#include "rfft.h"
#include "stub.h"

namespace lc {

void rfft_cuda(const float*, int64_t, int64_t, int64_t, int64_t, bool, float*) { unavailable(); }
void irfft_cuda(const float*, int64_t, int64_t, int64_t, int64_t, bool, float*) { unavailable(); }

}  // namespace lc
