// CUDA GEMM (native/gemm.h) through cuBLAS. cuBLAS is column-major: a row-major C (M x N) is a
// column-major C^T, so C^T = op(B)^T op(A)^T is computed by passing B as cuBLAS's first operand
// and A as its second, with m = N and n = M; each operand keeps its own transpose flag.
//
// After normalisation (gemm_normalize) the last outer batch dimension becomes cuBLAS's strided
// batch; any other outer dimensions and every summed element are looped over on the host, the
// summed ones accumulating into C with beta = 1 (typically a single call in all). A run that
// fails for lack of device memory is repeated once after cuda_empty_cache().
#include <climits>
#include <string>

#include "cublas_loader.h"
#include "gemm.h"
#include "kernel_common.cuh"

namespace lc {
namespace {

// C[b*strideC + i*ldc + j] = bias[i] (rows) or bias[j] for b < count, i < M, j < N.
__global__ void fill_bias_kernel(float* C, int64_t count, int64_t strideC, int64_t M, int64_t N,
                                 int64_t ldc, const float* bias, bool rows) {
  const int64_t total = count * M * N;
  for (int64_t idx : grid_stride(total)) {
    const int64_t j = idx % N, i = idx / N % M, b = idx / N / M;
    C[b * strideC + i * ldc + j] = rows ? bias[i] : bias[j];
  }
}

int cublas_int(int64_t v, const char* what) {
  if (v > INT_MAX)
    throw Error(std::string("gemm (cuda): ") + what + " exceeds cuBLAS's 32-bit limit");
  return static_cast<int>(v);
}

}  // namespace

void gemm_cuda(const float* A, const float* B, const float* bias, float* C,
               const GemmShape& shape) {
  const GemmShape s = gemm_normalize(shape);
  const size_t outerDims = gemm_outer_dims(s);
  const GemmBatchDim strided = outerDims ? s.batch[outerDims - 1] : GemmBatchDim{1, 0, 0, 0};
  const size_t hostDims = outerDims ? outerDims - 1 : 0;
  const int64_t hostCount = gemm_batch_count(s.batch, 0, hostDims);
  const int64_t summedCount = gemm_batch_count(s.batch, outerDims, s.batch.size());
  const int m = cublas_int(s.N, "N"), n = cublas_int(s.M, "M"), k = cublas_int(s.K, "K");
  const int lda = cublas_int(s.lda, "lda"), ldb = cublas_int(s.ldb, "ldb");
  const int ldc = cublas_int(s.ldc, "ldc"), count = cublas_int(strided.size, "the batch");
  const cublasOperation_t opB = s.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t opA = s.transA ? CUBLAS_OP_T : CUBLAS_OP_N;

  CublasSession cublas = cublas_session();
  // Writes all of C from A, B and bias (the first product or the bias fill overwrites it), so a
  // run that failed for lack of memory can be repeated as a whole. Returns the first failing
  // call's status.
  const char* call = nullptr;
  auto run = [&]() -> cublasStatus_t {
    if (s.bias != GemmBias::kNone) {
      for (int64_t h = 0; h < hostCount; ++h) {
        const GemmOffsets o = gemm_offsets(s.batch, 0, hostDims, h);
        launch("gemm bias", fill_bias_kernel, over_items(strided.size * s.M * s.N), C + o.c,
               strided.size, strided.c, s.M, s.N, s.ldc, bias, s.bias == GemmBias::kRows);
      }
    }
    const float one = 1.f, zero = 0.f;
    for (int64_t r = 0; r < summedCount; ++r) {
      const GemmOffsets q = gemm_offsets(s.batch, outerDims, s.batch.size(), r);
      const float* beta = (r > 0 || s.bias != GemmBias::kNone) ? &one : &zero;
      for (int64_t h = 0; h < hostCount; ++h) {
        const GemmOffsets o = gemm_offsets(s.batch, 0, hostDims, h);
        const float* a = A + o.a + q.a;
        const float* b = B + o.b + q.b;
        float* c = C + o.c;
        call = count == 1 ? "cublasSgemm" : "cublasSgemmStridedBatched";
        const cublasStatus_t status =
            count == 1 ? cublas.api.sgemm(cublas.handle, opB, opA, m, n, k, &one, b, ldb, a, lda,
                                          beta, c, ldc)
                       : cublas.api.sgemmStridedBatched(cublas.handle, opB, opA, m, n, k, &one, b,
                                                        ldb, strided.b, a, lda, strided.a, beta,
                                                        c, ldc, strided.c, count);
        if (status != 0) return status;
      }
    }
    return 0;
  };
  cublasStatus_t status = run();
  if (cublas_memory_failure(status)) {
    cuda_empty_cache();
    status = run();
  }
  cublas_check(status, call);
}

}  // namespace lc
