// Loss kernels: softmax cross-entropy and mean squared error, each reduced to a mean in a
// fixed order (deterministic, independent of the thread count). CPU half: native/loss_cpu.cc;
// CUDA half: cuda/loss.cu (native/dispatch.h). `grad` is the loss's gradient, one float on the
// backend's device. Requires B, C, n >= 1.
#pragma once
#include <cstdint>

#include "dispatch.h"

namespace lc {

// loss[0] = mean over b of logsumexp(logits[b, :]) - logits[b, labels[b]] for logits [B, C]
// and labels [B] (class indices stored as floats); writes softmax [B, C] for the backward
// pass. A label outside [0, C) (the TS op rejects them first) gives a NaN loss.
LC_KERNEL(void, cross_entropy_forward, (const float* logits, const float* labels, float* loss,
                                        float* softmax, int64_t B, int64_t C))
// dlogits [B, C] = grad / B * (softmax - onehot(labels)).
LC_KERNEL(void, cross_entropy_backward, (const float* softmax, const float* labels,
                                         const float* grad, float* dlogits, int64_t B, int64_t C))

// loss[0] = mean of (a - b)^2 over n elements.
LC_KERNEL(void, mse_forward, (const float* a, const float* b, float* loss, int64_t n))
// da = 2 * grad / n * (a - b), db = -da; either may be null.
LC_KERNEL(void, mse_backward, (const float* a, const float* b, const float* grad, float* da,
                               float* db, int64_t n))

}  // namespace lc
