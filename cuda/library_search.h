// Finds a CUDA math library at run time with dlopen (it is never linked, so the addon loads on
// machines without it). Used by the cuFFT and cuBLAS loaders.
#pragma once
#include <dlfcn.h>

#include <functional>
#include <string>
#include <vector>

namespace lc {

struct FoundLibrary {
  void* handle = nullptr;  // null when no candidate loaded; never closed once found
  std::string path;        // the file that was loaded
  std::string tried;       // every candidate, for the "not found" message
};

// Looks up `symbol` into the function pointer `fn`; names the first missing one in `missing`.
template <typename Fn>
void bind_symbol(void* library, const char* symbol, Fn& fn, std::string& missing) {
  fn = reinterpret_cast<Fn>(dlsym(library, symbol));
  if (!fn && missing.empty()) missing = symbol;
}

// Binds the library's entry points from an open handle; on failure names the first missing one.
using BindSymbols = std::function<bool(void* handle, std::string& missing)>;

// Tries, in order: $<envVar> (a file, or a directory searched for `sonames`), each soname through
// the dynamic loader, then each in $CUDA_PATH/lib64, $CUDA_PATH/lib, $CUDA_HOME/lib64,
// $CUDA_HOME/lib and /usr/local/cuda/lib64. A candidate lacking a symbol is noted and skipped.
// `sonameWords` describes `sonames` in the "tried" message. Never throws.
FoundLibrary find_cuda_library(const char* envVar, const std::vector<std::string>& sonames,
                               const std::string& sonameWords, const BindSymbols& bind);

}  // namespace lc
