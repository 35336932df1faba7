// Fused float32 kernels used by the shim's custom autograd functions and optimizers.
// Kept free of torch headers so kernels.cpp compiles in seconds with vectorising flags.
#pragma once
#include <cstdint>

namespace zoo_kernels {

// Activation codes shared with the managed side (Zoo.Torch.Activation).
enum Act : int32_t { None = 0, Relu = 1, LeakyRelu = 2, Elu = 3, Softplus = 4, Tanh = 5, Sigmoid = 6 };

// y = act(y) in place; `param` is the leaky slope or the ELU alpha.
void act_forward_inplace(float* y, int64_t n, int32_t act, float param);

// g_pre = g_out * act'(pre), written from the activation's *output* y, so the pre-activation need not be kept.
void act_backward_from_output(const float* g_out, const float* y, float* g_pre, int64_t n, int32_t act, float param);

// g_pre = g_out * act'(y) as act_backward_from_output, row by row, and (when gb is not null) the bias gradient
// gb[c] = sum_r g_pre[r, c] accumulated while each row is still in L1, instead of a separate libtorch sum(0).
// The block is rows x cols of row-major matrices whose rows are ld floats apart (a column range of a wider one).
void act_backward_bias(const float* g_out, const float* y, float* g_pre, float* gb, int64_t rows, int64_t cols,
                       int64_t ld, int32_t act, float param);

// Column sums of a row-major rows x cols block (rows ld floats apart), in row order (as libtorch's sum(0)).
void column_sums(const float* g, float* out, int64_t rows, int64_t cols, int64_t ld);

// The first layer of a network whose input ends in a one-hot class, over a block of cols columns: y[r, :] =
// act(a[src[r], :] + t[cls[r], :]) (t's row c: class c's weight column, plus the bias already in a); with src null,
// a's row r, and a may be y itself. Rows are lda, ldt and ldy floats apart.
void gather_add_act_rows(const float* a, int64_t lda, const int64_t* src, const float* t, int64_t ldt, const int64_t* cls,
                         int64_t rows, int64_t cols, float* y, int64_t ldy, int32_t act, float param);

// out[idx[r], :] += g[r, :] over a block of cols columns, in row order (out's rows are ldo floats apart, g's ldg; the
// caller zeroes out): a gathered row's gradient summed over its copies, a class column's over its rows.
void scatter_add_rows(const float* g, int64_t ldg, const int64_t* idx, int64_t rows, int64_t cols, float* out, int64_t ldo);

// One Adam step over a flat parameter: PyTorch's torch.optim.Adam semantics (L2 weight decay added to the gradient).
void adam_update(float* p, const float* g, float* m, float* v, int64_t n,
                 float lr, float beta1, float beta2, float eps, float weight_decay,
                 float bias_correction1, float bias_correction2);

// Per-element Bernoulli log-likelihood terms for logits l and targets t: t*l - softplus(l) (= -BCE-with-logits).
// Returns the row sums in out_rows (n_rows values) and writes d(sum)/dl = t - sigmoid(l) into grad (may be null); t's
// rows are ldt floats apart (a narrow of wider rows), l's and grad's cols.
void bernoulli_loglik_rows(const float* l, const float* t, int64_t ldt, int64_t rows, int64_t cols, float* out_rows, float* grad);

// The stream of libtorch's CPU generator (at::mt19937, ATen/core/MT19937RNGEngine.h) in bulk: writes the next n
// numbers it would return, one call at a time, into out and advances its state (state: its 624 words; left, next:
// its counters) as those n calls would. The twist runs 16 words at a time, where the engine twists one by one.
void mt19937_fill(uint32_t* state, int32_t* left, uint32_t* next, uint32_t* out, int64_t n);

// out[i] = 1 if bits[i]'s low 24 bits, as libtorch's uniform_real_distribution<float> maps them to [0, 1), fall below
// p[i], else 0: libtorch's bernoulli_distribution<float> on one draw each. Returns false when some p[i] is not in
// [0, 1] (NaN included), which that distribution refuses.
bool bernoulli_from_bits(const uint32_t* bits, const float* p, float* out, int64_t n);

// Diagonal Gaussians, row by row: a row's d values sit at a row stride (ld) of their own, so the halves of a
// network's [mean | log variance] head are read where they are.
// z = m + exp(lv / 2) * eps (the reparameterised draw); its backward needs only d z / d lv = eps * exp(lv / 2) / 2.
void gaussian_sample(const float* m, const float* lv, int64_t ld, const float* eps, int64_t rows, int64_t d, float* z);
void gaussian_sample_backward(const float* g, const float* lv, int64_t ld, const float* eps, int64_t rows, int64_t d,
                              float* glv);

// out[r] = log N(z_r; 0, I) = -1/2 (sum_j z_rj^2 + d log 2 pi), rows [r0, r1) of z (rows ld floats apart).
void standard_normal_log_prob_rows(const float* z, int64_t ld, int64_t r0, int64_t r1, int64_t d, float* out);

// out[r] = KL(q_r || p_r) = 1/2 sum_j (plv - qlv + (exp(qlv) + (qm - pm)^2) exp(-plv) - 1), where q_r is q's row
// src[r], or without src its row r mod q_rows (p may hold several copies' worth of rows, copy-major), or
// KL(q_r || N(0, I)) = 1/2 sum_j (qm^2 + exp(qlv) - qlv - 1) when pm is null. Rows [r0, r1) only (the pair takes a
// range each).
void gaussian_kl_rows(const float* qm, const float* qlv, int64_t qld, int64_t q_rows, const int64_t* src, const float* pm,
                      const float* plv, int64_t pld, int64_t r0, int64_t r1, int64_t d, float* out);
// The gradients of sum_r g[r] out[r]: into gqm, gqlv (q_rows x d, each row summed over the rows of p that meet it, in
// p's row order, as index_select's backward sums) and gpm, gplv (rows x d); any may be null when not wanted. Only q's
// rows [q0, q1) and the rows of p that meet them, so two threads with disjoint q ranges write disjoint rows, each
// summed in the order one thread would sum it.
void gaussian_kl_rows_backward(const float* g, const float* qm, const float* qlv, int64_t qld, int64_t q_rows,
                               const int64_t* src, const float* pm, const float* plv, int64_t pld, int64_t rows, int64_t d,
                               int64_t q0, int64_t q1, float* gqm, float* gqlv, float* gpm, float* gplv);

}  // namespace zoo_kernels
