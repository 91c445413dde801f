// Bindings of native/loss.h.
#include "binding.h"
#include "loss.h"

namespace lc {

LC_BINDING(crossEntropyForward) {  // (logits, labels, B, C) -> [loss (1 float), softmax [B, C]]
  Device dev = get_storage(info[0], "logits")->device;
  int64_t B = arg_int(info[2], "B"), C = arg_int(info[3], "C");
  if (B < 1 || C < 1) throw Error("crossEntropy: B and C must be >= 1");
  const float* logits = arg_buffer(info[0], "logits", dev, B * C);
  const float* labels = arg_buffer(info[1], "labels", dev, B);
  Napi::Object loss = new_storage(env, dev, 1);
  Napi::Object softmax = new_storage(env, dev, B * C);
  cross_entropy_forward(dev, logits, labels, data_of(loss), data_of(softmax), B, C);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, loss);
  out.Set(1u, softmax);
  return out;
}

LC_BINDING(crossEntropyBackward) {  // (softmax, labels, grad, B, C) -> dlogits [B, C]
  Device dev = get_storage(info[0], "softmax")->device;
  int64_t B = arg_int(info[3], "B"), C = arg_int(info[4], "C");
  if (B < 1 || C < 1) throw Error("crossEntropy: B and C must be >= 1");
  const float* softmax = arg_buffer(info[0], "softmax", dev, B * C);
  const float* labels = arg_buffer(info[1], "labels", dev, B);
  const float* grad = arg_buffer(info[2], "grad", dev, 1);
  Napi::Object dlogits = new_storage(env, dev, B * C);
  cross_entropy_backward(dev, softmax, labels, grad, data_of(dlogits), B, C);
  return dlogits;
}

LC_BINDING(mseForward) {  // (a, b, n) -> loss (1 float)
  Device dev = get_storage(info[0], "a")->device;
  int64_t n = arg_int(info[2], "n");
  if (n < 1) throw Error("mse: n must be >= 1");
  const float* a = arg_buffer(info[0], "a", dev, n);
  const float* b = arg_buffer(info[1], "b", dev, n);
  Napi::Object loss = new_storage(env, dev, 1);
  mse_forward(dev, a, b, data_of(loss), n);
  return loss;
}

LC_BINDING(mseBackward) {  // (a, b, grad, n, needDa, needDb) -> [da|null, db|null]
  Device dev = get_storage(info[0], "a")->device;
  int64_t n = arg_int(info[3], "n");
  if (n < 1) throw Error("mse: n must be >= 1");
  const float* a = arg_buffer(info[0], "a", dev, n);
  const float* b = arg_buffer(info[1], "b", dev, n);
  const float* grad = arg_buffer(info[2], "grad", dev, 1);
  float* ptr[2] = {nullptr, nullptr};
  Napi::Array out = Napi::Array::New(env, 2);
  for (uint32_t i = 0; i < 2; ++i) {
    if (!info[4 + i].ToBoolean()) {
      out.Set(i, env.Null());
      continue;
    }
    Napi::Object s = new_storage(env, dev, n);
    ptr[i] = data_of(s);
    out.Set(i, s);
  }
  mse_backward(dev, a, b, grad, ptr[0], ptr[1], n);
  return out;
}

}  // namespace lc
