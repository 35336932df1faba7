// Vectorised float32 loops. Compiled with -O3 -march=native -ffast-math -fopenmp-simd so that GCC calls
// glibc's libmvec (vector expf/log1pf); -ffast-math is a compile flag only, never a link flag, so it does not
// pull in crtfastmath (which would switch the whole process to flush-to-zero).
// Debian's libtorch runs these elementwise ops at ~4 ns/element; these loops run them at well under 1.
#include "kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace zoo_kernels {

// glibc's vector expf/log1pf take a slow scalar path for any lane whose argument is out of their fast range
// (|x| > ~87, results near or below the denormal range). A trained network saturates many units, so that path
// made a step 40% slower after a few hundred steps. Clamping the exponent to [-80, 80] keeps every lane on the
// fast path; the error is below e^-80 ≈ 1.8e-35 in absolute terms.
static inline float exp_clamped(float x) { return expf(std::fmin(std::fmax(x, -80.f), 80.f)); }
static inline float softplus(float a) { return std::fmax(a, 0.f) + log1pf(exp_clamped(-std::fabs(a))); }
static inline float sigmoid(float a) { return 1.f / (1.f + exp_clamped(-a)); }

static void act_forward_body(float* __restrict y, int64_t n, int32_t act, float param) {
  switch (act) {
    case Relu:
#pragma omp simd
      for (int64_t i = 0; i < n; i++) y[i] = y[i] > 0.f ? y[i] : 0.f;
      break;
    case LeakyRelu:
#pragma omp simd
      for (int64_t i = 0; i < n; i++) y[i] = y[i] > 0.f ? y[i] : y[i] * param;
      break;
    case Elu:
#pragma omp simd
      for (int64_t i = 0; i < n; i++) y[i] = y[i] > 0.f ? y[i] : param * (exp_clamped(y[i]) - 1.f);
      break;
    case Softplus:
#pragma omp simd
      for (int64_t i = 0; i < n; i++) y[i] = softplus(y[i]);
      break;
    case Tanh:
#pragma omp simd
      for (int64_t i = 0; i < n; i++) y[i] = tanhf(y[i]);
      break;
    case Sigmoid:
#pragma omp simd
      for (int64_t i = 0; i < n; i++) y[i] = sigmoid(y[i]);
      break;
    default:
      break;
  }
}

static void act_backward_body(const float* __restrict g, const float* __restrict y, float* __restrict o, int64_t n,
                              int32_t act, float param) {
  switch (act) {
    case Relu:
#pragma omp simd
      for (int64_t i = 0; i < n; i++) o[i] = y[i] > 0.f ? g[i] : 0.f;
      break;
    case LeakyRelu:
#pragma omp simd
      for (int64_t i = 0; i < n; i++) o[i] = y[i] > 0.f ? g[i] : g[i] * param;
      break;
    case Elu:  // for x <= 0, y = a(e^x - 1) so dy/dx = a e^x = y + a
#pragma omp simd
      for (int64_t i = 0; i < n; i++) o[i] = y[i] > 0.f ? g[i] : g[i] * (y[i] + param);
      break;
    case Softplus:  // dy/dx = sigmoid(x) = 1 - e^{-y}
#pragma omp simd
      for (int64_t i = 0; i < n; i++) o[i] = g[i] * (1.f - exp_clamped(-y[i]));
      break;
    case Tanh:
#pragma omp simd
      for (int64_t i = 0; i < n; i++) o[i] = g[i] * (1.f - y[i] * y[i]);
      break;
    case Sigmoid:
#pragma omp simd
      for (int64_t i = 0; i < n; i++) o[i] = g[i] * y[i] * (1.f - y[i]);
      break;
    default:
#pragma omp simd
      for (int64_t i = 0; i < n; i++) o[i] = g[i];
      break;
  }
}

// A vector body and a scalar remainder round differently (libmvec's expf/log1pf against libm's), so an element's
// bits would depend on where it sits: in the pair thread's column halves, a row's last few columns fell in a
// remainder that the whole matrix ran through the vector body. Elements past the last full vector therefore go
// through the same body from a zero-padded copy.
constexpr int64_t kLanes = 16;  // floats in an AVX-512 vector

void act_forward_inplace(float* __restrict y, int64_t n, int32_t act, float param) {
  int64_t body = n - n % kLanes;
  act_forward_body(y, body, act, param);
  if (body == n) return;
  float tail[kLanes] = {};
  std::memcpy(tail, y + body, (n - body) * sizeof(float));
  act_forward_body(tail, kLanes, act, param);
  std::memcpy(y + body, tail, (n - body) * sizeof(float));
}

void act_backward_from_output(const float* __restrict g, const float* __restrict y, float* __restrict o, int64_t n,
                              int32_t act, float param) {
  int64_t body = n - n % kLanes;
  act_backward_body(g, y, o, body, act, param);
  if (body == n) return;
  float gt[kLanes] = {}, yt[kLanes] = {}, ot[kLanes];
  std::memcpy(gt, g + body, (n - body) * sizeof(float));
  std::memcpy(yt, y + body, (n - body) * sizeof(float));
  act_backward_body(gt, yt, ot, kLanes, act, param);
  std::memcpy(o + body, ot, (n - body) * sizeof(float));
}

void column_sums(const float* __restrict g, float* __restrict out, int64_t rows, int64_t cols, int64_t ld) {
  for (int64_t c = 0; c < cols; c++) out[c] = 0.f;
  for (int64_t r = 0; r < rows; r++) {
    const float* gr = g + r * ld;
#pragma omp simd
    for (int64_t c = 0; c < cols; c++) out[c] += gr[c];
  }
}

void gather_add_act_rows(const float* a, int64_t lda, const int64_t* src, const float* t, int64_t ldt, const int64_t* cls,
                         int64_t rows, int64_t cols, float* y, int64_t ldy, int32_t act, float param) {
  for (int64_t r = 0; r < rows; r++) {
    const float* ar = a + (src ? src[r] : r) * lda;
    const float* tr = t + cls[r] * ldt;
    float* yr = y + r * ldy;
#pragma omp simd
    for (int64_t c = 0; c < cols; c++) yr[c] = ar[c] + tr[c];
    if (act != None) act_forward_inplace(yr, cols, act, param);
  }
}

void scatter_add_rows(const float* __restrict g, int64_t ldg, const int64_t* __restrict idx, int64_t rows, int64_t cols,
                      float* __restrict out, int64_t ldo) {
  for (int64_t r = 0; r < rows; r++) {
    const float* gr = g + r * ldg;
    float* orow = out + idx[r] * ldo;
#pragma omp simd
    for (int64_t c = 0; c < cols; c++) orow[c] += gr[c];
  }
}

void act_backward_bias(const float* __restrict g, const float* __restrict y, float* __restrict gp, float* __restrict gb,
                       int64_t rows, int64_t cols, int64_t ld, int32_t act, float param) {
  if (gb)
    for (int64_t c = 0; c < cols; c++) gb[c] = 0.f;
  for (int64_t r = 0; r < rows; r++) {
    float* gpr = gp + r * ld;
    act_backward_from_output(g + r * ld, y + r * ld, gpr, cols, act, param);
    if (gb) {
#pragma omp simd
      for (int64_t c = 0; c < cols; c++) gb[c] += gpr[c];
    }
  }
}

void adam_update(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v, int64_t n,
                 float lr, float beta1, float beta2, float eps, float weight_decay, float bc1, float bc2) {
  const float step_size = lr / bc1;
  const float inv_sqrt_bc2 = 1.f / std::sqrt(bc2);
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    float gi = g[i] + weight_decay * p[i];
    float mi = beta1 * m[i] + (1.f - beta1) * gi;
    float vi = beta2 * v[i] + (1.f - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= step_size * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps);
  }
}

// A row's sum of t*l - softplus(l) = t*l - max(l, 0) - log1p(e^-|l|). The log1p terms are summed as the log of a
// product: each of the 16 lanes multiplies its factors 1 + e^-|l|, each in [1, 2], and takes a logarithm every
// kLogEvery vectors (the product then at most 2^64) and at the row's end: 16 logarithms for a row of 784 instead of
// 784. glibc's vector log1pf was 10 % of a `zoo eval --k 5000`, more than half of its Bernoulli pass. The product
// rounds once per factor, as each log1pf did once per term; the error stays within the float32 row sum's own (both
// within 3e-4 of the exact sum of 784 terms in double, rows of about -2,000). The gradient t - sigmoid(l) is computed
// as before, so training steps are unchanged; only the reported values move in their last bits. The row's last
// cols % 16 terms go through the same lanes from a copy padded with l = 80, t = 1, whose terms are 0 (80 - 80 - log 1).
namespace {
constexpr int64_t kLogEvery = 64;

struct BernoulliLanes {
  float linear[kLanes] = {}, logs[kLanes] = {}, product[kLanes];
  int64_t since_log = 0;
  BernoulliLanes() {
    for (int64_t j = 0; j < kLanes; j++) product[j] = 1.f;
  }
  void add(const float* __restrict l, const float* __restrict t) {
#pragma omp simd
    for (int64_t j = 0; j < kLanes; j++) {
      float a = l[j];
      linear[j] += t[j] * a - std::fmax(a, 0.f);
      product[j] *= 1.f + exp_clamped(-std::fabs(a));
    }
    if (++since_log == kLogEvery) take_logs();
  }
  void take_logs() {
#pragma omp simd
    for (int64_t j = 0; j < kLanes; j++) {
      logs[j] += logf(product[j]);
      product[j] = 1.f;
    }
    since_log = 0;
  }
  float sum() {
    take_logs();
    float acc = 0.f;
#pragma omp simd reduction(+ : acc)
    for (int64_t j = 0; j < kLanes; j++) acc += linear[j] - logs[j];
    return acc;
  }
};
}  // namespace

void bernoulli_loglik_rows(const float* __restrict l, const float* __restrict t, int64_t ldt, int64_t rows, int64_t cols,
                           float* __restrict out_rows, float* __restrict grad) {
  int64_t body = cols - cols % kLanes;
  for (int64_t r = 0; r < rows; r++) {
    const float* lr = l + r * cols;
    const float* tr = t + r * ldt;
    BernoulliLanes lanes;
    for (int64_t c = 0; c < body; c += kLanes) lanes.add(lr + c, tr + c);
    if (body < cols) {
      float lt[kLanes], tt[kLanes];
      for (int64_t j = 0; j < kLanes; j++) lt[j] = 80.f, tt[j] = 1.f;
      std::memcpy(lt, lr + body, (cols - body) * sizeof(float));
      std::memcpy(tt, tr + body, (cols - body) * sizeof(float));
      lanes.add(lt, tt);
    }
    out_rows[r] = lanes.sum();
    if (grad) {
      float* gr = grad + r * cols;
#pragma omp simd
      for (int64_t c = 0; c < cols; c++) gr[c] = tr[c] - sigmoid(lr[c]);
    }
  }
}

namespace {
constexpr int kMtN = 624, kMtM = 397;  // at::mt19937's MERSENNE_STATE_N and _M
constexpr uint32_t kMtMatrixA = 0x9908b0df, kMtUpper = 0x80000000, kMtLower = 0x7fffffff;

inline uint32_t mt_twist(uint32_t u, uint32_t v) { return (((u & kMtUpper) | (v & kMtLower)) >> 1) ^ ((v & 1) ? kMtMatrixA : 0); }

// at::mt19937::next_state. Word i reads words i + 1 and i + M (old) or i - (N - M) (already new): each 16-word block
// reads nothing its own stores change, so the loops run as vectors.
void mt_next_state(uint32_t* __restrict s) {
#pragma omp simd safelen(16)
  for (int i = 0; i < kMtN - kMtM; i++) s[i] = s[i + kMtM] ^ mt_twist(s[i], s[i + 1]);
#pragma omp simd safelen(16)
  for (int i = kMtN - kMtM; i < kMtN - 1; i++) s[i] = s[i - (kMtN - kMtM)] ^ mt_twist(s[i], s[i + 1]);
  s[kMtN - 1] = s[kMtM - 1] ^ mt_twist(s[kMtN - 1], s[0]);
}
}  // namespace

void mt19937_fill(uint32_t* __restrict state, int32_t* left, uint32_t* next, uint32_t* __restrict out, int64_t n) {
  while (n > 0) {
    // A call decrements left first and twists when it reaches 0, then returns word 0: as if left were N + 1.
    if (*left == 1) {
      mt_next_state(state);
      *left = kMtN + 1;
      *next = 0;
    }
    int64_t take = std::min<int64_t>(n, *left - 1);
    const uint32_t* s = state + *next;
#pragma omp simd
    for (int64_t i = 0; i < take; i++) {
      uint32_t y = s[i];
      y ^= (y >> 11);
      y ^= (y << 7) & 0x9d2c5680;
      y ^= (y << 15) & 0xefc60000;
      y ^= (y >> 18);
      out[i] = y;
    }
    *next += (uint32_t)take;
    *left -= (int32_t)take;
    out += take;
    n -= take;
  }
}

bool bernoulli_from_bits(const uint32_t* __restrict bits, const float* __restrict p, float* __restrict out, int64_t n) {
  // (bits & (2^24 - 1)) / 2^24 is exact in float, as in the double libtorch computes it in. The range check counts
  // through integers: -ffast-math may drop a float comparison's NaN case, not this one (a NaN's bits exceed 1.0f's).
  const float scale = 1.f / 16777216.f;
  int32_t bad = 0;
#pragma omp simd reduction(| : bad)
  for (int64_t i = 0; i < n; i++) {
    uint32_t u;
    std::memcpy(&u, p + i, sizeof u);
    bad |= (u > 0x3f800000u && u != 0x80000000u) ? 1 : 0;  // above 1.0f's bits: > 1, NaN or negative (but -0)
    out[i] = (float)(bits[i] & 0xffffffu) * scale < p[i] ? 1.f : 0.f;
  }
  return bad == 0;
}

void gaussian_sample(const float* __restrict m, const float* __restrict lv, int64_t ld, const float* __restrict eps,
                     int64_t rows, int64_t d, float* __restrict z) {
  for (int64_t r = 0; r < rows; r++) {
    const float *mr = m + r * ld, *lr = lv + r * ld, *er = eps + r * d;
    float* zr = z + r * d;
#pragma omp simd
    for (int64_t j = 0; j < d; j++) zr[j] = mr[j] + expf(0.5f * lr[j]) * er[j];
  }
}

void gaussian_sample_backward(const float* __restrict g, const float* __restrict lv, int64_t ld,
                              const float* __restrict eps, int64_t rows, int64_t d, float* __restrict glv) {
  for (int64_t r = 0; r < rows; r++) {
    const float *gr = g + r * d, *lr = lv + r * ld, *er = eps + r * d;
    float* o = glv + r * d;
#pragma omp simd
    for (int64_t j = 0; j < d; j++) o[j] = 0.5f * gr[j] * er[j] * expf(0.5f * lr[j]);
  }
}

void standard_normal_log_prob_rows(const float* __restrict z, int64_t ld, int64_t r0, int64_t r1, int64_t d,
                                   float* __restrict out) {
  const float constant = (float)d * 1.8378770664093453f;  // d log 2 pi
  for (int64_t r = r0; r < r1; r++) {
    const float* zr = z + r * ld;
    float acc = 0.f;
#pragma omp simd reduction(+ : acc)
    for (int64_t j = 0; j < d; j++) acc += zr[j] * zr[j];
    out[r] = -0.5f * (acc + constant);
  }
}

void gaussian_kl_rows(const float* __restrict qm, const float* __restrict qlv, int64_t qld, int64_t q_rows,
                      const int64_t* __restrict src, const float* __restrict pm, const float* __restrict plv, int64_t pld,
                      int64_t r0, int64_t r1, int64_t d, float* __restrict out) {
  for (int64_t r = r0; r < r1; r++) {
    int64_t qr = src ? src[r] : r % q_rows;
    const float *a = qm + qr * qld, *la = qlv + qr * qld;
    float acc = 0.f;
    if (!pm) {
#pragma omp simd reduction(+ : acc)
      for (int64_t j = 0; j < d; j++) acc += a[j] * a[j] + expf(la[j]) - la[j] - 1.f;
    } else {
      const float *b = pm + r * pld, *lb = plv + r * pld;
#pragma omp simd reduction(+ : acc)
      for (int64_t j = 0; j < d; j++) {
        float diff = a[j] - b[j];
        acc += lb[j] - la[j] + (expf(la[j]) + diff * diff) * expf(-lb[j]) - 1.f;
      }
    }
    out[r] = 0.5f * acc;
  }
}

void gaussian_kl_rows_backward(const float* __restrict g, const float* __restrict qm, const float* __restrict qlv,
                               int64_t qld, int64_t q_rows, const int64_t* __restrict src, const float* __restrict pm,
                               const float* __restrict plv, int64_t pld, int64_t rows, int64_t d, int64_t q0, int64_t q1,
                               float* __restrict gqm, float* __restrict gqlv, float* __restrict gpm, float* __restrict gplv) {
  if (gqm)
    for (int64_t i = q0 * d; i < q1 * d; i++) gqm[i] = 0.f;
  if (gqlv)
    for (int64_t i = q0 * d; i < q1 * d; i++) gqlv[i] = 0.f;
  // In p's row order (copy by copy without src), so each of q's rows is summed in row order. With src, as index_select's
  // backward sums: a row of p's own gradient for q first (into `own`), then added to q's row, each term rounded alone.
  std::vector<float> own(src ? 2 * d : 0);
  int64_t copies = src ? 1 : (rows + q_rows - 1) / q_rows;
  for (int64_t copy = 0; copy < copies; copy++)
  for (int64_t r = src ? 0 : copy * q_rows + q0, end = src ? rows : std::min(copy * q_rows + q1, rows); r < end; r++) {
    int64_t qr = src ? src[r] : r - copy * q_rows;
    if (qr < q0 || qr >= q1) continue;
    const float *a = qm + qr * qld, *la = qlv + qr * qld;
    float gr = g[r];
    float *dqm = gqm ? gqm + qr * d : nullptr, *dqlv = gqlv ? gqlv + qr * d : nullptr;
    float *oqm = dqm, *oqlv = dqlv;
    if (src) {
      std::fill(own.begin(), own.end(), 0.f);
      if (oqm) oqm = own.data();
      if (oqlv) oqlv = own.data() + d;
    }
    if (!pm) {
      if (oqm) {
#pragma omp simd
        for (int64_t j = 0; j < d; j++) oqm[j] += gr * a[j];
      }
      if (oqlv) {
#pragma omp simd
        for (int64_t j = 0; j < d; j++) oqlv[j] += 0.5f * gr * (expf(la[j]) - 1.f);
      }
    } else {
      const float *b = pm + r * pld, *lb = plv + r * pld;
      float *opm = gpm ? gpm + r * d : nullptr, *oplv = gplv ? gplv + r * d : nullptr;
#pragma omp simd
      for (int64_t j = 0; j < d; j++) {
        float inv = expf(-lb[j]), diff = a[j] - b[j], ea = expf(la[j]);
        float dm = gr * diff * inv;
        if (oqm) oqm[j] += dm;
        if (opm) opm[j] = -dm;
        if (oqlv) oqlv[j] += 0.5f * gr * (ea * inv - 1.f);
        if (oplv) oplv[j] = 0.5f * gr * (1.f - (ea + diff * diff) * inv);
      }
    }
    if (!src) continue;
    if (dqm)
      for (int64_t j = 0; j < d; j++) dqm[j] += oqm[j];
    if (dqlv)
      for (int64_t j = 0; j < d; j++) dqlv[j] += oqlv[j];
  }
}

}  // namespace zoo_kernels
