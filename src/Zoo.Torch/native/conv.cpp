// Convolutional networks' ops: convolution, transposed convolution, batch normalisation and upsampling, on
// libtorch's own kernels (oneDNN for the convolutions on this CPU) with their autograd; the shim only marshals.
#include "shim.h"

namespace {
at::IntArrayRef pair(const int64_t* v) { return at::IntArrayRef(v, 2); }
c10::optional<at::Tensor> maybe(T t) { return t ? c10::optional<at::Tensor>(*t) : c10::nullopt; }
}  // namespace

ZT_API T zt_conv2d(T x, T w, T b, const int64_t* stride, const int64_t* padding, const int64_t* dilation, int64_t groups) {
  ZT_TRY(return wrap(at::conv2d(*x, *w, maybe(b), pair(stride), pair(padding), pair(dilation), groups));)
  return nullptr;
}

ZT_API T zt_conv_transpose2d(T x, T w, T b, const int64_t* stride, const int64_t* padding, const int64_t* output_padding,
                             int64_t groups, const int64_t* dilation) {
  ZT_TRY(return wrap(at::conv_transpose2d(*x, *w, maybe(b), pair(stride), pair(padding), pair(output_padding), groups,
                                          pair(dilation)));)
  return nullptr;
}

// In training mode the batch's statistics normalise and the running estimates are updated in place
// (running = (1 − momentum)·running + momentum·batch, the variance unbiased); in eval mode the running estimates normalise.
ZT_API T zt_batch_norm(T x, T weight, T bias, T running_mean, T running_var, bool training, double momentum, double eps) {
  ZT_TRY(return wrap(at::batch_norm(*x, maybe(weight), maybe(bias), maybe(running_mean), maybe(running_var), training,
                                    momentum, eps, /*cudnn_enabled=*/false));)
  return nullptr;
}

ZT_API T zt_upsample_nearest2d(T x, const int64_t* size) {
  ZT_TRY(return wrap(at::upsample_nearest2d(*x, pair(size)));)
  return nullptr;
}

ZT_API T zt_upsample_bilinear2d(T x, const int64_t* size, bool align_corners) {
  ZT_TRY(return wrap(at::upsample_bilinear2d(*x, pair(size), align_corners));)
  return nullptr;
}
