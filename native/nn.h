// Kernels of the neural-network ops glu, dropout, embedding and maskedMeanPool. CPU half:
// native/nn_cpu.cc; CUDA half: cuda/nn.cu (native/dispatch.h). Axis ops see their input
// as [outer, axis, inner] (row-major), so any axis works without a transpose.
#pragma once
#include <cstdint>

#include "dispatch.h"

namespace lc {

// GLU over the middle dim of x [outer, 2 * half, inner]: out [outer, half, inner] = a * sigmoid(b)
// with a = x[:, :half], b = x[:, half:]. Backward writes dx [outer, 2 * half, inner] from dy.
LC_KERNEL(void, glu_forward, (const float* x, float* out, int64_t outer, int64_t half,
                              int64_t inner))
LC_KERNEL(void, glu_backward, (const float* x, const float* dy, float* dx, int64_t outer,
                               int64_t half, int64_t inner))

// out[i] = keep(first + i) ? scale * x[i] : 0 over n floats, where keep(j) is a counter-based
// hash of (key, j) (nn_math.h): the same mask on both backends, and the backward pass is the
// same call on the output's gradient. `first` is x[0]'s index in the whole batch that x is a
// part of (a rank's share, a micro-batch), so each element gets its mask in the whole batch.
// key = dropout_key(seed); an element is dropped with probability threshold / 2^32.
LC_KERNEL(void, dropout, (const float* x, float* out, int64_t n, int64_t first, uint64_t key,
                          uint32_t threshold, float scale))

// out [n, D] = weight [V, D] rows picked by indices [n] (integer values stored as floats).
// Backward: dweight [V, D] = sum of dy rows per index, in index order (deterministic).
// An index outside [0, V) (the TS op rejects them first) reads zeros and adds nothing.
LC_KERNEL(void, embedding_forward, (const float* indices, const float* weight, float* out,
                                    int64_t n, int64_t V, int64_t D))
LC_KERNEL(void, embedding_backward, (const float* indices, const float* dy, float* dweight,
                                     int64_t n, int64_t V, int64_t D))

// out [B, H] = sum_l x[b, h, l] * mask[b, l] / sum_l mask[b, l] for x [B, H, L]; mask [B, L] or
// null (all ones). A row whose mask sums to 0 gives 0. Backward: dx [B, H, L] from dy [B, H].
LC_KERNEL(void, masked_mean_pool_forward, (const float* x, const float* mask, float* out, int64_t B,
                                           int64_t H, int64_t L))
LC_KERNEL(void, masked_mean_pool_backward, (const float* dy, const float* mask, float* dx,
                                            int64_t B, int64_t H, int64_t L))

}  // namespace lc
