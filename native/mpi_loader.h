// MPI at run time: libmpi is found with dlopen (never linked, so the addon loads and runs on
// machines without MPI) and driven through the few entry points of native/mpi_abi.h. One
// communicator: MPI_COMM_WORLD, used by the main JS thread only.
#pragma once
#include <cstdint>
#include <string>

namespace lc {

struct MpiLibrary {
  bool found = false;
  std::string path;     // the file that was loaded
  std::string abi;      // "Open MPI" or "MPICH"
  std::string version;  // the first line of MPI_Get_library_version
  std::string reason;   // why MPI cannot be used (empty when found)
};

// Searched once, never throws: $LONGCONV_MPI_PATH (a file, or a directory searched for the
// sonames), then the sonames through the dynamic loader, then in $MPI_HOME/lib64, $MPI_HOME/lib,
// $OPAL_PREFIX/lib64 and $OPAL_PREFIX/lib. The sonames follow the launcher: Open MPI's mpirun
// (OMPI_COMM_WORLD_SIZE set) tries libmpi.so.40 first; Hydra, MPICH's mpiexec (PMI_SIZE set),
// libmpich.so.12 and libmpi.so.12 first; both before libmpi.so. The library is opened with
// RTLD_GLOBAL: Open MPI's plug-ins (mca_*.so) are opened by libmpi and resolve its symbols
// globally.
const MpiLibrary& mpi_library();

// MPI_COMM_WORLD after MPI_Init_thread. Collectives block until every rank has joined; errors
// are returned (MPI_ERRORS_RETURN), not fatal, and thrown as lc::Error naming the call.
class MpiWorld {
 public:
  virtual ~MpiWorld() = default;
  int rank = 0, size = 1;
  // This process's place among the ranks on its node (MPI_COMM_TYPE_SHARED).
  int local_rank = 0, local_size = 1;
  // Whether the MPI accepts CUDA device pointers (MPIX_Query_cuda_support() == 1).
  bool cuda_aware = false;

  // data[0, count) ← the sum over ranks of every rank's data, in place. Host memory, or device
  // memory when cuda_aware.
  virtual void allreduce_sum(float* data, int64_t count) = 0;
  // data[0, bytes) ← root's. Host memory, or device memory when cuda_aware.
  virtual void broadcast(void* data, int64_t bytes, int root) = 0;
  virtual void barrier() = 0;
  // Stops every rank's process (MPI_Abort): for an error on one rank, so that none waits forever.
  [[noreturn]] virtual void abort(int code) = 0;
  virtual void finalize() = 0;
};

// Initialises MPI on first call and returns the world; throws lc::Error when MPI is not found,
// its initialisation fails, or it was finalized (MPI cannot start twice in one process).
MpiWorld& mpi_init();
// The world between mpi_init and mpi_finalize, else nullptr.
MpiWorld* mpi_world();
// Finalizes MPI when it was initialised here (a no-op otherwise).
void mpi_finalize();

}  // namespace lc
