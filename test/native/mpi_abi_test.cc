// Checks native/mpi_abi.h — the MPI declarations that let the addon drive libmpi without its
// headers — against a vendor's mpi.h: every handle type and function signature exactly (at
// compile time), every constant, and Open MPI's predefined handles as the addresses of the
// symbols the loader looks up. Two targets of CMakeLists.txt, run by scripts/test-native.sh:
// mpi_abi_test_openmpi (Open MPI's headers, -DLC_OPENMPI, its libmpi) and mpi_abi_test_mpich.
#include <dlfcn.h>
#include <mpi.h>
#ifdef LC_OPENMPI
#include <mpi-ext.h>  // MPIX_Query_cuda_support
#endif

#include <cstdio>
#include <cstdlib>
#include <type_traits>

#include "mpi_abi.h"

#ifdef LC_OPENMPI
using Abi = lc::OpenMpiAbi;
#else
using Abi = lc::MpichAbi;
#endif
using F = lc::MpiFunctions<Abi>;

static_assert(std::is_same_v<MPI_Comm, Abi::Comm>);
static_assert(std::is_same_v<MPI_Datatype, Abi::Datatype>);
static_assert(std::is_same_v<MPI_Op, Abi::Op>);
static_assert(std::is_same_v<MPI_Info, Abi::Info>);
static_assert(std::is_same_v<MPI_Errhandler, Abi::Errhandler>);

static_assert(std::is_same_v<decltype(&MPI_Initialized), F::InitializedFn>);
static_assert(std::is_same_v<decltype(&MPI_Finalized), F::FinalizedFn>);
static_assert(std::is_same_v<decltype(&MPI_Init_thread), F::InitThreadFn>);
static_assert(std::is_same_v<decltype(&MPI_Comm_rank), F::CommRankFn>);
static_assert(std::is_same_v<decltype(&MPI_Comm_size), F::CommSizeFn>);
static_assert(std::is_same_v<decltype(&MPI_Comm_split_type), F::CommSplitTypeFn>);
static_assert(std::is_same_v<decltype(&MPI_Comm_free), F::CommFreeFn>);
static_assert(std::is_same_v<decltype(&MPI_Comm_set_errhandler), F::CommSetErrhandlerFn>);
static_assert(std::is_same_v<decltype(&MPI_Allreduce), F::AllreduceFn>);
static_assert(std::is_same_v<decltype(&MPI_Bcast), F::BcastFn>);
static_assert(std::is_same_v<decltype(&MPI_Barrier), F::BarrierFn>);
static_assert(std::is_same_v<decltype(&MPI_Abort), F::AbortFn>);
static_assert(std::is_same_v<decltype(&MPI_Finalize), F::FinalizeFn>);
static_assert(std::is_same_v<decltype(&MPI_Error_string), F::ErrorStringFn>);
static_assert(std::is_same_v<decltype(&MPI_Get_library_version), F::GetLibraryVersionFn>);
static_assert(std::is_same_v<decltype(&MPIX_Query_cuda_support), F::QueryCudaSupportFn>);

static_assert(MPI_SUCCESS == lc::kMpiSuccess);
static_assert(MPI_THREAD_SERIALIZED == lc::kMpiThreadSerialized);
static_assert(MPI_COMM_TYPE_SHARED == Abi::kCommTypeShared);
static_assert(MPI_MAX_ERROR_STRING == Abi::kMaxErrorString);
static_assert(MPI_MAX_LIBRARY_VERSION_STRING == Abi::kMaxLibraryVersionString);
#ifndef LC_OPENMPI
static_assert(MPI_COMM_WORLD == Abi::kCommWorld);
static_assert(MPI_FLOAT == Abi::kFloat);
static_assert(MPI_BYTE == Abi::kByte);
static_assert(MPI_SUM == Abi::kSum);
static_assert(MPI_INFO_NULL == Abi::kInfoNull);
static_assert(MPI_ERRORS_RETURN == Abi::kErrorsReturn);
#endif

namespace {

int failures = 0;

void expect(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++failures;
}

#ifdef LC_OPENMPI
// The loader finds each predefined handle as the address of a symbol, by name.
template <class Handle>
bool is_symbol(Handle handle, const char* symbol) {
  return dlsym(RTLD_DEFAULT, symbol) == static_cast<void*>(handle);
}
#endif

}  // namespace

int main() {
  expect(MPI_IN_PLACE == Abi::in_place(), "MPI_IN_PLACE");
#ifdef LC_OPENMPI
  expect(is_symbol(MPI_COMM_WORLD, Abi::kCommWorldSymbol), "MPI_COMM_WORLD is &ompi_mpi_comm_world");
  expect(is_symbol(MPI_FLOAT, Abi::kFloatSymbol), "MPI_FLOAT is &ompi_mpi_float");
  expect(is_symbol(MPI_BYTE, Abi::kByteSymbol), "MPI_BYTE is &ompi_mpi_byte");
  expect(is_symbol(MPI_SUM, Abi::kSumSymbol), "MPI_SUM is &ompi_mpi_op_sum");
  expect(is_symbol(MPI_INFO_NULL, Abi::kInfoNullSymbol), "MPI_INFO_NULL is &ompi_mpi_info_null");
  expect(is_symbol(MPI_ERRORS_RETURN, Abi::kErrorsReturnSymbol), "MPI_ERRORS_RETURN is &ompi_mpi_errors_return");
#endif
  std::printf("mpi_abi_test (%s): %s\n", Abi::kName, failures ? "FAILED" : "all passed");
  return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
