// CPU-only builds: the CUDA half of native/optim.h.
#include "optim.h"
#include "stub.h"

namespace lc {

void adamw_step_cuda(float*, const float*, float*, float*, int64_t, const AdamWHyper&) { unavailable(); }
double sum_of_squares_cuda(const float*, int64_t) { unavailable(); }

}  // namespace lc
