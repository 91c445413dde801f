// Binding of the GEMM (native/gemm.h), for matmul and linear (lib/ops/linear.ts).
#include "binding.h"
#include "gemm.h"

namespace lc {

// (A, B, bias|null, biasKind, transA, transB, M, N, K, lda, ldb, ldc, batch, outFloats) -> C.
// batch is a flat array of [size, strideA, strideB, strideC] per dimension; C gets outFloats
// floats, every one of which the product must write (the caller's layout guarantees it).
LC_BINDING(gemm) {
  const Device dev = get_storage(info[0], "A")->device;
  GemmShape s;
  const int64_t biasKind = arg_int(info[3], "biasKind");
  if (biasKind > 2) throw Error("gemm: biasKind must be 0, 1 or 2");
  s.bias = static_cast<GemmBias>(biasKind);
  s.transA = info[4].ToBoolean();
  s.transB = info[5].ToBoolean();
  s.M = arg_int(info[6], "M");
  s.N = arg_int(info[7], "N");
  s.K = arg_int(info[8], "K");
  s.lda = arg_int(info[9], "lda");
  s.ldb = arg_int(info[10], "ldb");
  s.ldc = arg_int(info[11], "ldc");
  if (!info[12].IsArray()) throw Error("batch: expected an array");
  const Napi::Array batch = info[12].As<Napi::Array>();
  if (batch.Length() % 4 != 0) throw Error("batch: expected 4 numbers per dimension");
  for (uint32_t i = 0; i < batch.Length(); i += 4)
    s.batch.push_back({arg_int(batch[i], "batch size"), arg_int(batch[i + 1], "batch stride"),
                       arg_int(batch[i + 2], "batch stride"), arg_int(batch[i + 3], "batch stride")});
  gemm_check(s);
  const int64_t outFloats = arg_int(info[13], "outFloats");
  if (gemm_extent_c(s) > outFloats) throw Error("gemm: C reaches past outFloats");

  const float* A = arg_buffer(info[0], "A", dev, gemm_extent_a(s));
  const float* B = arg_buffer(info[1], "B", dev, gemm_extent_b(s));
  const float* bias = s.bias == GemmBias::kNone
                          ? nullptr
                          : arg_buffer(info[2], "bias", dev, s.bias == GemmBias::kRows ? s.M : s.N);
  Napi::Object C = new_storage(env, dev, outFloats);
  gemm(dev, A, B, bias, data_of(C), s);
  return C;
}

}  // namespace lc
