// Bindings of native/loss.h.
#include "binding.h"
#include "loss.h"

namespace lc {
namespace {

// B, C >= 1: the cross-entropy kernels' precondition.
void check_classes(int64_t B, int64_t C) {
  if (B < 1 || C < 1) throw Error("crossEntropy: B and C must be >= 1");
}

}  // namespace

LC_BINDING(crossEntropyForward) {  // {logits, labels, B, C} -> {loss (1 float), softmax [B, C]}
  Args a(info, "logits");
  const int64_t B = a.size("B"), C = a.size("C");
  check_classes(B, C);
  const float* logits = a.input("logits", B * C);
  const float* labels = a.input("labels", B);
  Result r(env, a.device());
  float* loss = r.add("loss", 1);
  float* softmax = r.add("softmax", B * C);
  cross_entropy_forward(a.device(), logits, labels, loss, softmax, B, C);
  return r.take();
}

LC_BINDING(crossEntropyBackward) {  // {softmax, labels, grad, B, C} -> {dlogits [B, C]}
  Args a(info, "softmax");
  const int64_t B = a.size("B"), C = a.size("C");
  check_classes(B, C);
  const float* softmax = a.input("softmax", B * C);
  const float* labels = a.input("labels", B);
  const float* grad = a.input("grad", 1);
  Result r(env, a.device());
  float* dlogits = r.add("dlogits", B * C);
  cross_entropy_backward(a.device(), softmax, labels, grad, dlogits, B, C);
  return r.take();
}

LC_BINDING(mseForward) {  // {a, b, n} -> {loss (1 float)}
  Args a(info, "a");
  const int64_t n = a.size("n");
  if (n < 1) throw Error("mse: n must be >= 1");
  const float* x = a.input("a", n);
  const float* y = a.input("b", n);
  Result r(env, a.device());
  float* loss = r.add("loss", 1);
  mse_forward(a.device(), x, y, loss, n);
  return r.take();
}

LC_BINDING(mseBackward) {  // {a, b, grad, n, needDa, needDb} -> {da, db}, null where not needed
  Args a(info, "a");
  const int64_t n = a.size("n");
  if (n < 1) throw Error("mse: n must be >= 1");
  const float* x = a.input("a", n);
  const float* y = a.input("b", n);
  const float* grad = a.input("grad", 1);
  Result r(env, a.device());
  float* da = r.add_if(a.flag("needDa"), "da", n);
  float* db = r.add_if(a.flag("needDb"), "db", n);
  mse_backward(a.device(), x, y, grad, da, db, n);
  return r.take();
}

}  // namespace lc
