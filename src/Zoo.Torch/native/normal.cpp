// libtorch's normal_fill_16_AVX2 (ATen/native/cpu/DistributionTemplates.h), with avx_mathfun's log256_ps and
// sincos256_ps from libtorch's own headers. Its own translation unit, compiled as libtorch compiles its AVX2 kernels
// (-O2 -mavx2 -mfma, no -ffast-math, which could reorder the intrinsics' arithmetic), so the same bits: zt_randn
// checks that once against at::randn before it uses this, and keeps libtorch's draws otherwise.
#define CPU_CAPABILITY_AVX2
#include <immintrin.h>
#include <ATen/native/cpu/avx_mathfun.h>

#include "normal.h"

namespace zoo_normal {

void box_muller_blocks(float* data, int64_t b0, int64_t b1) {
  const __m256 two_pi = _mm256_set1_ps(2.0f * 3.14159265358979323846);  // as libtorch: 2.0f * c10::pi<double>, to float
  const __m256 one = _mm256_set1_ps(1.0f), minus_two = _mm256_set1_ps(-2.0f);
  const __m256 mean = _mm256_set1_ps(0.0f), std_v = _mm256_set1_ps(1.0f);
  for (int64_t b = b0; b < b1; b++) {
    float* d = data + 16 * b;
    const __m256 u1 = _mm256_sub_ps(one, _mm256_loadu_ps(d));
    const __m256 u2 = _mm256_loadu_ps(d + 8);
    const __m256 radius = _mm256_sqrt_ps(_mm256_mul_ps(minus_two, log256_ps(u1)));
    const __m256 theta = _mm256_mul_ps(two_pi, u2);
    __m256 sintheta, costheta;
    sincos256_ps(theta, &sintheta, &costheta);
    const __m256 n1 = _mm256_mul_ps(radius, costheta);
    const __m256 n2 = _mm256_mul_ps(radius, sintheta);
    _mm256_storeu_ps(d, _mm256_fmadd_ps(n1, std_v, mean));
    _mm256_storeu_ps(d + 8, _mm256_fmadd_ps(n2, std_v, mean));
  }
}

}  // namespace zoo_normal
