// One declaration per kernel and one device dispatch. In an op's header,
//
//   LC_KERNEL(void, glu_forward, (const float* x, float* out, int64_t outer, int64_t half, int64_t inner))
//
// declares the kernel's two halves with that signature: glu_forward_cpu (native/<op>_cpu.cc)
// and glu_forward_cuda (cuda/<op>.cu), and defines glu_forward(device, args...), which runs the
// half for `device`. Parameters come in one order everywhere: inputs, outputs, sizes, options.
// A build without CUDA compiles no *_cuda definition: there the CUDA branch is discarded and
// throws "CUDA is not available: built without CUDA support" instead. The halves assume the
// preconditions their header states; the binding checks them once (native/binding.h).
#pragma once
#include "cuda_backend.h"
#include "storage.h"

#ifndef LONGCONV_WITH_CUDA
#define LONGCONV_WITH_CUDA 0
#endif

namespace lc {

constexpr bool kWithCuda = LONGCONV_WITH_CUDA;

}  // namespace lc

#define LC_KERNEL(ret, name, params)                    \
  ret name##_cpu params;                                \
  ret name##_cuda params;                               \
  template <typename... Args>                           \
  inline ret name(::lc::Device device, const Args&... args) { \
    if (device == ::lc::Device::CPU) return name##_cpu(args...); \
    if constexpr (!::lc::kWithCuda) {                   \
      ::lc::cuda_unavailable();                         \
    } else {                                            \
      ::lc::cuda_require();                             \
      return name##_cuda(args...);                      \
    }                                                   \
  }
