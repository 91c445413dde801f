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

// A float32 buffer owned by a JS object. Freed by dispose() or, failing that, by the GC.
class Storage : public Napi::ObjectWrap<Storage> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Storage",
                       {InstanceMethod("dispose", &Storage::Dispose),
                        InstanceAccessor("numel", &Storage::Numel, nullptr),
                        InstanceAccessor("device", &Storage::DeviceName, nullptr),
                        InstanceAccessor("disposed", &Storage::Disposed, nullptr)});
  }
  explicit Storage(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Storage>(info) {}
  ~Storage() override { release(); }

  void release() {
    if (data) device_free(device, data);
    data = nullptr;
  }

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
