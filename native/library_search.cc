#include "library_search.h"

#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>

#include <cstdlib>

#include "cuda_backend.h"

namespace lc {
namespace {

bool is_directory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string loaded_file(void* library, const std::string& fallback) {
  link_map* map = nullptr;
  if (dlinfo(library, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && map->l_name[0])
    return map->l_name;
  return fallback;
}

class Search {
 public:
  Search(const LibrarySearch& spec, const BindSymbols& bind)
      : sonames_(spec.sonames), flags_(RTLD_NOW | (spec.global ? RTLD_GLOBAL : RTLD_LOCAL)),
        driverVersion_(spec.driverVersion), bind_(bind) {}

  bool try_file(const std::string& candidate) {
    void* library = dlopen(candidate.c_str(), flags_);
    if (!library) return false;
    LibraryVersion version;
    std::string rejection;
    if (bind_(library, version, rejection))
      rejection = driver_too_old(version.words, version.cudaMajor, driverVersion_);
    if (!rejection.empty()) {
      notes_.push_back(loaded_file(library, candidate) + " " + rejection);
      dlclose(library);
      return false;
    }
    found_.handle = library;
    found_.path = loaded_file(library, candidate);
    found_.version = version.number;
    return true;
  }

  bool try_directory(const std::string& dir) {
    for (const std::string& place : places_)
      if (place == dir) return false;  // e.g. $CUDA_PATH and $CUDA_HOME often agree
    places_.push_back(dir);
    for (const std::string& soname : sonames_)
      if (try_file(dir + "/" + soname)) return true;
    return false;
  }

  bool try_loader_path() {
    places_.push_back("the dynamic loader's search path");
    for (const std::string& soname : sonames_)
      if (try_file(soname)) return true;
    return false;
  }

  bool try_env_directories(const char* variable) {
    const char* root = std::getenv(variable);
    if (!root || !*root) return false;
    for (const char* sub : {"/lib64", "/lib"}) {
      const std::string dir = std::string(root) + sub;
      if (is_directory(dir) && try_directory(dir)) return true;
    }
    return false;
  }

  FoundLibrary finish(const std::string& prefix) {
    found_.tried = prefix + soname_words(sonames_) + " in ";
    for (size_t i = 0; i < places_.size(); ++i) found_.tried += (i ? ", " : "") + places_[i];
    for (const std::string& note : notes_) found_.tried += "; " + note;
    return found_;
  }

 private:
  const std::vector<std::string>& sonames_;
  const int flags_;
  const int driverVersion_;
  const BindSymbols& bind_;
  std::vector<std::string> places_, notes_;
  FoundLibrary found_;
};

}  // namespace

FoundLibrary find_library(const LibrarySearch& spec, const BindSymbols& bind) {
  Search search(spec, bind);
  // An explicit path wins over whatever the system would find first.
  const char* explicitPath = std::getenv(spec.envVar);
  std::string explicitFile;
  bool found = false;
  if (explicitPath && *explicitPath) {
    if (is_directory(explicitPath)) {
      found = search.try_directory(explicitPath);
    } else {
      explicitFile = std::string(explicitPath) + "; ";
      found = search.try_file(explicitPath);
    }
  }
  if (!found) found = search.try_loader_path();
  for (const char* root : spec.rootVariables)
    if (!found) found = search.try_env_directories(root);
  for (const std::string& dir : spec.directories)
    if (!found && is_directory(dir)) found = search.try_directory(dir);
  return search.finish(explicitFile);
}

FoundLibrary find_cuda_library(const char* envVar, const std::vector<std::string>& sonames,
                               int driverVersion, const BindSymbols& bind) {
  return find_library(LibrarySearch{envVar, sonames, {"CUDA_PATH", "CUDA_HOME"},
                                    {"/usr/local/cuda/lib64"}, false, driverVersion},
                      bind);
}

std::vector<std::string> cuda_library_sonames(const std::string& stem,
                                              const std::vector<int>& majors, int buildMajor) {
  std::vector<std::string> sonames;
  for (int major : majors)
    if (major == buildMajor) sonames.push_back(stem + "." + std::to_string(major));
  for (int major : majors)
    if (major != buildMajor) sonames.push_back(stem + "." + std::to_string(major));
  sonames.push_back(stem);
  return sonames;
}

std::string soname_words(const std::vector<std::string>& sonames) {
  std::string words;
  const std::string stem = sonames.empty() ? "" : sonames[0].substr(0, sonames[0].rfind(".so.") + 3);
  for (size_t i = 0; i < sonames.size(); ++i) {
    const std::string& name = sonames[i];
    const bool last = i + 1 == sonames.size();
    if (i > 0) words += last ? " and " : ", ";
    // After the first, versioned names of its stem shrink to their suffix: "libcufft.so.11, .12".
    const size_t dot = name.rfind(".so.");
    const bool shrink = i > 0 && !last && dot != std::string::npos && name.compare(0, dot + 3, stem) == 0;
    words += shrink ? name.substr(dot + 3) : name;
  }
  return words;
}

std::string driver_too_old(const std::string& library, int libraryCudaMajor, int driverVersion) {
  if (driverVersion <= 0 || libraryCudaMajor <= driverVersion / 1000) return "";
  return "is " + library + " (CUDA " + std::to_string(libraryCudaMajor) +
         "), newer than the driver's CUDA " + cuda_version_words(driverVersion);
}

}  // namespace lc
