// CPU-only builds: the CUDA half of native/fftconv.h.
#include "fftconv.h"
#include "stub.h"

namespace lc {

int64_t fftconv_kernel_spectrum_floats_cuda(int64_t, int64_t, int64_t) { unavailable(); }
int64_t fftconv_input_spectrum_floats_cuda(int64_t, int64_t, int64_t) { unavailable(); }
void fftconv_kernel_spectrum_cuda(const float*, const float*, const float*, int64_t, int64_t,
                                  int64_t, float*) {
  unavailable();
}
void fftconv_forward_cuda(const float*, const float*, int64_t, int64_t, int64_t, int64_t, float*,
                          float*) {
  unavailable();
}
void fftconv_backward_cuda(const float*, const float*, const float*, int64_t, int64_t, int64_t,
                           int64_t, float*, float*, float*, float*) {
  unavailable();
}

}  // namespace lc
