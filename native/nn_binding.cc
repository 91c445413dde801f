// Bindings of native/nn.h: glu, dropout, embedding, maskedMeanPool (forward and backward).
#include <cmath>

#include "binding.h"
#include "nn.h"
#include "nn_math.h"

namespace lc {

LC_BINDING(gluForward) {  // {x, outer, half, inner} -> {out [outer, half, inner]}
  Args a(info, "x");
  const int64_t outer = a.size("outer"), half = a.size("half"), inner = a.size("inner");
  const float* x = a.input("x", outer * 2 * half * inner);
  Result r(env, a.device());
  float* out = r.add("out", outer * half * inner);
  glu_forward(a.device(), x, out, outer, half, inner);
  return r.take();
}

LC_BINDING(gluBackward) {  // {x, dy, outer, half, inner} -> {dx [outer, 2 * half, inner]}
  Args a(info, "x");
  const int64_t outer = a.size("outer"), half = a.size("half"), inner = a.size("inner");
  const float* x = a.input("x", outer * 2 * half * inner);
  const float* dy = a.input("dy", outer * half * inner);
  Result r(env, a.device());
  float* dx = r.add("dx", outer * 2 * half * inner);
  glu_backward(a.device(), x, dy, dx, outer, half, inner);
  return r.take();
}

// {x, n, first, seed, p} -> {out}: x with each element dropped (probability p) or scaled by
// 1 / (1 - p); x[0] is element `first` of the whole batch.
LC_BINDING(dropout) {
  Args a(info, "x");
  const int64_t n = a.size("n"), first = a.size("first");
  const float* x = a.input("x", n);
  const double seed = a.number("seed");  // any integer in [0, 2^53): exact as a double
  if (!(seed >= 0 && seed < 9007199254740992.0) || seed != std::floor(seed))
    throw Error("dropout: seed must be an integer in [0, 2^53)");
  const double p = a.number("p");
  if (!(p >= 0 && p < 1)) throw Error("dropout: p must be in [0, 1)");
  const auto threshold = uint32_t(std::floor(p * 4294967296.0));  // < 2^32 as p < 1
  Result r(env, a.device());
  float* out = r.add("out", n);
  dropout(a.device(), x, out, n, first, dropout_key(uint64_t(seed)), threshold, float(1.0 / (1.0 - p)));
  return r.take();
}

LC_BINDING(embeddingForward) {  // {indices, weight, n, V, D} -> {out [n, D]}
  Args a(info, "indices");
  const int64_t n = a.size("n"), V = a.size("V"), D = a.size("D");
  const float* indices = a.input("indices", n);
  const float* weight = a.input("weight", V * D);
  Result r(env, a.device());
  float* out = r.add("out", n * D);
  embedding_forward(a.device(), indices, weight, out, n, V, D);
  return r.take();
}

LC_BINDING(embeddingBackward) {  // {indices, dy, n, V, D} -> {dweight [V, D]}
  Args a(info, "indices");
  const int64_t n = a.size("n"), V = a.size("V"), D = a.size("D");
  const float* indices = a.input("indices", n);
  const float* dy = a.input("dy", n * D);
  Result r(env, a.device());
  float* dweight = r.add("dweight", V * D);
  embedding_backward(a.device(), indices, dy, dweight, n, V, D);
  return r.take();
}

LC_BINDING(maskedMeanPoolForward) {  // {x, mask|null, B, H, L} -> {out [B, H]}
  Args a(info, "x");
  const int64_t B = a.size("B"), H = a.size("H"), L = a.size("L");
  if (L < 1) throw Error("maskedMeanPool: L must be >= 1");
  const float* x = a.input("x", B * H * L);
  const float* mask = a.optional("mask", B * L);
  Result r(env, a.device());
  float* out = r.add("out", B * H);
  masked_mean_pool_forward(a.device(), x, mask, out, B, H, L);
  return r.take();
}

LC_BINDING(maskedMeanPoolBackward) {  // {dy, mask|null, B, H, L} -> {dx [B, H, L]}
  Args a(info, "dy");
  const int64_t B = a.size("B"), H = a.size("H"), L = a.size("L");
  if (L < 1) throw Error("maskedMeanPool: L must be >= 1");
  const float* dy = a.input("dy", B * H);
  const float* mask = a.optional("mask", B * L);
  Result r(env, a.device());
  float* dx = r.add("dx", B * H * L);
  masked_mean_pool_backward(a.device(), dy, mask, dx, B, H, L);
  return r.take();
}

}  // namespace lc
