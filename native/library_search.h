// Finds a shared library at run time with dlopen (it is never linked, so the addon loads on
// machines without it). Used by the cuFFT, cuBLAS, NCCL and MPI loaders.
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
  int version = 0;         // its LibraryVersion::number
};

// A candidate's version, as its loader reads it: the library's own number (e.g. cufftGetVersion's
// 12000), the library and version in words ("cuFFT 12.0") and the CUDA major it belongs to.
struct LibraryVersion {
  int number = 0;
  std::string words;
  int cudaMajor = 0;
};

// A loaded library as a loader hands it out (CufftLibrary, CublasLibrary).
template <class Api>
struct CudaLibrary {
  const Api* api = nullptr;  // null when no candidate loaded
  std::string path;          // the file that was loaded
  std::string tried;         // every candidate, for the "not found" message
  int version = 0;           // the library's version number

  CudaLibrary(const Api& bound, const FoundLibrary& found)
      : api(found.handle ? &bound : nullptr), path(found.path), tried(found.tried),
        version(found.version) {}
};

// Looks up `symbol` into the function pointer `fn`; on the first missing one, says so in
// `rejection` ("lacks <symbol>").
template <typename Fn>
void bind_symbol(void* library, const char* symbol, Fn& fn, std::string& rejection) {
  fn = reinterpret_cast<Fn>(dlsym(library, symbol));
  if (!fn && rejection.empty()) rejection = std::string("lacks ") + symbol;
}

// Binds the library's entry points from an open handle and reads its version; when it cannot be
// used, returns false with the reason in `rejection` (e.g. "lacks cufftCreate").
using BindSymbols =
    std::function<bool(void* handle, LibraryVersion& version, std::string& rejection)>;

// Where to look, in this order: $<envVar> (a file, or a directory searched for `sonames`), each
// soname through the dynamic loader, then each in $<root>/lib64 and $<root>/lib for each of
// `rootVariables`, then in each of `directories` that exists. `global` opens the library with
// RTLD_GLOBAL (for a library whose own plug-ins resolve its symbols), else RTLD_LOCAL. A
// candidate made for a newer CUDA than `driverVersion` supports (cudaDriverGetVersion's number;
// 0: not checked) loads, then fails at its first use: it is skipped.
struct LibrarySearch {
  const char* envVar;
  std::vector<std::string> sonames;
  std::vector<const char*> rootVariables;
  std::vector<std::string> directories;
  bool global = false;
  int driverVersion = 0;
};

// Searches as `search` says. A candidate that `bind` rejects, or one too new for the driver, is
// noted and skipped. The "tried" message describes `sonames` with soname_words. Never throws.
FoundLibrary find_library(const LibrarySearch& search, const BindSymbols& bind);

// A CUDA library: $<envVar>, the dynamic loader, then $CUDA_PATH/lib64, $CUDA_PATH/lib,
// $CUDA_HOME/lib64, $CUDA_HOME/lib and /usr/local/cuda/lib64, checked against the driver.
FoundLibrary find_cuda_library(const char* envVar, const std::vector<std::string>& sonames,
                               int driverVersion, const BindSymbols& bind);

// The sonames to try for a CUDA math library: stem + "." + each of `majors` (its soname
// majors, newest first), the one of the toolkit this addon was built with (`buildMajor`) moved
// to the front, then the unversioned stem. With several toolkits installed, the library that
// matches the linked CUDA runtime is found first, not merely the newest.
//   cuda_library_sonames("libcufft.so", {12, 11, 10}, 11)
//     == {"libcufft.so.11", "libcufft.so.12", "libcufft.so.10", "libcufft.so"}
std::vector<std::string> cuda_library_sonames(const std::string& stem,
                                              const std::vector<int>& majors, int buildMajor);

// "libcufft.so.11, .12, .10 and libcufft.so" for the list above.
std::string soname_words(const std::vector<std::string>& sonames);

// Why a library made for CUDA `libraryCudaMajor` cannot run with a driver that supports CUDA
// `driverVersion` (cudaDriverGetVersion's 1000 * major + 10 * minor), or "" when it can or the
// driver's version is unknown (0). `library` names it, e.g. "cuFFT 12.0".
std::string driver_too_old(const std::string& library, int libraryCudaMajor, int driverVersion);

}  // namespace lc
