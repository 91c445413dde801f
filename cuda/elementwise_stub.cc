// CPU-only builds: the CUDA half of native/elementwise.h.
#include "elementwise.h"
#include "stub.h"

namespace lc {

void binary_cuda(BinaryOp, const float*, const float*, float*, const Loop&, float) { unavailable(); }
void unary_cuda(UnaryOp, const float*, float*, int64_t, float, float) { unavailable(); }
void sum_to_cuda(const float*, float*, const Loop&, const Loop&, float) { unavailable(); }
void strided_copy_cuda(const float*, float*, const Loop&, int64_t, int64_t) { unavailable(); }

}  // namespace lc
