// For CPU-only builds: every *_cuda function of such a build calls unavailable(), which
// throws lc::Error saying the addon was built without CUDA.
#pragma once

namespace lc {

[[noreturn]] void unavailable();

}  // namespace lc
