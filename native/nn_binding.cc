// Bindings of native/nn.h: glu, dropout, embedding, maskedMeanPool (forward and backward).
#include <cmath>

#include "binding.h"
#include "nn.h"
#include "nn_math.h"

namespace lc {

LC_BINDING(gluForward) {  // (x, outer, half, inner) -> out [outer, half, inner]
  Device dev = get_storage(info[0], "x")->device;
  int64_t outer = arg_int(info[1], "outer"), half = arg_int(info[2], "half"), inner = arg_int(info[3], "inner");
  const float* x = arg_buffer(info[0], "x", dev, outer * 2 * half * inner);
  Napi::Object out = new_storage(env, dev, outer * half * inner);
  glu_forward(dev, x, data_of(out), outer, half, inner);
  return out;
}

LC_BINDING(gluBackward) {  // (x, dy, outer, half, inner) -> dx [outer, 2 * half, inner]
  Device dev = get_storage(info[0], "x")->device;
  int64_t outer = arg_int(info[2], "outer"), half = arg_int(info[3], "half"), inner = arg_int(info[4], "inner");
  const float* x = arg_buffer(info[0], "x", dev, outer * 2 * half * inner);
  const float* dy = arg_buffer(info[1], "dy", dev, outer * half * inner);
  Napi::Object dx = new_storage(env, dev, outer * 2 * half * inner);
  glu_backward(dev, x, dy, data_of(dx), outer, half, inner);
  return dx;
}

// (x, n, seed, p) -> out: x with each element dropped (probability p) or scaled by 1 / (1 - p).
LC_BINDING(dropout) {
  Device dev = get_storage(info[0], "x")->device;
  int64_t n = arg_int(info[1], "n");
  const float* x = arg_buffer(info[0], "x", dev, n);
  double seed = arg_number(info[2], "seed");  // any integer in [0, 2^53): exact as a double
  if (!(seed >= 0 && seed < 9007199254740992.0) || seed != std::floor(seed))
    throw Error("dropout: seed must be an integer in [0, 2^53)");
  double p = arg_number(info[3], "p");
  if (!(p >= 0 && p < 1)) throw Error("dropout: p must be in [0, 1)");
  auto threshold = uint32_t(std::floor(p * 4294967296.0));  // < 2^32 as p < 1
  Napi::Object out = new_storage(env, dev, n);
  dropout(dev, x, data_of(out), n, dropout_key(uint64_t(seed)), threshold,
                                                      float(1.0 / (1.0 - p)));
  return out;
}

LC_BINDING(embeddingForward) {  // (indices, weight, n, V, D) -> out [n, D]
  Device dev = get_storage(info[0], "indices")->device;
  int64_t n = arg_int(info[2], "n"), V = arg_int(info[3], "V"), D = arg_int(info[4], "D");
  const float* indices = arg_buffer(info[0], "indices", dev, n);
  const float* weight = arg_buffer(info[1], "weight", dev, V * D);
  Napi::Object out = new_storage(env, dev, n * D);
  embedding_forward(dev, indices, weight, data_of(out), n, V, D);
  return out;
}

LC_BINDING(embeddingBackward) {  // (indices, dy, n, V, D) -> dweight [V, D]
  Device dev = get_storage(info[0], "indices")->device;
  int64_t n = arg_int(info[2], "n"), V = arg_int(info[3], "V"), D = arg_int(info[4], "D");
  const float* indices = arg_buffer(info[0], "indices", dev, n);
  const float* dy = arg_buffer(info[1], "dy", dev, n * D);
  Napi::Object dweight = new_storage(env, dev, V * D);
  embedding_backward(dev, indices, dy, data_of(dweight), n, V, D);
  return dweight;
}

LC_BINDING(maskedMeanPoolForward) {  // (x, mask|null, B, H, L) -> out [B, H]
  Device dev = get_storage(info[0], "x")->device;
  int64_t B = arg_int(info[2], "B"), H = arg_int(info[3], "H"), L = arg_int(info[4], "L");
  if (L < 1) throw Error("maskedMeanPool: L must be >= 1");
  const float* x = arg_buffer(info[0], "x", dev, B * H * L);
  const float* mask = arg_buffer(info[1], "mask", dev, B * L, true);
  Napi::Object out = new_storage(env, dev, B * H);
  masked_mean_pool_forward(dev, x, mask, data_of(out), B, H, L);
  return out;
}

LC_BINDING(maskedMeanPoolBackward) {  // (dy, mask|null, B, H, L) -> dx [B, H, L]
  Device dev = get_storage(info[0], "dy")->device;
  int64_t B = arg_int(info[2], "B"), H = arg_int(info[3], "H"), L = arg_int(info[4], "L");
  if (L < 1) throw Error("maskedMeanPool: L must be >= 1");
  const float* dy = arg_buffer(info[0], "dy", dev, B * H);
  const float* mask = arg_buffer(info[1], "mask", dev, B * L, true);
  Napi::Object dx = new_storage(env, dev, B * H * L);
  masked_mean_pool_backward(dev, dy, mask, data_of(dx), B, H,
                                                                                          L);
  return dx;
}

}  // namespace lc
