// Errors thrown by native code. The binding turns them into ordinary JS exceptions,
// so no native path ever aborts the process.
#pragma once
#include <stdexcept>
#include <string>

namespace lc {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// An argument out of range (a size beyond what a device can hold, a thread count...); the
// binding throws it as a JS RangeError.
struct RangeError : Error {
  using Error::Error;
};

// CUDA was asked for where it cannot run (no driver, no device, a CPU-only build); the binding
// gives the JS error the code ERR_LONGCONV_CUDA_UNAVAILABLE.
struct CudaUnavailable : Error {
  using Error::Error;
};

// A device (or host) allocation failed even after the allocator released its cache.
struct OutOfMemory : Error {
  using Error::Error;
};

}  // namespace lc
