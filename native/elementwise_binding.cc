// Bindings of the elementwise kernels (native/elementwise.h).
#include "binding.h"
#include "elementwise.h"

namespace lc {

LC_BINDING(add) {  // (a, b, out, n): out = a + b
  Device d = get_storage(info[0], "a")->device;
  int64_t n = arg_int(info[3], "n");
  const float* a = arg_buffer(info[0], "a", d, n);
  const float* b = arg_buffer(info[1], "b", d, n);
  float* out = arg_buffer(info[2], "out", d, n);
  (d == Device::CUDA ? add_cuda : add_cpu)(a, b, out, n);
  return env.Undefined();
}

}  // namespace lc
