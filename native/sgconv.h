// SGConv kernel (docs/MATH.md §3.3): S sub-kernels w_i [C,H,d] are upsampled by linear interpolation
// (align_corners = false) by s_i = 2^(max(0,i-1)+initScale), scaled by multiplier[h]^(S-1-i),
// concatenated (length T = d*2^(S-1+initScale)), cut or zero-padded to L and divided by a
// per-(c,h) norm. CPU half: native/sgconv_cpu.cc; CUDA half: cuda/sgconv.cu (native/dispatch.h).
// Every data pointer lives on its backend's device, while the arrays of sub-kernel pointers
// themselves are host arrays of S entries.
#pragma once
#include <cstdint>

#include "dispatch.h"

namespace lc {

// The most sub-kernels one call takes (the CUDA kernels receive the pointers by value).
constexpr int64_t kSgconvMaxSubKernels = 32;

// subKernels: S pointers to [C,H,d]; multiplier: [H]; out: [C,H,L].
// norm: [C,H]. With computeNorm it is written first (the L2 norm over the untruncated length T
// of each row); otherwise it is read as given.
LC_KERNEL(void, sgconv_kernel_forward, (const float* const* subKernels, const float* multiplier,
                                        float* out, float* norm, int64_t S, int64_t C, int64_t H,
                                        int64_t d, int64_t initScale, int64_t L, bool computeNorm))
// dOut: [C,H,L] -> dSubKernels: S pointers to [C,H,d] (overwritten; a null entry is skipped).
// The norm is a constant here: the gradient flows through the division, not into the norm.
LC_KERNEL(void, sgconv_kernel_backward, (const float* dOut, const float* multiplier,
                                         const float* norm, float* const* dSubKernels, int64_t S,
                                         int64_t C, int64_t H, int64_t d, int64_t initScale,
                                         int64_t L))

}  // namespace lc
