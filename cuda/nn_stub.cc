// CPU-only builds: the CUDA halves of native/nn.h, native/layernorm.h and native/loss.h.
#include "layernorm.h"
#include "loss.h"
#include "nn.h"
#include "stub.h"

namespace lc {

void glu_forward_cuda(const float*, float*, int64_t, int64_t, int64_t) { unavailable(); }
void glu_backward_cuda(const float*, const float*, float*, int64_t, int64_t, int64_t) { unavailable(); }
void dropout_cuda(const float*, float*, int64_t, uint64_t, uint32_t, float) { unavailable(); }
void embedding_forward_cuda(const float*, const float*, float*, int64_t, int64_t, int64_t) { unavailable(); }
void embedding_backward_cuda(const float*, const float*, float*, int64_t, int64_t, int64_t) { unavailable(); }
void masked_mean_pool_forward_cuda(const float*, const float*, float*, int64_t, int64_t, int64_t) { unavailable(); }
void masked_mean_pool_backward_cuda(const float*, const float*, float*, int64_t, int64_t, int64_t) { unavailable(); }
void layernorm_forward_cuda(const float*, const float*, const float*, float*, float*, float*, int64_t, int64_t,
                            int64_t, float) {
  unavailable();
}
void layernorm_backward_cuda(const float*, const float*, const float*, const float*, const float*, float*, float*,
                             float*, int64_t, int64_t, int64_t) {
  unavailable();
}
void cross_entropy_forward_cuda(const float*, const float*, float*, float*, int64_t, int64_t) { unavailable(); }
void cross_entropy_backward_cuda(const float*, const float*, const float*, float*, int64_t, int64_t) { unavailable(); }
void mse_forward_cuda(const float*, const float*, float*, int64_t) { unavailable(); }
void mse_backward_cuda(const float*, const float*, const float*, float*, float*, int64_t) { unavailable(); }

}  // namespace lc
