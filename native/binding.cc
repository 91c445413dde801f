// The addon's entry point: Storage, device transfers, backend queries, the op codes, the
// argument readers of kernel bindings, and the registry that every op's *_binding.cc file adds
// its functions to.
#include "binding.h"

#include <algorithm>
#include <atomic>
#include <utility>
#include <vector>

#include "cpu_simd.h"
#include "cuda_backend.h"
#include "dispatch.h"
#include "elementwise.h"
#include "gemm.h"
#include "host_cache.h"
#include "thread_pool.h"

namespace lc {

struct AddonData {
  Napi::FunctionReference storage_ctor;
};

namespace {

std::vector<std::pair<const char*, BindingFn>>& registry() {
  static std::vector<std::pair<const char*, BindingFn>> fns;
  return fns;
}

}  // namespace

BindingRegistrar::BindingRegistrar(const char* name, BindingFn fn) { registry().emplace_back(name, fn); }

// Process-wide, like the memory they stand for (worker threads share the allocator).
std::atomic<int64_t> live_tensor_counts[2];
std::atomic<int64_t> collected_counts[2];

void count_live_tensor(Device device, int delta) { live_tensor_counts[int(device)] += delta; }
int64_t live_tensors(Device device) { return live_tensor_counts[int(device)]; }
void count_collected(Device device) { collected_counts[int(device)]++; }
int64_t collected_buffers(Device device) { return collected_counts[int(device)]; }

Napi::Object new_storage(Napi::Env env, Device device, int64_t numel) {
  Napi::Object obj = env.GetInstanceData<AddonData>()->storage_ctor.New({});
  Storage::Unwrap(obj)->allocate(device, numel);
  return obj;
}

Device parse_device(const Napi::Value& v) {
  std::string name = v.ToString();
  if (name == "cpu") return Device::CPU;
  if (name == "cuda") return Device::CUDA;
  throw Error("unknown device '" + name + "'");
}

Storage* get_storage(const Napi::Value& v, const char* name) {
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(
                           v.Env().GetInstanceData<AddonData>()->storage_ctor.Value()))
    throw Error(std::string(name) + ": expected a storage");
  Storage* s = Storage::Unwrap(v.As<Napi::Object>());
  if (!s->data) throw Error(std::string(name) + ": storage was disposed");
  return s;
}

float* arg_buffer(const Napi::Value& v, const char* name, Device device, int64_t numel,
                  bool optional) {
  if (optional && (v.IsNull() || v.IsUndefined())) return nullptr;
  Storage* s = get_storage(v, name);
  if (s->device != device) throw Error(std::string(name) + ": on the wrong device");
  if (s->numel < numel)
    throw Error(std::string(name) + ": holds " + std::to_string(s->numel) + " floats, needs " +
                std::to_string(numel));
  return s->data;
}

double arg_number(const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) throw Error(std::string(name) + ": expected a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t arg_int(const Napi::Value& v, const char* name) {
  double d = arg_number(v, name);
  if (!(d >= 0) || d != double(int64_t(d)) || d > 9.0e15)
    throw Error(std::string(name) + ": expected a non-negative integer");
  return int64_t(d);
}

Args::Args(const Napi::CallbackInfo& info, const char* device_of) {
  if (info.Length() != 1 || !info[0].IsObject() || info[0].IsArray())
    throw Error("expected one object of named arguments");
  object_ = info[0].As<Napi::Object>();
  if (device_of) device_ = storage(device_of)->device;
}

const float* Args::input(const char* name, int64_t numel) const {
  return arg_buffer(object_.Get(name), name, device_, numel);
}

float* Args::output(const char* name, int64_t numel) const {
  return arg_buffer(object_.Get(name), name, device_, numel);
}

const float* Args::optional(const char* name, int64_t numel) const {
  return arg_buffer(object_.Get(name), name, device_, numel, true);
}

const float* Args::input_if(bool needed, const char* name, int64_t numel) const {
  return needed ? input(name, numel) : nullptr;
}

Storage* Args::storage(const char* name) const { return get_storage(object_.Get(name), name); }

int64_t Args::size(const char* name) const { return arg_int(object_.Get(name), name); }

std::vector<int64_t> Args::dims(const char* name) const { return arg_dims(object_.Get(name), name); }

bool Args::has(const char* name) const {
  const Napi::Value v = object_.Get(name);
  return !v.IsNull() && !v.IsUndefined();
}

double Args::number(const char* name) const { return arg_number(object_.Get(name), name); }

bool Args::flag(const char* name) const {
  const Napi::Value v = object_.Get(name);
  if (!v.IsBoolean()) throw Error(std::string(name) + ": expected a boolean");
  return v.As<Napi::Boolean>().Value();
}

Result::~Result() {
  for (Storage* s : made_) s->release();  // only left when the binding threw
}

Napi::Object Result::make(int64_t numel) {
  Napi::Object s = new_storage(object_.Env(), device_, numel);
  made_.push_back(Storage::Unwrap(s));
  return s;
}

float* Result::add(const char* name, int64_t numel) {
  Napi::Object s = make(numel);
  object_.Set(name, s);
  return data_of(s);
}

float* Result::add_if(bool wanted, const char* name, int64_t numel) {
  if (wanted) return add(name, numel);
  object_.Set(name, object_.Env().Null());
  return nullptr;
}

Napi::Object Result::take() {
  made_.clear();
  return object_;
}

std::vector<int64_t> arg_dims(const Napi::Value& v, const char* name) {
  if (!v.IsArray()) throw Error(std::string(name) + ": expected an array");
  const Napi::Array arr = v.As<Napi::Array>();
  std::vector<int64_t> dims(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) dims[i] = arg_int(arr.Get(i), name);
  return dims;
}

namespace {

// Rethrows the exception in flight as the JS error it stands for. Out of memory gets the code
// ERR_LONGCONV_OUT_OF_MEMORY, CUDA where it cannot run ERR_LONGCONV_CUDA_UNAVAILABLE;
// lc::RangeError becomes a RangeError.
[[noreturn]] void rethrow_as_js(Napi::Env env) {
  auto coded = [&](const char* what, const char* code) {
    Napi::Error err = Napi::Error::New(env, what);
    err.Set("code", Napi::String::New(env, code));
    return err;
  };
  auto out_of_memory = [&](const char* what) { return coded(what, "ERR_LONGCONV_OUT_OF_MEMORY"); };
  try {
    throw;
  } catch (const Napi::Error&) {
    throw;
  } catch (const OutOfMemory& e) {
    throw out_of_memory(e.what());
  } catch (const std::bad_alloc&) {
    throw out_of_memory("CPU out of memory (work space of a native kernel)");
  } catch (const RangeError& e) {
    throw Napi::RangeError::New(env, e.what());
  } catch (const CudaUnavailable& e) {
    throw coded(e.what(), "ERR_LONGCONV_CUDA_UNAVAILABLE");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("longconv native: ") + e.what());
  }
}

}  // namespace

Napi::Value guarded(const Napi::CallbackInfo& info,
                    const std::function<Napi::Value(Napi::Env)>& body) {
  Napi::Env env = info.Env();
  try {
    return body(env);
  } catch (...) {
    rethrow_as_js(env);
  }
}

namespace {

Napi::Float32Array arg_float32_array(const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Error(std::string(name) + ": expected a Float32Array");
  return v.As<Napi::Float32Array>();
}

}  // namespace

// ---- storage ----

LC_BINDING(alloc) {  // (device, numel, zero) -> Storage
  Device d = parse_device(info[0]);
  int64_t n = arg_int(info[1], "numel");
  Napi::Object s = new_storage(env, d, n);
  if (info[2].ToBoolean()) device_zero(d, data_of(s), n);
  return s;
}

LC_BINDING(fromArray) {  // (device, Float32Array) -> Storage
  Device d = parse_device(info[0]);
  Napi::Float32Array arr = arg_float32_array(info[1], "data");
  int64_t n = int64_t(arr.ElementLength());
  Napi::Object obj = new_storage(env, d, n);
  copy_between(d, data_of(obj), Device::CPU, arr.Data(), n);
  return obj;
}

// (storage, Float32Array): copies the first dst.length floats of the storage into dst. The
// caller allocates dst in JS, where a failed allocation is a catchable RangeError; a typed
// array that V8 cannot allocate in native code aborts the process instead.
LC_BINDING(readInto) {
  Storage* s = get_storage(info[0], "storage");
  Napi::Float32Array dst = arg_float32_array(info[1], "dst");
  int64_t n = int64_t(dst.ElementLength());
  if (n > s->numel) throw Error("readInto: dst is longer than the storage");
  copy_between(Device::CPU, dst.Data(), s->device, s->data, n);
  return env.Undefined();
}

namespace {

// Finishes an asynchronous CUDA read on a libuv worker thread, then settles its promise on the
// JS thread: waiting for the device never blocks the event loop.
class DeviceReadWorker : public Napi::AsyncWorker {
 public:
  DeviceReadWorker(Napi::Env env, CudaHostRead* read, Napi::Float32Array dst)
      : Napi::AsyncWorker(env, "longconv.readIntoAsync"),
        read_(read),
        dst_data_(dst.Data()),
        dst_(Napi::Persistent(dst)),  // keeps dst's memory alive until the copy is done
        deferred_(Napi::Promise::Deferred::New(env)) {}
  ~DeviceReadWorker() override {
    if (read_) cuda_read_discard(read_);
  }
  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    CudaHostRead* read = read_;
    read_ = nullptr;  // cuda_read_finish frees it, also when it throws
    try {
      cuda_read_finish(read, dst_data_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  CudaHostRead* read_;
  float* dst_data_;
  Napi::Reference<Napi::Float32Array> dst_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

// (storage, Float32Array) -> Promise: readInto without blocking the event loop. On the CPU the
// copy is made at once (there is nothing to wait for); on CUDA it is queued behind the work
// already submitted and a worker thread waits for it.
LC_BINDING(readIntoAsync) {
  Storage* s = get_storage(info[0], "storage");
  Napi::Float32Array dst = arg_float32_array(info[1], "dst");
  int64_t n = int64_t(dst.ElementLength());
  if (n > s->numel) throw Error("readIntoAsync: dst is longer than the storage");
  if (s->device == Device::CPU) {
    copy_between(Device::CPU, dst.Data(), s->device, s->data, n);
    Napi::Promise::Deferred done = Napi::Promise::Deferred::New(env);
    done.Resolve(env.Undefined());
    return done.Promise();
  }
  CudaHostRead* read = cuda_read_begin(s->data, size_t(n) * sizeof(float));
  auto* worker = new DeviceReadWorker(env, read, dst);
  Napi::Promise promise = worker->promise();
  worker->Queue();  // the worker deletes itself when done
  return promise;
}

LC_BINDING(copyTo) {  // (storage, device) -> a copy on that device
  Storage* s = get_storage(info[0], "storage");
  Device d = parse_device(info[1]);
  Napi::Object obj = new_storage(env, d, s->numel);
  copy_between(d, data_of(obj), s->device, s->data, s->numel);
  return obj;
}

// (dst, src): overwrites dst with src (same number of floats, any devices). For loading
// parameters in place and for optimizers.
LC_BINDING(copyInto) {
  Storage* dst = get_storage(info[0], "dst");
  Storage* src = get_storage(info[1], "src");
  if (dst->numel != src->numel)
    throw Error("copyInto: sizes differ (" + std::to_string(dst->numel) + " and " +
                std::to_string(src->numel) + " floats)");
  copy_between(dst->device, dst->data, src->device, src->data, src->numel);
  return env.Undefined();
}

// ---- backend ----

LC_BINDING(backendInfo) {
  Napi::Object cpu = Napi::Object::New(env);
  cpu.Set("threads", num_threads());
  cpu.Set("simd", cpu_simd_name());
  Napi::Object cuda = Napi::Object::New(env);
  const CudaInfo& ci = cuda_info();
  cuda.Set("available", ci.available);
  cuda.Set("compiled", kWithCuda);
  if (ci.runtimeVersion) cuda.Set("runtimeVersion", cuda_version_words(ci.runtimeVersion));
  if (ci.driverVersion) cuda.Set("driverVersion", cuda_version_words(ci.driverVersion));
  if (!ci.available) {
    cuda.Set("reason", ci.reason);
  } else {
    cuda.Set("device", ci.device);
    cuda.Set("computeCapability", std::to_string(ci.ccMajor) + "." + std::to_string(ci.ccMinor));
    cuda.Set("memoryBytes", double(ci.memoryBytes));
    cuda.Set("cufftVersion", ci.cufftVersion);
    cuda.Set("cufftPath", ci.cufftPath);
    cuda.Set("cublasAvailable", ci.cublasReason.empty());
    if (ci.cublasVersion) cuda.Set("cublasVersion", ci.cublasVersion);
    cuda.Set(ci.cublasReason.empty() ? "cublasPath" : "cublasReason",
             ci.cublasReason.empty() ? ci.cublasPath : ci.cublasReason);
    if (ci.memoryClockKHz > 0 && ci.memoryBusWidthBits > 0)  // double data rate
      cuda.Set("peakBandwidthBytesPerSecond", 2.0 * ci.memoryClockKHz * 1e3 * ci.memoryBusWidthBits / 8);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("cpu", cpu);
  out.Set("cuda", cuda);
  return out;
}

LC_BINDING(memoryStats) {
  auto cache_object = [&](const CacheStats& s) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("bytes", double(s.bytes));
    o.Set("entries", double(s.entries));
    o.Set("evictions", double(s.evictions));
    auto limit = [&](int64_t v) { return v < 0 ? env.Null() : Napi::Number::New(env, double(v)); };
    o.Set("limitBytes", limit(s.limitBytes));
    o.Set("limitEntries", limit(s.limitEntries));
    return o;
  };
  CpuMemoryStats c = cpu_memory_stats();
  Napi::Object cpu = Napi::Object::New(env);
  cpu.Set("tensors", double(live_tensors(Device::CPU)));
  cpu.Set("collected", double(collected_buffers(Device::CPU)));
  cpu.Set("bytes", double(c.bytes));
  cpu.Set("allocations", double(c.allocations));
  cpu.Set("reservedBytes", double(c.reservedBytes));
  cpu.Set("caches", cache_object(cpu_cache_stats()));
  CudaMemoryStats g = cuda_info().available ? cuda_memory_stats() : CudaMemoryStats{};
  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("tensors", double(live_tensors(Device::CUDA)));
  cuda.Set("collected", double(collected_buffers(Device::CUDA)));
  cuda.Set("bytes", double(g.allocatedBytes));
  cuda.Set("reservedBytes", double(g.reservedBytes));
  cuda.Set("allocations", double(g.allocations));
  // cuFFT plans: bounded by their number (their device memory is cuFFT's, not measured).
  cuda.Set("caches", cache_object(CacheStats{0, g.fftPlans, g.fftPlanEvictions, -1, g.fftPlanLimit}));
  Napi::Object out = Napi::Object::New(env);
  out.Set("cpu", cpu);
  out.Set("cuda", cuda);
  return out;
}

LC_BINDING(emptyCache) {
  cpu_cache_clear();
  if (cuda_info().available) cuda_empty_cache();
  return env.Undefined();
}

LC_BINDING(setCacheLimit) {  // (bytes): the CPU cache budget (native/host_cache.h)
  set_cpu_cache_limit(arg_int(info[0], "bytes"));
  return env.Undefined();
}

LC_BINDING(failAllocationAfter) {  // (n): test/memory.test.ts
  fail_allocation_after(arg_int(info[0], "n"));
  return env.Undefined();
}

LC_BINDING(synchronize) {
  if (cuda_info().available) cuda_synchronize();
  return env.Undefined();
}

// Benchmark timing with CUDA events on the default stream (see cuda_timer_start).
LC_BINDING(cudaTimerStart) {
  cuda_timer_start();
  return env.Undefined();
}

LC_BINDING(cudaTimerStopMs) { return Napi::Number::New(env, cuda_timer_stop_ms()); }

LC_BINDING(setNumThreads) {
  set_num_threads(arg_int(info[0], "n"));
  return env.Undefined();
}

LC_BINDING(numThreads) { return Napi::Number::New(env, num_threads()); }

// The complaint about a bad $LONGCONV_NUM_THREADS, once per process ('' otherwise).
LC_BINDING(numThreadsEnvWarning) { return Napi::String::New(env, num_threads_env_warning()); }

// native.opCodes: {binary: {add: 0, ...}, unary: {...}, gemmBias: {...}}, from the lists in
// native/elementwise.h and native/gemm.h, so JS never spells a code itself.
Napi::Object op_codes(Napi::Env env) {
  Napi::Object all = Napi::Object::New(env);
  auto kind = [&](const char* name) {
    Napi::Object codes = Napi::Object::New(env);
    all.Set(name, codes);
    return codes;
  };
#define LC_SET_CODE(member, jsName) codes.Set(#jsName, int(E::member));
  {
    using E = BinaryOp;
    Napi::Object codes = kind("binary");
    LC_BINARY_OPS(LC_SET_CODE)
  }
  {
    using E = UnaryOp;
    Napi::Object codes = kind("unary");
    LC_UNARY_OPS(LC_SET_CODE)
  }
  {
    using E = GemmBias;
    Napi::Object codes = kind("gemmBias");
    LC_GEMM_BIAS(LC_SET_CODE)
  }
#undef LC_SET_CODE
  return all;
}

}  // namespace lc

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using namespace lc;
  auto* data = new AddonData();
  Napi::Function ctor = Storage::Define(env);
  data->storage_ctor = Napi::Persistent(ctor);
  env.SetInstanceData<AddonData>(data);
  exports.Set("Storage", ctor);
  exports.Set("opCodes", op_codes(env));
  for (auto& [name, fn] : registry()) {
    exports.Set(name, Napi::Function::New(env, [fn = fn](const Napi::CallbackInfo& info) {
                  return guarded(info, [&](Napi::Env env) { return fn(info, env); });
                }));
  }
  return exports;
}

NODE_API_MODULE(longconv, Init)
