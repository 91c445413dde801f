#include "mpi_loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

#include "errors.h"
#include "library_search.h"
#include "mpi_abi.h"

namespace lc {
namespace {

// The predefined handles of MPI_COMM_WORLD's calls.
template <class Abi>
struct Handles {
  typename Abi::Comm world;
  typename Abi::Datatype float_type, byte_type;
  typename Abi::Op sum;
  typename Abi::Info info_null;
  typename Abi::Errhandler errors_return;
};

// Open MPI: the addresses of its exported objects; a library lacking one is not Open MPI's.
template <class Handle>
void bind_handle(void* library, const char* symbol, Handle& handle, std::string& rejection) {
  handle = static_cast<Handle>(dlsym(library, symbol));
  if (!handle && rejection.empty()) rejection = std::string("lacks ") + symbol;
}

bool resolve_handles(void* library, Handles<OpenMpiAbi>& h, std::string& rejection) {
  bind_handle(library, OpenMpiAbi::kCommWorldSymbol, h.world, rejection);
  bind_handle(library, OpenMpiAbi::kFloatSymbol, h.float_type, rejection);
  bind_handle(library, OpenMpiAbi::kByteSymbol, h.byte_type, rejection);
  bind_handle(library, OpenMpiAbi::kSumSymbol, h.sum, rejection);
  bind_handle(library, OpenMpiAbi::kInfoNullSymbol, h.info_null, rejection);
  bind_handle(library, OpenMpiAbi::kErrorsReturnSymbol, h.errors_return, rejection);
  return rejection.empty();
}

bool resolve_handles(void*, Handles<MpichAbi>& h, std::string&) {
  h = {MpichAbi::kCommWorld, MpichAbi::kFloat, MpichAbi::kByte, MpichAbi::kSum, MpichAbi::kInfoNull,
       MpichAbi::kErrorsReturn};
  return true;
}

template <class Abi>
bool bind_functions(void* library, MpiFunctions<Abi>& f, std::string& rejection) {
  bind_symbol(library, "MPI_Initialized", f.initialized, rejection);
  bind_symbol(library, "MPI_Finalized", f.finalized, rejection);
  bind_symbol(library, "MPI_Init_thread", f.init_thread, rejection);
  bind_symbol(library, "MPI_Comm_rank", f.comm_rank, rejection);
  bind_symbol(library, "MPI_Comm_size", f.comm_size, rejection);
  bind_symbol(library, "MPI_Comm_split_type", f.comm_split_type, rejection);
  bind_symbol(library, "MPI_Comm_free", f.comm_free, rejection);
  bind_symbol(library, "MPI_Comm_set_errhandler", f.comm_set_errhandler, rejection);
  bind_symbol(library, "MPI_Allreduce", f.allreduce, rejection);
  bind_symbol(library, "MPI_Bcast", f.bcast, rejection);
  bind_symbol(library, "MPI_Barrier", f.barrier, rejection);
  bind_symbol(library, "MPI_Abort", f.abort, rejection);
  bind_symbol(library, "MPI_Finalize", f.finalize, rejection);
  bind_symbol(library, "MPI_Error_string", f.error_string, rejection);
  bind_symbol(library, "MPI_Get_library_version", f.get_library_version, rejection);
  f.query_cuda_support =
      reinterpret_cast<typename MpiFunctions<Abi>::QueryCudaSupportFn>(dlsym(library, "MPIX_Query_cuda_support"));
  return rejection.empty();
}

// The first line of MPI_Get_library_version (callable before MPI_Init).
template <class Abi>
std::string library_version(const MpiFunctions<Abi>& f) {
  std::vector<char> text(Abi::kMaxLibraryVersionString + 1, '\0');
  int length = 0;
  if (f.get_library_version(text.data(), &length) != kMpiSuccess) return "";
  // Some libraries count the terminating zero in `length`: read up to the first zero.
  std::string version(text.data());
  version = version.substr(0, version.find_first_of("\r\n"));
  while (!version.empty() && (version.back() == ' ' || version.back() == ',')) version.pop_back();
  return version;
}

template <class Abi>
class World final : public MpiWorld {
 public:
  World(const MpiFunctions<Abi>& f, const Handles<Abi>& h) : f_(f), h_(h) {}

  void start() {
    int flag = 0;
    check(f_.finalized(&flag), "MPI_Finalized");
    if (flag) throw Error("MPI was finalized in this process and cannot be initialised again");
    check(f_.initialized(&flag), "MPI_Initialized");
    if (!flag) {
      int provided = 0;
      // argc/argv may be null since MPI-2; only the main JS thread calls MPI.
      check(f_.init_thread(nullptr, nullptr, kMpiThreadSerialized, &provided), "MPI_Init_thread");
      owner_ = true;
    }
    // Errors come back as codes (thrown to JS) instead of killing the job without a message.
    check(f_.comm_set_errhandler(h_.world, h_.errors_return), "MPI_Comm_set_errhandler");
    check(f_.comm_rank(h_.world, &rank), "MPI_Comm_rank");
    check(f_.comm_size(h_.world, &size), "MPI_Comm_size");
    typename Abi::Comm node;
    check(f_.comm_split_type(h_.world, Abi::kCommTypeShared, rank, h_.info_null, &node), "MPI_Comm_split_type");
    check(f_.comm_rank(node, &local_rank), "MPI_Comm_rank");
    check(f_.comm_size(node, &local_size), "MPI_Comm_size");
    check(f_.comm_free(&node), "MPI_Comm_free");
    cuda_aware = f_.query_cuda_support && f_.query_cuda_support() == 1;
  }

  void allreduce_sum(float* data, int64_t count) override {
    for (int64_t done = 0; done < count; done += kMpiMaxCount) {
      const int n = int(std::min<int64_t>(kMpiMaxCount, count - done));
      check(f_.allreduce(Abi::in_place(), data + done, n, h_.float_type, h_.sum, h_.world), "MPI_Allreduce");
    }
  }

  void broadcast(void* data, int64_t bytes, int root) override {
    auto* p = static_cast<char*>(data);
    for (int64_t done = 0; done < bytes; done += kMpiMaxCount) {
      const int n = int(std::min<int64_t>(kMpiMaxCount, bytes - done));
      check(f_.bcast(p + done, n, h_.byte_type, root, h_.world), "MPI_Bcast");
    }
  }

  void barrier() override { check(f_.barrier(h_.world), "MPI_Barrier"); }

  void abort(int code) override {
    f_.abort(h_.world, code);
    std::_Exit(code);  // MPI_Abort does not return; should it, this rank still stops
  }

  void finalize() override {
    if (owner_) check(f_.finalize(), "MPI_Finalize");
  }

 private:
  void check(int rc, const char* call) const {
    if (rc == kMpiSuccess) return;
    std::vector<char> text(Abi::kMaxErrorString + 1, '\0');
    int length = 0;
    std::string words =
        f_.error_string(rc, text.data(), &length) == kMpiSuccess ? std::string(text.data()) : "error " + std::to_string(rc);
    throw Error(std::string(call) + " failed: " + words);
  }

  const MpiFunctions<Abi>& f_;
  Handles<Abi> h_;
  bool owner_ = false;  // MPI was initialised here, so it is finalized here
};

// The library, its ABI and its bound entry points, found once.
struct Loaded {
  MpiLibrary info;
  bool open_mpi = false;
  MpiFunctions<OpenMpiAbi> ompi{};
  Handles<OpenMpiAbi> ompi_handles{};
  MpiFunctions<MpichAbi> mpich{};
  Handles<MpichAbi> mpich_handles{};
};

template <class Abi>
bool bind_abi(void* library, MpiFunctions<Abi>& f, Handles<Abi>& h, MpiLibrary& info, std::string& rejection) {
  if (!bind_functions(library, f, rejection) || !resolve_handles(library, h, rejection)) return false;
  info.abi = Abi::kName;
  info.version = library_version(f);
  return true;
}

// Which sonames to try first depends on the launcher: the wrong MPI would start as a singleton.
std::vector<std::string> mpi_sonames() {
  const bool hydra = std::getenv("PMI_SIZE") && !std::getenv("OMPI_COMM_WORLD_SIZE");
  if (hydra) return {"libmpich.so.12", "libmpi.so.12", "libmpi.so.40", "libmpi.so"};
  return {"libmpi.so.40", "libmpich.so.12", "libmpi.so.12", "libmpi.so"};
}

// UCX (under MPICH, and Open MPI's UCX components) patches malloc and mmap when it loads, to
// track memory it registers with network cards; inside Node, whose V8 manages its own pages,
// that crashes now and then (seen as SIGSEGV in V8's compiler under MPICH). longconv hands MPI
// plain host buffers or a bucket per call, so the hooks buy nothing: turn them off unless the
// user set them. UCX reads these when libucs loads, i.e. when libmpi does.
void disable_ucx_memory_hooks() {
  setenv("UCX_MEM_MALLOC_HOOKS", "no", 0);
  setenv("UCX_MEM_MMAP_HOOK_MODE", "none", 0);
}

Loaded& loaded() {
  static Loaded* state = [] {
    auto* s = new Loaded;  // never destroyed: MPI may be finalized from an exit handler
    disable_ucx_memory_hooks();
    const FoundLibrary found = find_library(
        LibrarySearch{"LONGCONV_MPI_PATH", mpi_sonames(), {"MPI_HOME", "OPAL_PREFIX"}, {}, true},
        [s](void* library, LibraryVersion&, std::string& rejection) {
          s->info = MpiLibrary();
          // Open MPI exports its predefined handles; an MPICH-ABI library names itself.
          if (dlsym(library, OpenMpiAbi::kCommWorldSymbol)) {
            s->open_mpi = true;
            return bind_abi(library, s->ompi, s->ompi_handles, s->info, rejection);
          }
          s->open_mpi = false;
          if (!bind_abi(library, s->mpich, s->mpich_handles, s->info, rejection)) return false;
          const std::string& v = s->info.version;
          if (v.find("MPICH") == std::string::npos && v.find("Intel(R) MPI") == std::string::npos &&
              v.find("MVAPICH") == std::string::npos) {
            rejection = "is neither Open MPI nor an MPICH-ABI MPI (it says '" + v + "')";
            return false;
          }
          return true;
        });
    s->info.found = found.handle != nullptr;
    s->info.path = found.path;
    if (!s->info.found) s->info.reason = "MPI not found (tried " + found.tried + "; set LONGCONV_MPI_PATH)";
    return s;
  }();
  return *state;
}

std::unique_ptr<MpiWorld>& world_slot() {
  static auto* slot = new std::unique_ptr<MpiWorld>;  // never destroyed (exit handlers use it)
  return *slot;
}

bool finalized_here = false;

}  // namespace

const MpiLibrary& mpi_library() { return loaded().info; }

MpiWorld& mpi_init() {
  std::unique_ptr<MpiWorld>& slot = world_slot();
  if (slot) return *slot;
  if (finalized_here) throw Error("MPI was finalized in this process and cannot be initialised again");
  Loaded& l = loaded();
  if (!l.info.found) throw Error(l.info.reason);
  if (l.open_mpi) {
    auto w = std::make_unique<World<OpenMpiAbi>>(l.ompi, l.ompi_handles);
    w->start();
    slot = std::move(w);
  } else {
    auto w = std::make_unique<World<MpichAbi>>(l.mpich, l.mpich_handles);
    w->start();
    slot = std::move(w);
  }
  return *slot;
}

MpiWorld* mpi_world() { return world_slot().get(); }

void mpi_finalize() {
  std::unique_ptr<MpiWorld>& slot = world_slot();
  if (!slot) return;
  std::unique_ptr<MpiWorld> world = std::move(slot);
  finalized_here = true;
  world->finalize();
}

}  // namespace lc
