// LC_HOST_DEVICE marks functions that both the CPU code and, compiled by nvcc as
// __host__ __device__, the CUDA kernels call (native/sgconv_math.h, cuda/inverse_conj.h).
#pragma once

#ifdef __CUDACC__
#define LC_HOST_DEVICE __host__ __device__
#else
#define LC_HOST_DEVICE
#endif
