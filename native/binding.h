// Shared by the binding files: the Storage class that JS tensors hold, argument helpers that
// protect memory, and self-registration of exported functions. Shapes, devices and dtypes are
// validated in TypeScript (lib/); native code re-checks only what keeps memory safe (live
// buffers, sizes, devices), then dispatches to the CPU or CUDA kernel of the same name.
#pragma once
#include <napi.h>

#include <functional>
#include <string>

#include "errors.h"
#include "storage.h"

namespace lc {

// A float32 buffer owned by a JS object. Freed by dispose() or, failing that, by the GC: the
// addon is built against Node-API's experimental version (CMakeLists.txt), under which Node runs
// wrapper finalizers inside the garbage collection that found them dead instead of on a later
// turn of the event loop, so a synchronous loop that forgets dispose() is rescued by the GC.
// The destructor therefore touches no JS. V8 is told the buffer's size (external memory), so
// it collects sooner when native memory grows.
class Storage : public Napi::ObjectWrap<Storage> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Storage",
                       {InstanceMethod("dispose", &Storage::Dispose),
                        InstanceAccessor("numel", &Storage::Numel, nullptr),
                        InstanceAccessor("device", &Storage::DeviceName, nullptr),
                        InstanceAccessor("disposed", &Storage::Disposed, nullptr)});
  }
  explicit Storage(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Storage>(info), env(info.Env()) {}
  ~Storage() override { release(); }

  // Takes `numel` floats on `device` and reports them to V8.
  void allocate(Device d, int64_t n) {
    data = device_alloc(d, n);
    device = d;
    numel = n;
    int64_t total = 0;
    napi_adjust_external_memory(env, device_bytes(n), &total);
  }
  void release() {
    if (!data) return;
    device_free(device, data);
    data = nullptr;
    int64_t total = 0;
    napi_adjust_external_memory(env, -device_bytes(numel), &total);
  }

  napi_env env;
  Device device = Device::CPU;
  float* data = nullptr;
  int64_t numel = 0;

 private:
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    release();
    return info.Env().Undefined();
  }
  Napi::Value Numel(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(numel)); }
  Napi::Value DeviceName(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), device_name(device));
  }
  Napi::Value Disposed(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), data == nullptr);
  }
};

// Creates a Storage of `numel` floats on `device` (uninitialised).
Napi::Object new_storage(Napi::Env env, Device device, int64_t numel);
Device parse_device(const Napi::Value& v);
// The live Storage behind a JS value; throws when it is missing or disposed.
Storage* get_storage(const Napi::Value& v, const char* name);
// A live storage with at least `numel` floats on `device`; with `optional`, null/undefined
// gives nullptr.
float* arg_buffer(const Napi::Value& v, const char* name, Device device, int64_t numel,
                  bool optional = false);
// A non-negative integer argument.
int64_t arg_int(const Napi::Value& v, const char* name);
// Throws unless `v` is a number; returns it.
double arg_number(const Napi::Value& v, const char* name);
// The raw pointer of the storage `out` (after new_storage).
inline float* data_of(const Napi::Object& storage) { return Storage::Unwrap(storage)->data; }

// The sizes of a modal op (cauchy, vandermonde), read from info[first..first+3]: R rows, of which
// every Rp-th shares a parameter row (R a multiple of Rp), N modes, length L. `rp_name` names Rp
// in the arguments and the error ("Rw", "Rx").
struct ModalDims {
  int64_t R, Rp, N, L;
};
inline ModalDims modal_dims(const Napi::CallbackInfo& info, int first, const char* op,
                            const char* rp_name) {
  ModalDims d{arg_int(info[first], "R"), arg_int(info[first + 1], rp_name),
              arg_int(info[first + 2], "N"), arg_int(info[first + 3], "L")};
  if (d.R < 1 || d.Rp < 1 || d.N < 1 || d.L < 1 || d.R % d.Rp != 0)
    throw Error(std::string(op) + ": R, " + rp_name + ", N and L must be >= 1, with R a multiple of " +
                rp_name);
  return d;
}

// The gradients a backward binding was asked for: for each i, a new storage of sizes[i] floats
// on `device` when need[i] (its data in ptr[i]), else null (ptr[i] = nullptr).
template <size_t K>
Napi::Array optional_grads(Napi::Env env, Device device, const bool (&need)[K],
                           const int64_t (&sizes)[K], float* (&ptr)[K]) {
  Napi::Array out = Napi::Array::New(env, K);
  for (uint32_t i = 0; i < K; ++i) {
    ptr[i] = nullptr;
    if (!need[i]) {
      out.Set(i, env.Null());
      continue;
    }
    Napi::Object s = new_storage(env, device, sizes[i]);
    ptr[i] = data_of(s);
    out.Set(i, s);
  }
  return out;
}

// Runs a binding body, turning native errors into JS exceptions (out-of-memory gets a code).
Napi::Value guarded(const Napi::CallbackInfo& info,
                    const std::function<Napi::Value(Napi::Env)>& body);

// Exported functions register themselves at load time:
//   LC_BINDING(fftconvForward) { ... return value; }   // body runs inside guarded()
using BindingFn = Napi::Value (*)(const Napi::CallbackInfo&, Napi::Env);
struct BindingRegistrar {
  BindingRegistrar(const char* name, BindingFn fn);
};

}  // namespace lc

#define LC_BINDING(jsName)                                                               \
  static Napi::Value binding_##jsName(const Napi::CallbackInfo& info, Napi::Env env);    \
  static ::lc::BindingRegistrar registrar_##jsName(#jsName, binding_##jsName);           \
  static Napi::Value binding_##jsName([[maybe_unused]] const Napi::CallbackInfo& info,   \
                                      [[maybe_unused]] Napi::Env env)
