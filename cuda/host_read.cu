// Asynchronous device-to-host reads (Tensor.data(), cuda_backend.h): the copy goes into pinned
// host memory on the default stream, behind the work already queued there, and an event marks
// its end. A worker thread waits for the event, so the JS thread never blocks on the device;
// work queued after the read cannot change what it reads (stream order), and the source
// block may be freed and reused at once for the same reason.
#include <cuda_runtime.h>

#include <cstring>
#include <memory>
#include <string>

#include "cuda_backend.h"
#include "cuda_check.h"
#include "errors.h"

namespace lc {

struct CudaHostRead {
  void* staging = nullptr;  // pinned, `bytes` long
  size_t bytes = 0;
  cudaEvent_t done = nullptr;

  ~CudaHostRead() {
    if (done) cudaEventDestroy(done);
    if (staging) cudaFreeHost(staging);
  }
};

CudaHostRead* cuda_read_begin(const void* src, size_t bytes) {
  cuda_require();
  auto read = std::make_unique<CudaHostRead>();
  read->bytes = bytes;
  if (bytes > 0) {
    cudaError_t err = cudaMallocHost(&read->staging, bytes);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      throw OutOfMemory("data(): cannot allocate " + std::to_string(bytes) +
                        " bytes of pinned host memory for the copy");
    }
    check_cuda(err, "cudaMallocHost");
    check_cuda(cudaMemcpyAsync(read->staging, src, bytes, cudaMemcpyDeviceToHost, 0),
               "cudaMemcpyAsync (device to host)");
  }
  check_cuda(cudaEventCreateWithFlags(&read->done, cudaEventDisableTiming | cudaEventBlockingSync),
             "cudaEventCreate");
  check_cuda(cudaEventRecord(read->done, 0), "cudaEventRecord");
  return read.release();
}

void cuda_read_finish(CudaHostRead* pending, void* dst) {
  std::unique_ptr<CudaHostRead> read(pending);
  check_cuda(cudaEventSynchronize(read->done), "cudaEventSynchronize (reading a tensor)");
  if (read->bytes > 0) std::memcpy(dst, read->staging, read->bytes);
}

void cuda_read_discard(CudaHostRead* read) { delete read; }

}  // namespace lc
