// Shared by the binding files: the Storage class that JS tensors hold, argument helpers that
// protect memory, and self-registration of exported functions. Shapes, devices and dtypes are
// validated in TypeScript (lib/); native code re-checks only what keeps memory safe (live
// buffers, sizes, devices), then dispatches to the CPU or CUDA kernel of the same name.
#pragma once
#include <napi.h>

#include <functional>
#include <string>
#include <vector>

#include "errors.h"
#include "storage.h"

namespace lc {

// Counts the Storages that stand for a live JS tensor (lc.memory()'s `tensors`), per device.
// Counted here rather than in JS so that a tensor the GC collects leaves the count in the same
// collection that frees its bytes: a FinalizationRegistry callback would only run once the
// event loop turned, and the two figures would disagree meanwhile.
void count_live_tensor(Device device, int delta);
int64_t live_tensors(Device device);
// Counts the buffers the GC freed because their Storage was collected undisposed (lc.memory()'s
// `collected`): a count that grows in a loop points at a missing dispose().
void count_collected(Device device);
int64_t collected_buffers(Device device);

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
                        InstanceAccessor("disposed", &Storage::Disposed, nullptr),
                        InstanceAccessor("countsAsTensor", &Storage::CountsAsTensor, &Storage::SetCountsAsTensor)});
  }
  explicit Storage(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Storage>(info), env(info.Env()) {}
  ~Storage() override {
    if (data) count_collected(device);
    release();
    set_counts_as_tensor(false);
  }

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
  // Set by the Tensor that wraps this storage while it is live (not disposed by the user).
  Napi::Value CountsAsTensor(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), counts_as_tensor); }
  void SetCountsAsTensor(const Napi::CallbackInfo&, const Napi::Value& value) { set_counts_as_tensor(value.ToBoolean()); }
  void set_counts_as_tensor(bool counts) {
    if (counts == counts_as_tensor) return;
    counts_as_tensor = counts;
    count_live_tensor(device, counts ? 1 : -1);
  }

  bool counts_as_tensor = false;
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
// An array of non-negative integers.
std::vector<int64_t> arg_dims(const Napi::Value& v, const char* name);
// Throws unless `v` is a number; returns it.
double arg_number(const Napi::Value& v, const char* name);
// The raw pointer of the storage `out` (after new_storage).
inline float* data_of(const Napi::Object& storage) { return Storage::Unwrap(storage)->data; }

// The named arguments of a kernel binding: one JS object, whose properties these readers fetch
// by name (each error names the property). Storages are checked for life, device and size: the
// call runs on the device of the storage named at construction, and every other storage must
// live there too.
class Args {
 public:
  // Without `device_of`, a call that reads no storage through input()/output().
  explicit Args(const Napi::CallbackInfo& info, const char* device_of = nullptr);
  Device device() const { return device_; }
  // A live storage on the call's device holding at least `numel` floats.
  const float* input(const char* name, int64_t numel) const;
  // The same, for a caller's storage that the kernel writes.
  float* output(const char* name, int64_t numel) const;
  // As input(), or nullptr for null/undefined.
  const float* optional(const char* name, int64_t numel) const;
  // input() when `needed`, else nullptr without reading the property.
  const float* input_if(bool needed, const char* name, int64_t numel) const;
  // A live storage on any device.
  Storage* storage(const char* name) const;
  int64_t size(const char* name) const;               // a non-negative integer
  std::vector<int64_t> dims(const char* name) const;  // an array of non-negative integers
  double number(const char* name) const;
  bool flag(const char* name) const;  // a boolean
  Napi::Value value(const char* name) const { return object_.Get(name); }
  // Whether the property is set (neither null nor undefined).
  bool has(const char* name) const;

 private:
  Napi::Object object_;
  Device device_ = Device::CPU;
};

// A kernel binding's result: an object of new storages on the call's device, by name. When the
// binding throws before returning it, the storages made so far are freed at once.
class Result {
 public:
  Result(Napi::Env env, Device device) : device_(device), object_(Napi::Object::New(env)) {}
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result();
  // A new storage of `numel` floats (uninitialised) under `name`.
  float* add(const char* name, int64_t numel);
  // add() when `wanted`, else null under `name` (and nullptr).
  float* add_if(bool wanted, const char* name, int64_t numel);
  // A new storage, freed with the others if the binding throws, for the caller to place.
  Napi::Object make(int64_t numel);
  void set(const char* name, Napi::Value value) { object_.Set(name, value); }
  // The object, now owned by JS.
  Napi::Object take();

 private:
  Device device_;
  Napi::Object object_;
  std::vector<Storage*> made_;
};

// The sizes of a modal op (cauchy, vandermonde): R rows, of which every Rp-th shares a parameter
// row (R a multiple of Rp), N modes, length L. `rp_name` names Rp ("Rw", "Rx"). Checks the
// kernels' preconditions.
struct ModalSizes {
  int64_t R, Rp, N, L;
};
inline ModalSizes modal_sizes(const Args& a, const char* op, const char* rp_name) {
  const ModalSizes s{a.size("R"), a.size(rp_name), a.size("N"), a.size("L")};
  if (s.R < 1 || s.Rp < 1 || s.N < 1 || s.L < 1 || s.R % s.Rp != 0)
    throw Error(std::string(op) + ": R, " + rp_name + ", N and L must be >= 1, with R a multiple of " +
                rp_name);
  return s;
}

// The [outer, n, inner] view of an op along one axis (softmax, max/min): sizes read from the
// call, n >= 1 (the kernels' precondition). `op` names the op in the error.
struct AxisSlices {
  int64_t outer, n, inner;
  int64_t total() const { return outer * n * inner; }
};
inline AxisSlices axis_slices(const Args& a, const char* op) {
  const AxisSlices s{a.size("outer"), a.size("n"), a.size("inner")};
  if (s.n < 1) throw Error(std::string(op) + ": n must be >= 1");
  return s;
}

// Runs a binding body, turning native errors into JS exceptions (out-of-memory gets a code).
Napi::Value guarded(const Napi::CallbackInfo& info,
                    const std::function<Napi::Value(Napi::Env)>& body);

// Exported functions register themselves at load time:
//   LC_BINDING(fftconvForward) { ... return value; }   // body runs inside guarded()
// Kernel bindings take one object of named arguments (Args) and return one object (Result).
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
