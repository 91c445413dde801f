// CPU half of native/fftconv.h.
//
// Spectrum layout (Kf and Uf): rows are grouped kFftLanes consecutive h at a time
// (G = ceil(H/8) groups; lanes past H are zero), and each group stores the m+1 = n/2+1 bins
// of its rows' real FFT lane-interleaved, 16 floats per bin (re of 8 rows, then im):
//   Kf[c][g][bin][re/im][lane]   (C*G*(m+1)*16 floats), scaled by 1/n so that the inverse
//                                 transform of a product needs no normalisation;
//   Uf[b][g][bin][re/im][lane]   (B*G*(m+1)*16 floats), unscaled.
// A group of 8 rows is the unit of work: every product of spectra is then lane-wise.
#include <algorithm>
#include <cstring>

#include "errors.h"
#include "fft.h"
#include "fftconv.h"
#include "storage.h"
#include "thread_pool.h"

namespace lc {
namespace {

int64_t lane_groups(int64_t H) { return (H + kFftLanes - 1) / kFftLanes; }
int64_t group_floats(int64_t L) { return (fftconv_size(L) / 2 + 1) * kCxFloats; }
int lanes_in_group(int64_t H, int64_t g) {
  return static_cast<int>(std::min<int64_t>(kFftLanes, H - g * kFftLanes));
}

// Backward splits the batch into chunks when there are fewer h-groups than this. A constant
// rather than the thread count, so that the summation order (and so the result, to the bit)
// does not depend on the number of threads.
constexpr int64_t kBackwardParallelTasks = 8;

}  // namespace

int64_t fftconv_kernel_spectrum_floats_cpu(int64_t C, int64_t H, int64_t L) {
  return C * lane_groups(H) * group_floats(L);
}

int64_t fftconv_input_spectrum_floats_cpu(int64_t B, int64_t H, int64_t L) {
  return B * lane_groups(H) * group_floats(L);
}

void fftconv_kernel_spectrum_cpu(const float* k, const float* kRev, const float* D, float* Kf,
                                 int64_t C, int64_t H, int64_t L) {
  const int64_t n = fftconv_size(L), G = lane_groups(H), spec = group_floats(L);
  const auto held_plan = fft_plan(n);  // keeps the plan alive while in use
  const FftPlan& plan = *held_plan;
  const float inv_n = 1.0f / static_cast<float>(n);
  // Without kRev the combined kernel is zero past L, and the FFT's packing skips the rest.
  const int64_t count = kRev ? n : L;
  parallel_for(C * G, 1, [&](int64_t begin, int64_t end) {
    WorkBuffer rows_buffer(kFftLanes * n + fft_work_floats(n));
    float* rows = rows_buffer.data();
    float* work = rows + kFftLanes * n;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t c = task / G, g = task % G;
      const int lanes = lanes_in_group(H, g);
      for (int lane = 0; lane < lanes; ++lane) {
        const int64_t row = c * H + g * kFftLanes + lane;
        float* kc = rows + lane * n;
        for (int64_t s = 0; s < L; ++s) kc[s] = k[row * L + s] * inv_n;
        if (D) kc[0] += D[row] * inv_n;
        if (kRev) {
          std::fill(kc + L, kc + n - L, 0.0f);
          for (int64_t s = 1; s <= L; ++s) kc[n - s] = kRev[row * L + s - 1] * inv_n;
        }
      }
      rfft_rows(plan, rows, n, lanes, count, Kf + task * spec, work);
    }
  });
}

void fftconv_forward_cpu(const float* u, const float* Kf, float* y, float* Uf, int64_t B, int64_t C,
                         int64_t H, int64_t L) {
  const int64_t n = fftconv_size(L), G = lane_groups(H), spec = group_floats(L);
  const auto held_plan = fft_plan(n);  // keeps the plan alive while in use
  const FftPlan& plan = *held_plan;
  parallel_for(B * G, 1, [&](int64_t begin, int64_t end) {
    WorkBuffer own_uf_buffer(spec + fft_work_floats(n));
    float* own_uf = own_uf_buffer.data();
    float* work = own_uf + spec;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / G, g = task % G;
      const int lanes = lanes_in_group(H, g);
      float* uf = Uf ? Uf + task * spec : own_uf;
      rfft_rows(plan, u + (b * H + g * kFftLanes) * L, L, lanes, L, uf, work);
      for (int64_t c = 0; c < C; ++c) {
        float* y_rows = y + ((b * C + c) * H + g * kFftLanes) * L;
        irfft_rows(plan, uf, Kf + (c * G + g) * spec, 1.0f, y_rows, L, lanes, L, work);
      }
    }
  });
}

void fftconv_backward_cpu(const float* dy, const float* Kf, const float* Uf, float* du, float* dk,
                          float* dkRev, float* dD, int64_t B, int64_t C, int64_t H, int64_t L) {
  const bool want_dkc = dk || dkRev || dD;
  if (!du && !want_dkc) return;
  const int64_t n = fftconv_size(L), G = lane_groups(H), spec = group_floats(L);
  const int64_t bins = spec / kCxFloats;
  const auto held_plan = fft_plan(n);  // keeps the plan alive while in use
  const FftPlan& plan = *held_plan;
  const FftKernels& kern = fft_kernels();
  const float inv_n = 1.0f / static_cast<float>(n);

  // The gradient of the combined kernel, sum_b DYf * conj(Uf), is accumulated per task. With
  // enough h-groups each task owns whole groups and finishes them itself; otherwise batch
  // chunks of the same group run in parallel and their accumulators are summed afterwards.
  const int64_t chunks = (want_dkc && G < kBackwardParallelTasks)
                             ? std::min<int64_t>(B, (kBackwardParallelTasks + G - 1) / G)
                             : 1;
  const int64_t per_chunk = (B + chunks - 1) / chunks;
  // [chunk][c][g] spectra, only when chunks > 1
  WorkBuffer shared_acc_buffer(chunks > 1 ? chunks * C * G * spec : 0);
  float* shared_acc = shared_acc_buffer.data();

  // Splits the kc gradient of one (c, group) spectrum back into dk, dkRev and dD.
  auto emit_kernel_grad = [&](const float* acc, int64_t c, int64_t g, float* rows, float* work) {
    const int lanes = lanes_in_group(H, g);
    irfft_rows(plan, acc, nullptr, inv_n, rows, n, lanes, n, work);
    for (int lane = 0; lane < lanes; ++lane) {
      const int64_t row = c * H + g * kFftLanes + lane;
      const float* grad = rows + lane * n;
      if (dk) std::memcpy(dk + row * L, grad, sizeof(float) * L);
      if (dkRev)
        for (int64_t s = 1; s <= L; ++s) dkRev[row * L + s - 1] = grad[n - s];
      if (dD) dD[row] = grad[0];
    }
  };

  parallel_for(G * chunks, 1, [&](int64_t begin, int64_t end) {
    const int64_t own_acc_floats = chunks > 1 ? 0 : (want_dkc ? C * spec : 0);
    WorkBuffer dyf_buffer(2 * spec + own_acc_floats + kFftLanes * n + fft_work_floats(n));
    float* dyf = dyf_buffer.data();
    float* du_spec = dyf + spec;
    float* own_acc = du_spec + spec;
    float* rows = own_acc + own_acc_floats;
    float* work = rows + kFftLanes * n;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t g = task / chunks, chunk = task % chunks;
      const int lanes = lanes_in_group(H, g);
      float* acc = chunks > 1 ? shared_acc + (chunk * C * G + g) * spec : own_acc;
      const int64_t acc_stride = chunks > 1 ? G * spec : spec;  // between consecutive c
      if (want_dkc)
        for (int64_t c = 0; c < C; ++c)
          std::fill(acc + c * acc_stride, acc + c * acc_stride + spec, 0.0f);
      const int64_t b_end = std::min(B, (chunk + 1) * per_chunk);
      for (int64_t b = chunk * per_chunk; b < b_end; ++b) {
        if (du) std::fill(du_spec, du_spec + spec, 0.0f);
        for (int64_t c = 0; c < C; ++c) {
          rfft_rows(plan, dy + ((b * C + c) * H + g * kFftLanes) * L, L, lanes, L, dyf, work);
          if (du) kern.mul_conj_acc(dyf, Kf + (c * G + g) * spec, bins, du_spec);
          if (want_dkc) kern.mul_conj_acc(dyf, Uf + (b * G + g) * spec, bins, acc + c * acc_stride);
        }
        if (du)
          irfft_rows(plan, du_spec, nullptr, 1.0f, du + (b * H + g * kFftLanes) * L, L, lanes, L,
                     work);
      }
      if (want_dkc && chunks == 1)
        for (int64_t c = 0; c < C; ++c) emit_kernel_grad(acc + c * spec, c, g, rows, work);
    }
  });

  if (chunks > 1) {
    parallel_for(C * G, 1, [&](int64_t begin, int64_t end) {
      WorkBuffer rows_buffer(kFftLanes * n + fft_work_floats(n));
      float* rows = rows_buffer.data();
      float* work = rows + kFftLanes * n;
      for (int64_t task = begin; task < end; ++task) {
        float* total = shared_acc + task * spec;  // chunk 0's accumulator for (c, g)
        for (int64_t chunk = 1; chunk < chunks; ++chunk) {
          const float* part = shared_acc + (chunk * C * G + task) * spec;
          for (int64_t i = 0; i < spec; ++i) total[i] += part[i];
        }
        emit_kernel_grad(total, task / G, task % G, rows, work);
      }
    });
  }
}

}  // namespace lc
