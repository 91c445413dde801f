// The two MPI ABIs longconv speaks, declared here because libmpi is opened at run time (dlopen)
// and mpi.h is never included: the entry points used, with their C signatures, and the handles.
//   Open MPI (libmpi.so.40, Open MPI 3 to 5): handles are pointers to opaque structs; the
//     predefined ones (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are the addresses of exported
//     objects (ompi_mpi_comm_world, ...), found with dlsym.
//   MPICH (libmpich.so.12 / libmpi.so.12: MPICH, Intel MPI, MVAPICH): handles are ints and the
//     predefined ones are integer constants.
// test/native/mpi_abi_test.cc checks every type and constant against each vendor's mpi.h.
#pragma once
#include <climits>

// Open MPI's opaque handle types (declared, never defined: only pointers to them are passed).
struct ompi_communicator_t;
struct ompi_datatype_t;
struct ompi_op_t;
struct ompi_info_t;
struct ompi_errhandler_t;

namespace lc {

// Identical in both ABIs (and fixed by the MPI standard's C bindings).
constexpr int kMpiSuccess = 0;
constexpr int kMpiThreadSerialized = 2;

struct OpenMpiAbi {
  static constexpr const char* kName = "Open MPI";
  using Comm = ompi_communicator_t*;
  using Datatype = ompi_datatype_t*;
  using Op = ompi_op_t*;
  using Info = ompi_info_t*;
  using Errhandler = ompi_errhandler_t*;
  // The exported objects whose addresses are the predefined handles.
  static constexpr const char* kCommWorldSymbol = "ompi_mpi_comm_world";
  static constexpr const char* kFloatSymbol = "ompi_mpi_float";
  static constexpr const char* kByteSymbol = "ompi_mpi_byte";
  static constexpr const char* kSumSymbol = "ompi_mpi_op_sum";
  static constexpr const char* kInfoNullSymbol = "ompi_mpi_info_null";
  static constexpr const char* kErrorsReturnSymbol = "ompi_mpi_errors_return";
  static constexpr int kCommTypeShared = 0;
  static constexpr int kMaxErrorString = 256;
  static constexpr int kMaxLibraryVersionString = 256;
  static void* in_place() { return reinterpret_cast<void*>(1); }
};

struct MpichAbi {
  static constexpr const char* kName = "MPICH";
  using Comm = int;
  using Datatype = int;
  using Op = int;
  using Info = int;
  using Errhandler = int;
  static constexpr Comm kCommWorld = 0x44000000;
  static constexpr Datatype kFloat = 0x4c00040a;
  static constexpr Datatype kByte = 0x4c00010d;
  static constexpr Op kSum = 0x58000003;
  static constexpr Info kInfoNull = 0x1c000000;
  static constexpr Errhandler kErrorsReturn = 0x54000001;
  static constexpr int kCommTypeShared = 1;
  static constexpr int kMaxErrorString = 512;
  static constexpr int kMaxLibraryVersionString = 8192;
  static void* in_place() { return reinterpret_cast<void*>(-1); }
};

// Both ABIs' libraries export these under the same names with the same signatures (handle
// types aside); mpi_loader.cc binds one table per library.
template <class Abi>
struct MpiFunctions {
  using Comm = typename Abi::Comm;
  using Datatype = typename Abi::Datatype;
  using Op = typename Abi::Op;
  using Info = typename Abi::Info;
  using Errhandler = typename Abi::Errhandler;

  using InitializedFn = int (*)(int* flag);
  using FinalizedFn = int (*)(int* flag);
  using InitThreadFn = int (*)(int* argc, char*** argv, int required, int* provided);
  using CommRankFn = int (*)(Comm comm, int* rank);
  using CommSizeFn = int (*)(Comm comm, int* size);
  using CommSplitTypeFn = int (*)(Comm comm, int split_type, int key, Info info, Comm* newcomm);
  using CommFreeFn = int (*)(Comm* comm);
  using CommSetErrhandlerFn = int (*)(Comm comm, Errhandler errhandler);
  using AllreduceFn = int (*)(const void* sendbuf, void* recvbuf, int count, Datatype datatype,
                              Op op, Comm comm);
  using BcastFn = int (*)(void* buffer, int count, Datatype datatype, int root, Comm comm);
  using BarrierFn = int (*)(Comm comm);
  using AbortFn = int (*)(Comm comm, int errorcode);
  using FinalizeFn = int (*)();
  using ErrorStringFn = int (*)(int errorcode, char* string, int* resultlen);
  using GetLibraryVersionFn = int (*)(char* version, int* resultlen);
  using QueryCudaSupportFn = int (*)();  // MPIX_Query_cuda_support, an extension: may be absent

  InitializedFn initialized;
  FinalizedFn finalized;
  InitThreadFn init_thread;
  CommRankFn comm_rank;
  CommSizeFn comm_size;
  CommSplitTypeFn comm_split_type;
  CommFreeFn comm_free;
  CommSetErrhandlerFn comm_set_errhandler;
  AllreduceFn allreduce;
  BcastFn bcast;
  BarrierFn barrier;
  AbortFn abort;
  FinalizeFn finalize;
  ErrorStringFn error_string;
  GetLibraryVersionFn get_library_version;
  QueryCudaSupportFn query_cuda_support;
};

// MPI counts are ints: longer buffers go in pieces of at most this many elements.
constexpr int kMpiMaxCount = INT_MAX;

}  // namespace lc
