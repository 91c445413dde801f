// The ops that Tensor's chainable methods call (lib/tensor.ts), gathered in one module.
export { add, sub, mul, div, neg, exp, log, sqrt, square, scale, addScalar } from './ops/elementwise';
export { gelu, sigmoid, tanh, relu } from './ops/activations';
export { softmax, logSoftmax } from './ops/softmax';
export { sum, mean } from './ops/reduce';
export { max, min, argmax, argmin } from './ops/max_min';
export { reshape, permute, transpose, narrow } from './ops/shape';
export { matmul } from './ops/linear';
