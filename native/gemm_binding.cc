// Binding of the GEMM (native/gemm.h), for matmul and linear (lib/ops/linear.ts).
#include "binding.h"
#include "gemm.h"

namespace lc {

// {A, B, bias|null, biasKind, transA, transB, M, N, K, lda, ldb, ldc, batch, outFloats} -> {C}.
// batch is a flat array of [size, strideA, strideB, strideC] per dimension; C gets outFloats
// floats, every one of which the product must write (the caller's layout guarantees it).
LC_BINDING(gemm) {
  Args a(info, "A");
  GemmShape s;
  const int64_t biasKind = a.size("biasKind");
  if (biasKind >= int64_t(GemmBias::Count)) throw Error("gemm: biasKind must be 0, 1 or 2");
  s.bias = static_cast<GemmBias>(biasKind);
  s.transA = a.flag("transA");
  s.transB = a.flag("transB");
  s.M = a.size("M");
  s.N = a.size("N");
  s.K = a.size("K");
  s.lda = a.size("lda");
  s.ldb = a.size("ldb");
  s.ldc = a.size("ldc");
  const std::vector<int64_t> batch = a.dims("batch");
  if (batch.size() % 4 != 0) throw Error("batch: expected 4 numbers per dimension");
  for (size_t i = 0; i < batch.size(); i += 4) s.batch.push_back({batch[i], batch[i + 1], batch[i + 2], batch[i + 3]});
  gemm_check(s);
  const int64_t outFloats = a.size("outFloats");
  if (gemm_extent_c(s) > outFloats) throw Error("gemm: C reaches past outFloats");

  const float* A = a.input("A", gemm_extent_a(s));
  const float* B = a.input("B", gemm_extent_b(s));
  const float* bias = s.bias == GemmBias::kNone ? nullptr : a.input("bias", s.bias == GemmBias::kRows ? s.M : s.N);
  Result r(env, a.device());
  float* C = r.add("C", outFloats);
  gemm(a.device(), A, B, bias, C, s);
  return r.take();
}

}  // namespace lc
