// Zoo's libtorch shim: a C ABI over libtorch's C++ API, in the manner of TorchSharp's LibTorchSharp.
// Rules every export follows:
//  * No C++ exception crosses the ABI: ZT_TRY catches c10::Error, std::exception and anything else into a
//    thread-local error string that the managed side reads (zt_last_error) and throws as TorchException.
//  * A tensor handle is a heap-allocated at::Tensor (one reference); zt_free deletes it. g_live counts the
//    handles alive so tests can prove a training step leaks nothing.
//  * Shapes travel as (const int64_t* dims, int ndim); dtypes as c10::ScalarType codes.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/DistributionsHelper.h>
#include <c10/core/Allocator.h>
#include <torch/version.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/csrc/autograd/generated/variable_factories.h>

#include <atomic>
#include <immintrin.h>
#include <optional>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <malloc.h>
#include <sched.h>
#include <string>

#include "kernels.h"
#include "normal.h"
#include "pair.h"
#include "shim.h"

static std::atomic<int64_t> g_live{0};
static thread_local std::string g_error;
static thread_local bool g_has_error = false;

// ---------------------------------------------------------------- meta allocation (memory estimates)
// While a thread's meta flag is set, the shim's tensor factories allocate on libtorch's meta device: tensors with
// shapes, dtypes and autograd but no storage, so a model can be built and run forward and backward at any size in
// microseconds. libtorch's meta allocator is replaced (at a higher registration priority) by one that counts the bytes
// meta tensors would hold, current and peak, process-wide: backward may run on libtorch's own threads. The managed
// side serialises measurements, so nothing else moves the counters while one runs.
static thread_local bool g_meta = false;
static std::atomic<int64_t> g_meta_current{0}, g_meta_peak{0};
namespace {
struct CountingMetaAllocator final : public c10::Allocator {
  // The byte count travels as the DataPtr's context; the data pointer stays null, as libtorch's meta allocator's does.
  static void release(void* ctx) { g_meta_current.fetch_sub((int64_t)(uintptr_t)ctx, std::memory_order_relaxed); }
  c10::DataPtr allocate(size_t nbytes) const override {
    int64_t now = g_meta_current.fetch_add((int64_t)nbytes, std::memory_order_relaxed) + (int64_t)nbytes;
    int64_t peak = g_meta_peak.load(std::memory_order_relaxed);
    while (now > peak && !g_meta_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
    return {nullptr, (void*)(uintptr_t)nbytes, &release, c10::Device(c10::DeviceType::Meta)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return nullptr; }
};
CountingMetaAllocator g_meta_allocator;
}  // namespace

void set_error(const char* msg) {
  g_error = msg ? msg : "unknown error";
  g_has_error = true;
}

T wrap(at::Tensor t) {
  g_live.fetch_add(1, std::memory_order_relaxed);
  return new at::Tensor(std::move(t));
}

// Undefined tensors (e.g. a missing grad) come back as null handles, not as errors.
static T wrap_opt(at::Tensor t) { return t.defined() ? wrap(std::move(t)) : nullptr; }

#define ZT_RET_T(expr) \
  ZT_TRY(return wrap(expr);) return nullptr;

static at::IntArrayRef dims(const int64_t* d, int n) { return at::IntArrayRef(d, (size_t)n); }
static at::TensorOptions opts(int dtype) {
  return at::TensorOptions().dtype((at::ScalarType)dtype).device(g_meta ? at::kMeta : at::kCPU);
}
// at:: factories ignore requires_grad in their options (only torch:: ones honour it), so set it afterwards.
static at::Tensor leaf(at::Tensor t, bool requires_grad) {
  if (requires_grad) t.set_requires_grad(true);
  return t;
}
static std::vector<at::Tensor> list(const T* ts, int n) {
  std::vector<at::Tensor> v;
  v.reserve(n);
  for (int i = 0; i < n; i++) v.push_back(*ts[i]);
  return v;
}
static c10::optional<at::Generator> gen_opt(at::Generator* g) {
  return g ? c10::optional<at::Generator>(*g) : c10::nullopt;
}

// ---------------------------------------------------------------- process set-up, when the shim loads
// 1. glibc serves blocks above its mmap threshold (128 KiB at first) with fresh mmaps and trims freed heap
//    back to the OS, so every 100x500 activation cost page faults: 880k faults in a 10 s run, and a training
//    step 30% slower. Raising both thresholds keeps such blocks in the heap (unless the user set them).
// 2. Intra-op threads: libtorch's default here is 1; Zoo uses every core the process may run on, or
//    ZOO_NUM_THREADS / OMP_NUM_THREADS when set.
namespace {
struct ProcessSetup {
  ProcessSetup() {
    if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) mallopt(M_MMAP_THRESHOLD, 64 << 20);
    if (!std::getenv("MALLOC_TRIM_THRESHOLD_")) mallopt(M_TRIM_THRESHOLD, 256 << 20);
    int threads = 0;
    if (const char* z = std::getenv("ZOO_NUM_THREADS")) threads = std::atoi(z);
    else if (const char* o = std::getenv("OMP_NUM_THREADS")) threads = std::atoi(o);
    if (threads <= 0) {
      cpu_set_t set;
      threads = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
    }
    try { at::set_num_threads(threads); } catch (...) { /* keep libtorch's default */ }
    // Priority 1 outranks libtorch's own registration (0), whichever library initialises first.
    c10::SetAllocator(c10::DeviceType::Meta, &g_meta_allocator, 1);
  }
} g_process_setup;
}  // namespace

// ---------------------------------------------------------------- errors, lifetime, threads
ZT_API const char* zt_last_error() { return g_has_error ? g_error.c_str() : nullptr; }
ZT_API void zt_clear_error() { g_has_error = false; g_error.clear(); }
ZT_API int64_t zt_live_tensors() { return g_live.load(std::memory_order_relaxed); }
ZT_API void zt_free(T t) {
  if (!t) return;
  delete t;
  g_live.fetch_sub(1, std::memory_order_relaxed);
}
ZT_API const char* zt_version() { return TORCH_VERSION; }
// Meta mode of the calling thread; returns the previous setting.
ZT_API bool zt_set_meta(bool on) {
  bool was = g_meta;
  g_meta = on;
  return was;
}
ZT_API bool zt_get_meta() { return g_meta; }
ZT_API void zt_meta_memory(int64_t* current, int64_t* peak) {
  *current = g_meta_current.load(std::memory_order_relaxed);
  *peak = g_meta_peak.load(std::memory_order_relaxed);
}
ZT_API void zt_meta_reset_peak() { g_meta_peak.store(g_meta_current.load(std::memory_order_relaxed), std::memory_order_relaxed); }
ZT_API bool zt_is_meta(T t) { return t->is_meta(); }
ZT_API int64_t zt_nbytes(T t) { return (int64_t)t->nbytes(); }

ZT_API void zt_set_num_threads(int n) { ZT_TRY(at::set_num_threads(n);) }
ZT_API int zt_get_num_threads() { return at::get_num_threads(); }
// OpenBLAS keeps its own thread count; with the OpenMP build it shares libgomp's pool, with the pthread
// build it has its own threads. Looked up at run time so the shim links against any BLAS.
ZT_API int zt_blas_set_num_threads(int n) {
  auto f = (void (*)(int))dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
  if (!f) return 0;
  f(n);
  return 1;
}
ZT_API const char* zt_blas_config() {
  auto f = (char* (*)())dlsym(RTLD_DEFAULT, "openblas_get_config");
  return f ? f() : "generic BLAS (not OpenBLAS)";
}
// The kernel OpenBLAS chose when it loaded (OPENBLAS_CORETYPE or its own CPU detection).
ZT_API const char* zt_blas_corename() {
  auto f = (char* (*)())dlsym(RTLD_DEFAULT, "openblas_get_corename");
  return f ? f() : "";
}
ZT_API int zt_blas_get_num_threads() {
  auto f = (int (*)())dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
  return f ? f() : 0;
}

// ---------------------------------------------------------------- generators
ZT_API at::Generator* zt_generator_new(uint64_t seed) {
  ZT_TRY(auto g = at::detail::createCPUGenerator(seed); return new at::Generator(g);)
  return nullptr;
}
ZT_API void zt_generator_free(at::Generator* g) { delete g; }
ZT_API void zt_manual_seed(uint64_t seed) {
  ZT_TRY(auto g = at::detail::getDefaultCPUGenerator(); std::lock_guard<std::mutex> l(g.mutex()); g.set_current_seed(seed);)
}
ZT_API at::Generator* zt_default_generator() {
  ZT_TRY(return new at::Generator(at::detail::getDefaultCPUGenerator());) return nullptr;
}
// The generator's full state as a uint8 tensor, for checkpoints that resume bit-exactly.
ZT_API T zt_generator_get_state(at::Generator* g) {
  ZT_TRY(std::lock_guard<std::mutex> l(g->mutex()); return wrap(g->get_state());) return nullptr;
}
ZT_API void zt_generator_set_state(at::Generator* g, T state) {
  ZT_TRY(std::lock_guard<std::mutex> l(g->mutex()); g->set_state(*state);)
}
ZT_API uint64_t zt_generator_seed(at::Generator* g) { return g->current_seed(); }

// ---------------------------------------------------------------- creation
ZT_API T zt_empty(const int64_t* d, int n, int dtype, bool rg) { ZT_RET_T(leaf(at::empty(dims(d, n), opts(dtype)), rg)) }
ZT_API T zt_zeros(const int64_t* d, int n, int dtype, bool rg) { ZT_RET_T(leaf(at::zeros(dims(d, n), opts(dtype)), rg)) }
ZT_API T zt_ones(const int64_t* d, int n, int dtype, bool rg) { ZT_RET_T(leaf(at::ones(dims(d, n), opts(dtype)), rg)) }
ZT_API T zt_full(const int64_t* d, int n, double v, int dtype, bool rg) {
  ZT_RET_T(leaf(at::full(dims(d, n), v, opts(dtype)), rg))
}
ZT_API T zt_arange(double start, double end, double step, int dtype) {
  ZT_RET_T(at::arange(start, end, step, opts(dtype)))
}
ZT_API T zt_rand(const int64_t* d, int n, int dtype, at::Generator* g) {
  ZT_RET_T(at::rand(dims(d, n), gen_opt(g), opts(dtype)))
}
ZT_API T zt_randint(int64_t low, int64_t high, const int64_t* d, int n, int dtype, at::Generator* g) {
  ZT_RET_T(at::randint(low, high, dims(d, n), gen_opt(g), opts(dtype)))
}
// Meta substitutes: libtorch 1.13 has no meta kernel for some ops (randperm, one_hot, abs, relu, logsumexp, where,
// index_select, max/min, logical_not, isfinite, and the backward of clamp, pow and mse_loss). On meta tensors the shim
// runs ops that have one, with the same output shape and a like amount of saved activations (an analytic stand-in for
// that layer's memory); values are meaningless on meta anyway.
static bool meta(const at::Tensor& t) { return t.is_meta(); }
ZT_API T zt_randperm(int64_t n, at::Generator* g) {
  ZT_RET_T(g_meta ? at::empty({n}, opts((int)at::kLong)) : at::randperm(n, gen_opt(g), opts((int)at::kLong)))
}
// Runs draw(fill) under the generator's lock, where fill(out, n) puts its Mersenne twister's next n 32-bit numbers into
// out (zoo_kernels::mt19937_fill, in bulk, on a copy of its state); the state goes back only when draw returns, so an
// exception leaves the generator as it was. bernoulli and randn advance libtorch's generator this way exactly as its
// per-number calls would.
template <typename Draw>
void draw_from_twister(at::CPUGeneratorImpl* impl, Draw&& draw) {
  std::lock_guard<std::mutex> lock(impl->mutex_);
  at::mt19937 engine = impl->engine();
  at::mt19937_data_pod state = engine.data();
  draw([&](uint32_t* out, int64_t n) { zoo_kernels::mt19937_fill(state.state_.data(), &state.left_, &state.next_, out, n); });
  engine.set_data(state);
  impl->set_engine(engine);
}
// Stochastic binarisation draws one 32-bit number per pixel; libtorch's bernoulli calls into the generator for each
// (0.45 ms for a VFAE batch of 80,000). Here the generator's Mersenne twister runs in bulk on its state
// (zoo_kernels::mt19937_fill, vectorised), and each number becomes a draw as at::bernoulli_distribution<float> makes
// it, element by element in order; the state is put back: the same draws and the same generator state after (tested
// against zt_bernoulli_libtorch).
ZT_API T zt_bernoulli(T p, at::Generator* g) {
  ZT_TRY(
      if (p->scalar_type() != at::kFloat || !p->is_contiguous() || p->is_meta() || p->requires_grad()) return wrap(at::bernoulli(*p, gen_opt(g)));
      auto* impl = at::get_generator_or_default<at::CPUGeneratorImpl>(gen_opt(g), at::detail::getDefaultCPUGenerator());
      at::Tensor out = at::empty_like(*p, at::MemoryFormat::Contiguous);
      const float* pp = p->data_ptr<float>();
      float* o = out.data_ptr<float>();
      int64_t n = p->numel();
      draw_from_twister(impl, [&](auto&& fill) {
        uint32_t bits[4096];
        for (int64_t i = 0; i < n; i += 4096) {
          int64_t len = std::min<int64_t>(4096, n - i);
          fill(bits, len);
          // As the distribution checks each p; the generator is left as it was.
          TORCH_CHECK(zoo_kernels::bernoulli_from_bits(bits, pp + i, o + i, len), "bernoulli: every probability must be in [0, 1]");
        }
      });
      return wrap(out);)
  return nullptr;
}
// libtorch's own bernoulli, for the test that the inline one draws the same.
ZT_API T zt_bernoulli_libtorch(T p, at::Generator* g) { ZT_RET_T(at::bernoulli(*p, gen_opt(g))) }
// Copies `bytes` bytes of host data into a new tensor (the managed array may move after the call).
ZT_API T zt_from_blob(const void* data, const int64_t* d, int n, int dtype, bool rg) {
  ZT_TRY(auto t = at::empty(dims(d, n), opts(dtype)); if (t.numel() > 0 && !t.is_meta()) std::memcpy(t.data_ptr(), data, t.nbytes());
         if (rg) t.set_requires_grad(true); return wrap(t);)
  return nullptr;
}
// Copies a tensor's elements (made contiguous) into a managed buffer of `capacity` bytes.
ZT_API void zt_copy_to(T t, void* dst, int64_t capacity) {
  ZT_TRY(auto c = t->detach().contiguous(); if ((int64_t)c.nbytes() > capacity) throw std::runtime_error(
             "destination buffer too small: need " + std::to_string(c.nbytes()) + " bytes, have " +
             std::to_string(capacity));
         if (c.numel() > 0) std::memcpy(dst, c.data_ptr(), c.nbytes());)
}

// ---------------------------------------------------------------- properties
ZT_API int zt_dim(T t) { return (int)t->dim(); }
ZT_API void zt_shape(T t, int64_t* out) {
  for (int64_t i = 0; i < t->dim(); i++) out[i] = t->size(i);
}
ZT_API int zt_dtype(T t) { return (int)t->scalar_type(); }
ZT_API int64_t zt_numel(T t) { return t->numel(); }
ZT_API bool zt_requires_grad(T t) { return t->requires_grad(); }
ZT_API void zt_set_requires_grad(T t, bool r) { ZT_TRY(t->set_requires_grad(r);) }
ZT_API bool zt_is_leaf(T t) { return t->is_leaf(); }
ZT_API double zt_item(T t) { ZT_TRY(return t->item<double>();) return 0; }
ZT_API int64_t zt_item_long(T t) { ZT_TRY(return t->item<int64_t>();) return 0; }

// ---------------------------------------------------------------- autograd
ZT_API T zt_grad(T t) { ZT_TRY(return wrap_opt(t->grad());) return nullptr; }
ZT_API void zt_zero_grad(T t, bool set_to_none) {
  ZT_TRY(auto& g = t->mutable_grad(); if (g.defined()) { if (set_to_none) g.reset(); else { g.detach_(); g.zero_(); } })
}
ZT_API void zt_backward(T t, T grad, bool retain_graph) {
  ZT_TRY(t->backward(grad ? *grad : at::Tensor(), retain_graph ? c10::optional<bool>(true) : c10::nullopt);)
}
ZT_API T zt_detach(T t) { ZT_RET_T(t->detach()) }
ZT_API void zt_set_grad_enabled(bool e) { c10::GradMode::set_enabled(e); }
ZT_API bool zt_is_grad_enabled() { return c10::GradMode::is_enabled(); }

// ---------------------------------------------------------------- shape ops
ZT_API T zt_reshape(T t, const int64_t* d, int n) { ZT_RET_T(t->reshape(dims(d, n))) }
ZT_API T zt_stack(const T* ts, int n, int64_t dim) { ZT_RET_T(at::stack(list(ts, n), dim)) }
ZT_API int zt_chunk(T t, int64_t chunks, int64_t dim, T* out, int cap) {
  ZT_TRY(auto v = t->chunk(chunks, dim); if ((int)v.size() > cap) throw std::runtime_error("chunk: too many pieces");
         for (size_t i = 0; i < v.size(); i++) out[i] = wrap(v[i]);
         return (int)v.size();)
  return -1;
}
ZT_API T zt_narrow(T t, int64_t dim, int64_t start, int64_t len) { ZT_RET_T(t->narrow(dim, start, len)) }
ZT_API T zt_index_select(T t, int64_t dim, T idx) {
  ZT_TRY(if (meta(*t)) {
    auto shape = t->sizes().vec();
    shape[at::maybe_wrap_dim(dim, t->dim())] = idx->numel();
    return wrap(at::empty(shape, t->options()));
  } return wrap(t->index_select(dim, *idx));)
  return nullptr;
}
// dst[j] = float(src[j]) / d: IEEE's division (this file is built without -ffast-math), eight at a time with AVX2
// where the CPU has it (x / 1 is x: the unscaled columns take the same path).
__attribute__((target("avx2"))) static void bytes_to_floats_avx2(const uint8_t* src, float* dst, int64_t n, float d) {
  const __m256 by = _mm256_set1_ps(d);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + j));
    _mm256_storeu_ps(dst + j, _mm256_div_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes)), by));
  }
  for (; j < n; j++) dst[j] = static_cast<float>(src[j]) / d;
}
static void bytes_to_floats(const uint8_t* src, float* dst, int64_t n, float d) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return bytes_to_floats_avx2(src, dst, n, d);
  for (int64_t j = 0; j < n; j++) dst[j] = static_cast<float>(src[j]) / d;
}
// uint8 codes [R, W] as float32 rows [B, W]: row b is codes[through[rows[b]]] (through null: codes[rows[b]]; rows
// null: every row), its first `scaled` columns divided by `divisor` (8-bit pixels to [0, 1]), the rest as they are.
// One pass for a batch instead of index_select, to(float32) and a division (each a pass and an allocation): the
// same values, as the division is the same IEEE one (this file is built without -ffast-math).
static at::Tensor widen_rows(const at::Tensor& codes, const at::Tensor* rows, const at::Tensor* through, int64_t scaled, double divisor) {
  TORCH_CHECK(codes.dim() == 2 && codes.scalar_type() == at::kByte, "widen_rows: expected uint8 codes [rows, width], got ",
              codes.scalar_type(), " ", codes.sizes());
  for (const at::Tensor* t : {rows, through})
    TORCH_CHECK(t == nullptr || (t->dim() == 1 && t->scalar_type() == at::kLong), "widen_rows: row lists must be int64 [n], got ",
                t->scalar_type(), " ", t->sizes());
  int64_t count = codes.size(0), width = codes.size(1), n = rows ? rows->size(0) : through ? through->size(0) : count;
  TORCH_CHECK(scaled >= 0 && scaled <= width, "widen_rows: ", scaled, " scaled columns of ", width);
  at::Tensor out = at::empty({n, width}, codes.options().dtype(at::kFloat));
  if (codes.is_meta() || out.is_meta()) return out;
  at::Tensor c = codes.contiguous();
  at::Tensor r = rows ? rows->contiguous() : at::Tensor();
  at::Tensor th = through ? through->contiguous() : at::Tensor();
  const uint8_t* cp = c.data_ptr<uint8_t>();
  const int64_t* rp = r.defined() ? r.data_ptr<int64_t>() : nullptr;
  const int64_t* tp = th.defined() ? th.data_ptr<int64_t>() : nullptr;
  int64_t through_n = th.defined() ? th.size(0) : 0;
  float* op = out.data_ptr<float>();
  const float d = static_cast<float>(divisor);
  // Each row's place, checked, first: the rows are then read with the next ones already on their way. A batch's rows
  // are random rows of a data set larger than the caches; a VFAE batch of MNIST's codes took 100 µs without, 60 with.
  std::vector<int64_t> place(n);
  for (int64_t b = 0; b < n; b++) {
    int64_t row = rp ? rp[b] : b;
    if (tp) {
      TORCH_CHECK(row >= 0 && row < through_n, "widen_rows: row ", row, " of a list of ", through_n);
      row = tp[row];
    }
    TORCH_CHECK(row >= 0 && row < count, "widen_rows: row ", row, " of ", count, " rows");
    place[b] = row;
  }
  constexpr int64_t kAhead = 4;
  auto prefetch_row = [&](int64_t b) {
    const uint8_t* p = cp + place[b] * width;
    for (int64_t j = 0; j < width; j += 64) __builtin_prefetch(p + j);
    __builtin_prefetch(p + width - 1);
  };
  for (int64_t b = 0; b < std::min(n, kAhead); b++) prefetch_row(b);
  for (int64_t b = 0; b < n; b++) {
    if (b + kAhead < n) prefetch_row(b + kAhead);
    const uint8_t* src = cp + place[b] * width;
    float* dst = op + b * width;
    bytes_to_floats(src, dst, scaled, d);
    bytes_to_floats(src + scaled, dst + scaled, width - scaled, 1.0f);
  }
  return out;
}
ZT_API T zt_widen_rows(T codes, T rows, T through, int64_t scaled, double divisor) {
  ZT_RET_T(widen_rows(*codes, rows, through, scaled, divisor))
}
ZT_API T zt_gather(T t, int64_t dim, T idx) { ZT_RET_T(t->gather(dim, *idx)) }
ZT_API T zt_transpose(T t, int64_t a, int64_t b) { ZT_RET_T(t->transpose(a, b)) }
ZT_API T zt_unsqueeze(T t, int64_t dim) { ZT_RET_T(t->unsqueeze(dim)) }
ZT_API T zt_squeeze(T t, int64_t dim) { ZT_RET_T(t->squeeze(dim)) }
ZT_API T zt_expand(T t, const int64_t* d, int n) { ZT_RET_T(t->expand(dims(d, n))) }
ZT_API T zt_contiguous(T t) { ZT_RET_T(t->contiguous()) }
ZT_API T zt_clone(T t) { ZT_RET_T(t->clone()) }
ZT_API T zt_to_dtype(T t, int dtype) { ZT_RET_T(t->to((at::ScalarType)dtype)) }

// ---------------------------------------------------------------- arithmetic
ZT_API T zt_add(T a, T b, double alpha) { ZT_RET_T(at::add(*a, *b, alpha)) }
ZT_API T zt_sub(T a, T b, double alpha) { ZT_RET_T(at::sub(*a, *b, alpha)) }
ZT_API T zt_mul(T a, T b) { ZT_RET_T(at::mul(*a, *b)) }
ZT_API T zt_div(T a, T b) { ZT_RET_T(at::div(*a, *b)) }
ZT_API T zt_add_scalar(T a, double s) { ZT_RET_T(at::add(*a, s)) }
ZT_API T zt_mul_scalar(T a, double s) { ZT_RET_T(at::mul(*a, s)) }
ZT_API T zt_div_scalar(T a, double s) { ZT_RET_T(at::div(*a, s)) }
ZT_API T zt_rsub_scalar(T a, double s) { ZT_RET_T(at::rsub(*a, s)) }        // s - a
ZT_API T zt_rdiv_scalar(T a, double s) { ZT_RET_T(at::reciprocal(*a) * s) }  // s / a
ZT_API T zt_neg(T a) { ZT_RET_T(at::neg(*a)) }
ZT_API T zt_pow_scalar(T a, double e) { ZT_RET_T(at::pow(*a, e)) }
ZT_API T zt_pow(T a, T e) { ZT_RET_T(meta(*a) ? at::mul(*a, *e) : at::pow(*a, *e)) }
// In-place updates (optimizers, initialisers); return nothing, errors go to the error slot.
ZT_API void zt_add_(T a, T b, double alpha) { ZT_TRY(a->add_(*b, alpha);) }
ZT_API void zt_mul_scalar_(T a, double s) { ZT_TRY(a->mul_(s);) }
ZT_API void zt_copy_(T dst, T src) { ZT_TRY(dst->copy_(*src);) }
ZT_API void zt_fill_(T a, double v) { ZT_TRY(a->fill_(v);) }
ZT_API void zt_zero_(T a) { ZT_TRY(a->zero_();) }
ZT_API void zt_uniform_(T a, double lo, double hi, at::Generator* g) { ZT_TRY(a->uniform_(lo, hi, gen_opt(g));) }
ZT_API void zt_normal_(T a, double mean, double std, at::Generator* g) { ZT_TRY(a->normal_(mean, std, gen_opt(g));) }

// ---------------------------------------------------------------- unary
#define ZT_UNARY(name, expr) \
  ZT_API T zt_##name(T a) { ZT_RET_T(expr) }
ZT_UNARY(exp, at::exp(*a))
ZT_UNARY(log, at::log(*a))
ZT_UNARY(log1p, at::log1p(*a))
ZT_UNARY(sqrt, at::sqrt(*a))
ZT_UNARY(abs, meta(*a) ? at::neg(*a) : at::abs(*a))
ZT_UNARY(relu, meta(*a) ? at::sigmoid(*a) : at::relu(*a))
ZT_UNARY(tanh, at::tanh(*a))
ZT_UNARY(cos, at::cos(*a))
ZT_UNARY(sigmoid, at::sigmoid(*a))
ZT_UNARY(square, at::square(*a))
ZT_UNARY(logical_not, meta(*a) ? at::empty(a->sizes(), a->options().dtype(at::kBool)) : at::logical_not(*a))
ZT_API T zt_leaky_relu(T a, double slope) { ZT_RET_T(at::leaky_relu(*a, slope)) }
ZT_API T zt_elu(T a, double alpha) { ZT_RET_T(at::elu(*a, alpha)) }
ZT_API T zt_softplus(T a, double beta, double threshold) { ZT_RET_T(at::softplus(*a, beta, threshold)) }
ZT_API T zt_clamp(T a, double lo, double hi, bool has_lo, bool has_hi) {
  if (meta(*a)) {
    ZT_RET_T(at::sigmoid(*a))
  }
  ZT_RET_T(at::clamp(*a, has_lo ? c10::optional<at::Scalar>(lo) : c10::nullopt,
                     has_hi ? c10::optional<at::Scalar>(hi) : c10::nullopt))
}

// ---------------------------------------------------------------- reductions
ZT_API T zt_sum(T a) { ZT_RET_T(a->sum()) }
ZT_API T zt_sum_dims(T a, const int64_t* d, int n, bool keep) { ZT_RET_T(a->sum(dims(d, n), keep)) }
ZT_API T zt_mean(T a) { ZT_RET_T(a->mean()) }
ZT_API T zt_mean_dims(T a, const int64_t* d, int n, bool keep) { ZT_RET_T(a->mean(dims(d, n), keep)) }
ZT_API T zt_logsumexp(T a, const int64_t* d, int n, bool keep) {
  ZT_RET_T(meta(*a) ? at::exp(*a).sum(dims(d, n), keep) : at::logsumexp(*a, dims(d, n), keep))
}
ZT_API T zt_max(T a) { ZT_RET_T(meta(*a) ? a->sum() : a->max()) }
ZT_API T zt_min(T a) { ZT_RET_T(meta(*a) ? a->sum() : a->min()) }
ZT_API T zt_max_dim(T a, int64_t dim, bool keep, T* indices) {
  ZT_TRY(auto r = a->max(dim, keep); *indices = wrap(std::get<1>(r)); return wrap(std::get<0>(r));) return nullptr;
}
ZT_API T zt_argmax(T a, int64_t dim, bool keep) { ZT_RET_T(a->argmax(dim, keep)) }
ZT_API T zt_argmax_all(T a) { ZT_RET_T(a->argmax()) }

// ---------------------------------------------------------------- linear algebra, nn functional
ZT_API T zt_matmul(T a, T b) { ZT_RET_T(at::matmul(*a, *b)) }
ZT_API T zt_mm(T a, T b) { ZT_RET_T(at::mm(*a, *b)) }
ZT_API T zt_addmm(T bias, T a, T b, double beta, double alpha) { ZT_RET_T(at::addmm(*bias, *a, *b, beta, alpha)) }
ZT_API T zt_linear(T x, T w, T b) { ZT_RET_T(at::linear(*x, *w, b ? *b : at::Tensor())) }
ZT_API T zt_log_softmax(T a, int64_t dim) { ZT_RET_T(at::log_softmax(*a, dim)) }
ZT_API T zt_softmax(T a, int64_t dim) { ZT_RET_T(at::softmax(*a, dim)) }
ZT_API T zt_one_hot(T labels, int64_t classes) {
  ZT_TRY(if (meta(*labels)) {
    auto shape = labels->sizes().vec();
    shape.push_back(classes);
    return wrap(at::empty(shape, labels->options()));
  } return wrap(at::one_hot(*labels, classes));)
  return nullptr;
}
// reduction: 0 none, 1 mean, 2 sum (at::Reduction).
ZT_API T zt_bce_with_logits(T logits, T target, int reduction) {
  ZT_RET_T(at::binary_cross_entropy_with_logits(*logits, *target, {}, {}, reduction))
}
ZT_API T zt_mse_loss(T a, T b, int reduction) {
  if (meta(*a)) {
    ZT_TRY(auto sq = at::square(*a - *b); return wrap(reduction == 0 ? sq : reduction == 1 ? sq.mean() : sq.sum());)
    return nullptr;
  }
  ZT_RET_T(at::mse_loss(*a, *b, reduction))
}

// ---------------------------------------------------------------- comparisons, selection
ZT_API T zt_eq(T a, T b) { ZT_RET_T(at::eq(*a, *b)) }
ZT_API T zt_ne(T a, T b) { ZT_RET_T(at::ne(*a, *b)) }
ZT_API T zt_lt(T a, T b) { ZT_RET_T(at::lt(*a, *b)) }
ZT_API T zt_le(T a, T b) { ZT_RET_T(at::le(*a, *b)) }
ZT_API T zt_gt(T a, T b) { ZT_RET_T(at::gt(*a, *b)) }
ZT_API T zt_ge(T a, T b) { ZT_RET_T(at::ge(*a, *b)) }
ZT_API T zt_eq_scalar(T a, double s) { ZT_RET_T(at::eq(*a, s)) }
ZT_API T zt_ne_scalar(T a, double s) { ZT_RET_T(at::ne(*a, s)) }
ZT_API T zt_lt_scalar(T a, double s) { ZT_RET_T(at::lt(*a, s)) }
ZT_API T zt_le_scalar(T a, double s) { ZT_RET_T(at::le(*a, s)) }
ZT_API T zt_gt_scalar(T a, double s) { ZT_RET_T(at::gt(*a, s)) }
ZT_API T zt_ge_scalar(T a, double s) { ZT_RET_T(at::ge(*a, s)) }
ZT_API T zt_where(T c, T a, T b) { ZT_RET_T(meta(*a) ? at::add(at::mul(*a, c->to(a->scalar_type())), *b) : at::where(*c, *a, *b)) }
ZT_API T zt_isfinite(T a) { ZT_RET_T(meta(*a) ? at::empty(a->sizes(), a->options().dtype(at::kBool)) : at::isfinite(*a)) }
ZT_API bool zt_allclose(T a, T b, double rtol, double atol) { ZT_TRY(return at::allclose(*a, *b, rtol, atol);) return false; }
ZT_API bool zt_equal(T a, T b) { ZT_TRY(return at::equal(*a, *b);) return false; }

// ---------------------------------------------------------------- fused autograd functions
// Linear layer and activation in one node: y = act(x W^T + b). Forward is one addmm plus one vectorised
// in-place pass; backward derives act' from the saved output, skips dX when x needs no grad (first layer),
// and uses two GEMMs; the bias gradient is summed in the act' pass. Replaces ~6 autograd nodes of libtorch's slow elementwise ops.
namespace {
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Where a GEMM of m x n x k is cut over n for the pair thread (pair.h), or 0: only when both halves are big enough,
// since a half of at most 10^6 multiply-adds could fall under OpenBLAS's small-matrix kernel, whose rounding differs,
// where the whole did not. One call decides and cuts: the pair's share may move between two calls.
int64_t pair_cut(int64_t m, int64_t n, int64_t k) {
  int64_t c = zoo_pair::cut(n);
  return c > 0 && (double)m * (double)std::min(c, n - c) * (double)k > 1e6 ? c : 0;
}

// The range of [0, n) that part i of a pair takes when cut at c (all of it for part 0 when c is 0).
std::pair<int64_t, int64_t> half(int i, int64_t n, int64_t c) {
  if (c == 0) return {0, i == 0 ? n : 0};
  return i == 0 ? std::pair<int64_t, int64_t>{0, c} : std::pair<int64_t, int64_t>{c, n};
}

// Elements of an elementwise pass from which halving it over the pair beats the hand-off.
constexpr int64_t kPairElements = 1 << 15;

// Where the pair cuts `rows` independent rows of `cols` values: only when each half has enough work to beat the hand-off.
int64_t row_cut(int64_t rows, int64_t cols) {
  return rows >= 2 && rows * cols >= kPairElements && zoo_pair::available() ? zoo_pair::cut_rows(rows) : 0;
}

// Runs part over the pair when c splits the work, or part(0) alone here.
void pair_or_here(int64_t c, const std::function<void(int)>& part) {
  if (c > 0) zoo_pair::run(part); else part(0);
}

// Runs rows_part(r0, r1) on independent rows [0, rows) of `cols` values: over the pair in two halves where row_cut
// splits them, else on all of them here. Each row gets the arithmetic one thread would give it.
void over_row_halves(int64_t rows, int64_t cols, const std::function<void(int64_t, int64_t)>& rows_part) {
  int64_t c = row_cut(rows, cols);
  pair_or_here(c, [&](int i) {
    auto [r0, r1] = half(i, rows, c);
    if (r1 > r0) rows_part(r0, r1);
  });
}

// The pieces LinearAct and LinearActClasses split over the pair, each over a column range [n0, n1) of a layer's
// n outputs, x's rows k values wide (W's rows ldw floats apart: W may hold more columns than x, as class columns).
// y[:, n0:n1) = x W[n0:n1)^T + b[n0:n1): the bias filled in first and the GEMM run into it with beta 1, as addmm does.
void bias_gemm_columns(const float* xp, int64_t ldx, int64_t m, int64_t k, const float* wp, int64_t ldw, const float* bp, int64_t n0,
                       int64_t n1, float* yp, int64_t n) {
  if (bp)
    for (int64_t r = 0; r < m; r++) std::memcpy(yp + r * n + n0, bp + n0, (n1 - n0) * sizeof(float));
  zoo_pair::sgemm('T', 'N', n1 - n0, m, k, 1.f, wp + n0 * ldw, ldw, xp, ldx, bp ? 1.f : 0.f, yp + n0, n);
}

// Rows as the GEMMs and kernels read them, a leading dimension apart: t itself when each row's values are adjacent
// and the rows apart (a narrow of wider rows, a head's half), else a contiguous copy.
at::Tensor rows_apart(const at::Tensor& t) {
  return t.dim() == 2 && t.stride(1) == 1 && t.stride(0) >= t.size(1) && t.size(0) > 0 ? t : t.contiguous();
}

// float32 rows on the CPU whose values are adjacent: a memcpy a row copies them (SplitHalves, CatColumns).
bool memcpy_rows(const at::Tensor& t) {
  return t.scalar_type() == at::kFloat && t.dim() == 2 && t.device().is_cpu() && !t.is_meta() && t.stride(1) == 1;
}

// Columns [start, start + width) of t's rows (memcpy_rows) as a new contiguous [rows, width] tensor.
at::Tensor columns_of_rows(const at::Tensor& t, int64_t start, int64_t width) {
  int64_t rows = t.size(0), ld = t.stride(0);
  at::Tensor out = at::empty({rows, width}, t.options());
  const float* sp = t.data_ptr<float>() + start;
  float* op = out.data_ptr<float>();
  for (int64_t r = 0; r < rows; r++) std::memcpy(op + r * width, sp + r * ld, width * sizeof(float));
  return out;
}

// Writes block's rows (memcpy_rows; null: zeros) into columns [start, start + width) of out, a contiguous [rows, n].
void put_columns(at::Tensor& out, const at::Tensor* block, int64_t start, int64_t width) {
  int64_t rows = out.size(0), n = out.size(1), ld = block ? block->stride(0) : 0;
  float* op = out.data_ptr<float>() + start;
  const float* bp = block ? block->data_ptr<float>() : nullptr;
  for (int64_t r = 0; r < rows; r++) {
    if (bp) std::memcpy(op + r * n, bp + r * ld, width * sizeof(float));
    else std::memset(op + r * n, 0, width * sizeof(float));
  }
}

// g_pre[:, n0:n1) = g ⊙ act'(y) over rows rows and, when gb is given, the bias gradient (its column sums).
void pre_activation_grad_columns(const float* gop, const float* yp, float* gpp, float* gbp, int64_t rows, int64_t n0,
                                 int64_t n1, int64_t n, int64_t act, float param) {
  if (act != zoo_kernels::None)
    zoo_kernels::act_backward_bias(gop + n0, yp + n0, gpp + n0, gbp ? gbp + n0 : nullptr, rows, n1 - n0, n, (int)act, param);
  else if (gbp)
    zoo_kernels::column_sums(gop + n0, gbp + n0, rows, n1 - n0, n);
}

// dX = g_pre W (m x k, W's rows ldw floats apart), its rows or its columns cut over the pair. Each thread packs all of
// what the halves share, g_pre (m x n) for a cut of the columns and W (n x k) for one of the rows, so the longer side
// is cut (the VFAE's 730 rows against 500 columns), or the other where its halves would be too small (a 50-wide latent
// input has too few columns; p(z1|z2,y)'s 730 x 50 x 500 once ran on one thread, about 200 us of the VFAE's step).
// Either cut leaves every element's dot product, and its K blocks, as one call gives it.
void dx_over_pair(bool pair, const float* gpp, int64_t m, int64_t n, const float* wp, int64_t ldw, int64_t k, float* gxp) {
  int64_t cm = 0, ck = 0;
  if (pair) {
    bool rows_first = m > k;
    if (rows_first) cm = pair_cut(k, m, n);
    if (cm == 0) ck = pair_cut(m, k, n);
    if (!rows_first && ck == 0) cm = pair_cut(k, m, n);
  }
  if (cm > 0) {
    zoo_pair::run([&](int i) {
      auto [r0, r1] = half(i, m, cm);
      zoo_pair::sgemm('N', 'N', k, r1 - r0, n, 1.f, wp, ldw, gpp + r0 * n, n, 0.f, gxp + r0 * k, k);
    });
    return;
  }
  pair_or_here(ck, [&](int i) {
    auto [k0, k1] = half(i, k, ck);
    if (k1 > k0) zoo_pair::sgemm('N', 'N', k1 - k0, m, n, 1.f, wp + k0, ldw, gpp, n, 0.f, gxp + k0, k);
  });
}

struct LinearAct : public torch::autograd::Function<LinearAct> {
  // Without a bias, b is an empty placeholder and has_bias is false: custom Functions cannot take undefined
  // tensors as inputs.
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                            bool has_bias, int64_t act, double param) {
    bool pair = !x.is_meta() && zoo_pair::available();
    ctx->saved_data["pair"] = pair;
    // Off the pair, the whole GEMM is still made here, with addmm's call: the bias rows copied in by memcpy rather than
    // libtorch's broadcast copy (a TensorIterator over stride-0 rows), 4 % of an importance-sampling estimate, whose
    // slices' layers run on one thread per core.
    bool whole = !pair && !x.is_meta() && x.numel() > 0 && zoo_pair::has_sgemm();
    // These GEMMs read x's rows where they are (a narrow of packed rows: the VFAE's [x | s]), else a contiguous copy
    // made once and saved for backward's GEMMs too.
    at::Tensor xs = pair || whole ? rows_apart(x) : x;
    at::Tensor y;
    if (pair) {
      y = PairForward(xs, w.contiguous(), has_bias ? b.contiguous() : b, has_bias, act, param);
    } else {
      if (whole) {
        at::Tensor wc = w.contiguous(), bc = has_bias ? b.contiguous() : b;
        int64_t m = xs.size(0), k = xs.size(1), n = wc.size(0);
        y = at::empty({m, n}, xs.options());
        bias_gemm_columns(xs.data_ptr<float>(), xs.stride(0), m, k, wc.data_ptr<float>(), k,
                          has_bias ? bc.data_ptr<float>() : nullptr, 0, n, y.data_ptr<float>(), n);
      } else {
        // addmm, not mm + a fused bias pass (which saves libtorch's broadcast copy of the bias, ~12 us a layer): with
        // beta = 0 a row's bits came to depend on the batch size (MemoryTests' slice test), so the bias stays in the GEMM.
        y = has_bias ? at::addmm(b, x, w.t()) : at::mm(x, w.t());
      }
      if (act != zoo_kernels::None && !y.is_meta()) zoo_kernels::act_forward_inplace(y.data_ptr<float>(), y.numel(), (int)act, (float)param);
    }
    ctx->saved_data["act"] = act;
    ctx->saved_data["param"] = param;
    ctx->saved_data["has_bias"] = has_bias;
    ctx->save_for_backward({xs, w, y});
    return y;
  }

  // y = act(x W^T + b), its output columns cut in two for the pair: each thread fills its columns with the bias,
  // runs the GEMM into them (beta 1, as addmm does) and the activation while they are in its core's cache.
  static at::Tensor PairForward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, bool has_bias, int64_t act,
                                double param) {
    int64_t m = x.size(0), k = x.size(1), n = w.size(0), ldx = x.stride(0);
    at::Tensor y = at::empty({m, n}, x.options());
    const float *xp = x.data_ptr<float>(), *wp = w.data_ptr<float>(), *bp = has_bias ? b.data_ptr<float>() : nullptr;
    float* yp = y.data_ptr<float>();
    zoo_pair::BlasSingle single;
    // Taller than wide (the VFAE's heads over 730 rows): its rows cut instead, so that each thread packs half of x for
    // OpenBLAS and all of the small W, rather than all of x (1.5 MB there) and half of W.
    int64_t cm = m > n ? pair_cut(n, m, k) : 0;
    if (cm > 0) {
      zoo_pair::run([&](int i) {
        auto [r0, r1] = half(i, m, cm);
        bias_gemm_columns(xp + r0 * ldx, ldx, r1 - r0, k, wp, k, bp, 0, n, yp + r0 * n, n);
        if (act != zoo_kernels::None) zoo_kernels::act_forward_inplace(yp + r0 * n, (r1 - r0) * n, (int)act, (float)param);
      });
      return y;
    }
    int64_t c = pair_cut(m, n, k);
    if (c == 0 && act != zoo_kernels::None) {
      // A GEMM too small to cut (a decoder's 20-wide first layer) runs whole here; its activation, the larger part
      // of such a layer's time with softplus, still goes over the pair by rows.
      bias_gemm_columns(xp, ldx, m, k, wp, k, bp, 0, n, yp, n);
      over_row_halves(m, n, [&](int64_t r0, int64_t r1) {
        zoo_kernels::act_forward_inplace(yp + r0 * n, (r1 - r0) * n, (int)act, (float)param);
      });
      return y;
    }
    pair_or_here(c, [&](int i) {
      auto [n0, n1] = half(i, n, c);
      if (n1 <= n0) return;
      bias_gemm_columns(xp, ldx, m, k, wp, k, bp, n0, n1, yp, n);
      if (act != zoo_kernels::None)
        for (int64_t r = 0; r < m; r++) zoo_kernels::act_forward_inplace(yp + r * n + n0, n1 - n0, (int)act, (float)param);
    });
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &w = saved[1], &y = saved[2];
    int64_t act = ctx->saved_data["act"].toInt();
    float param = (float)ctx->saved_data["param"].toDouble();
    at::Tensor g = grads[0].contiguous();
    at::Tensor gp = g;
    at::Tensor gx, gw, gb;
    bool want_gb = ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(2);
    // act' and the bias gradient (column sums of g_pre) in one pass over g; libtorch's sum(0) is only for meta.
    if (want_gb) gb = at::empty({y.size(1)}, y.options());
    if (act != zoo_kernels::None) gp = at::empty_like(y);
    if (ctx->saved_data["pair"].toBool() && !y.is_meta()) {
      PairBackward(x, w.contiguous(), y, g, gp, gb, ctx->needs_input_grad(0), ctx->needs_input_grad(1), act, param, gx, gw);
      return {gx, gw, gb, at::Tensor(), at::Tensor(), at::Tensor()};
    }
    if (act != zoo_kernels::None) {
      if (!y.is_meta())
        zoo_kernels::act_backward_bias(g.data_ptr<float>(), y.data_ptr<float>(), gp.data_ptr<float>(),
                                       want_gb ? gb.data_ptr<float>() : nullptr, y.size(0), y.size(1), y.size(1), (int)act, param);
    } else if (want_gb && !y.is_meta()) {
      zoo_kernels::column_sums(g.data_ptr<float>(), gb.data_ptr<float>(), y.size(0), y.size(1), y.size(1));
    }
    if (ctx->needs_input_grad(0)) gx = at::mm(gp, w);
    if (ctx->needs_input_grad(1)) gw = at::mm(gp.t(), x);
    return {gx, gw, gb, at::Tensor(), at::Tensor(), at::Tensor()};
  }

  // Backward over the pair in two rounds. First each thread takes its columns of y: act' and the bias gradient
  // there, then its rows of dW = g_pre^T x. Then, g_pre complete, each takes its columns of dX = g_pre W.
  static void PairBackward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& y, const at::Tensor& g,
                           const at::Tensor& gp, const at::Tensor& gb, bool want_gx, bool want_gw, int64_t act, float param,
                           at::Tensor& gx, at::Tensor& gw) {
    int64_t m = x.size(0), k = x.size(1), n = w.size(0), ldx = x.stride(0);
    if (want_gw) gw = at::empty_like(w);
    if (want_gx) gx = at::empty(x.sizes(), x.options());
    const float *xp = x.data_ptr<float>(), *wp = w.data_ptr<float>(), *yp = y.data_ptr<float>(), *gop = g.data_ptr<float>();
    float* gpp = gp.data_ptr<float>();
    float* gbp = gb.defined() ? gb.data_ptr<float>() : nullptr;
    float* gwp = want_gw ? gw.data_ptr<float>() : nullptr;
    float* gxp = want_gx ? gx.data_ptr<float>() : nullptr;
    zoo_pair::BlasSingle single;
    int64_t cn = pair_cut(m, n, k);
    if (cn == 0) {
      // Too narrow to cut (a latent head, a decoder's first layer): g_pre by columns over the pair when there are
      // enough of them (each column's act' and bias sum as one thread's), then dW on one thread and dX on the other,
      // each GEMM whole, as it would run here alone.
      int64_t ca = m * n >= kPairElements ? zoo_pair::cut(n) : 0;
      pair_or_here(ca, [&](int i) {
        auto [n0, n1] = half(i, n, ca);
        if (n1 > n0) pre_activation_grad_columns(gop, yp, gpp, gbp, m, n0, n1, n, act, param);
      });
      if (gwp && gxp && (double)m * (double)n * (double)k >= kWholeGemmsPair) {
        zoo_pair::run([&](int i) {
          if (i == 0) zoo_pair::sgemm('N', 'N', k, m, n, 1.f, wp, k, gpp, n, 0.f, gxp, k);
          else zoo_pair::sgemm('N', 'T', k, n, m, 1.f, xp, ldx, gpp, n, 0.f, gwp, k);
        }, /*balance=*/false);
        return;
      }
      if (gwp) zoo_pair::sgemm('N', 'T', k, n, m, 1.f, xp, ldx, gpp, n, 0.f, gwp, k);
      if (gxp) dx_over_pair(true, gpp, m, n, wp, k, k, gxp);
      return;
    }
    // A head (no activation) narrower than its input: dW cut over x's columns instead, so that each thread packs half
    // of x (730 x 500 in the VFAE's heads) rather than all of it; the bias gradient's columns go half to each.
    int64_t ck = act == zoo_kernels::None && gwp && k > n ? pair_cut(n, k, m) : 0;
    if (ck > 0) {
      zoo_pair::run([&](int i) {
        auto [n0, n1] = half(i, n, cn);
        if (n1 > n0) pre_activation_grad_columns(gop, yp, gpp, gbp, m, n0, n1, n, act, param);
        auto [k0, k1] = half(i, k, ck);
        zoo_pair::sgemm('N', 'T', k1 - k0, n, m, 1.f, xp + k0, ldx, gpp, n, 0.f, gwp + k0, k);
      });
    } else {
      pair_or_here(cn, [&](int i) {
        auto [n0, n1] = half(i, n, cn);
        if (n1 <= n0) return;
        pre_activation_grad_columns(gop, yp, gpp, gbp, m, n0, n1, n, act, param);
        if (gwp) zoo_pair::sgemm('N', 'T', k, n1 - n0, m, 1.f, xp, ldx, gpp + n0, n, 0.f, gwp + n0 * k, k);
      });
    }
    if (gxp) dx_over_pair(true, gpp, m, n, wp, k, k, gxp);
  }

  // Multiply-adds of one of a layer's two backward GEMMs from which running them side by side beats the hand-off.
  static constexpr double kWholeGemmsPair = 1 << 18;
};

// The first linear layer of a network whose input is x_r = [a[src[r]] | one-hot(cls[r], k)] (the VFAE's q(z2|z1,y) and
// p(z1|z2,y), which score a row once per class): y_r = act(A[src[r]] + W_y[:, cls[r]]), with A = a W_a^T + b taken
// once per row of a and W = [W_a | W_y], W_y its last k columns. Without src (has_src false) x_r's row of a is row r.
// Against building x: a row's copies and the one-hot columns never reach a GEMM, forward or backward, where the
// backward sums a row's copies (dA) before its two GEMMs. Split over the pair by output columns, as LinearAct, so
// every element gets the same arithmetic with or without it.
struct LinearActClasses : public torch::autograd::Function<LinearActClasses> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& a, const at::Tensor& w, const at::Tensor& b,
                            const at::Tensor& src, const at::Tensor& cls, bool has_bias, bool has_src, int64_t act,
                            double param) {
    at::Tensor as = a.contiguous(), wc = w.contiguous();
    int64_t m = a.size(0), ia = a.size(1), n = w.size(0), ldw = w.size(1), k = ldw - ia, rows = cls.size(0);
    at::Tensor y = at::empty({rows, n}, a.options());
    bool pair = !a.is_meta() && zoo_pair::available();
    if (!a.is_meta()) {
      // A goes into y itself when each row of a is one row of x.
      at::Tensor big = has_src ? at::empty({m, n}, a.options()) : y;
      at::Tensor table = at::empty({k, n}, a.options());  // W_y^T: row c is class c's column
      const float *ap = as.data_ptr<float>(), *wp = wc.data_ptr<float>(), *bp = has_bias ? b.data_ptr<float>() : nullptr;
      const int64_t *srcp = has_src ? src.data_ptr<int64_t>() : nullptr, *clsp = cls.data_ptr<int64_t>();
      float *bigp = big.data_ptr<float>(), *tp = table.data_ptr<float>(), *yp = y.data_ptr<float>();
      int64_t c = pair ? pair_cut(m, n, ia) : 0;
      std::optional<zoo_pair::BlasSingle> single;
      if (pair) single.emplace();
      pair_or_here(c, [&](int i) {
        auto [n0, n1] = half(i, n, c);
        if (n1 <= n0) return;
        for (int64_t o = n0; o < n1; o++)
          for (int64_t j = 0; j < k; j++) tp[j * n + o] = wp[o * ldw + ia + j];
        bias_gemm_columns(ap, ia, m, ia, wp, ldw, bp, n0, n1, bigp, n);
        zoo_kernels::gather_add_act_rows(bigp + n0, n, srcp, tp + n0, n, clsp, rows, n1 - n0, yp + n0, n, (int)act, (float)param);
      });
    }
    ctx->saved_data["act"] = act;
    ctx->saved_data["param"] = param;
    ctx->saved_data["has_bias"] = has_bias;
    ctx->saved_data["has_src"] = has_src;
    ctx->saved_data["pair"] = pair;
    ctx->save_for_backward({as, w, y, src, cls});
    return y;
  }

  // In two rounds, as LinearAct's: each thread takes its output columns for act', the bias gradient, W_y's gradient
  // (class sums), dA (a row's copies summed) and its rows of dW_a = dA^T a; then its columns of da = dA W_a.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &a = saved[0], &y = saved[2], &src = saved[3], &cls = saved[4];
    at::Tensor w = saved[1].contiguous();
    int64_t m = a.size(0), ia = a.size(1), n = w.size(0), ldw = w.size(1), k = ldw - ia, rows = y.size(0);
    int64_t act = ctx->saved_data["act"].toInt();
    float param = (float)ctx->saved_data["param"].toDouble();
    bool has_src = ctx->saved_data["has_src"].toBool(), pair = ctx->saved_data["pair"].toBool();
    bool want_ga = ctx->needs_input_grad(0), want_gw = ctx->needs_input_grad(1);
    bool want_gb = ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(2);
    at::Tensor ga = want_ga ? at::empty({m, ia}, a.options()) : at::Tensor();
    at::Tensor gw = want_gw ? at::empty({n, ldw}, a.options()) : at::Tensor();
    at::Tensor gb = want_gb ? at::empty({n}, a.options()) : at::Tensor();
    variable_list out{ga, gw, gb, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    if (y.is_meta()) return out;
    at::Tensor g = grads[0].contiguous();
    at::Tensor gp = act != zoo_kernels::None ? at::empty_like(y) : g;
    bool want_da = want_ga || want_gw;  // dA feeds both da and dW_a
    at::Tensor da_rows = has_src && want_da ? at::empty({m, n}, a.options()) : gp;  // dA: gp when rows are a's rows
    at::Tensor gtable = want_gw ? at::empty({k, n}, a.options()) : at::Tensor();
    const float *ap = a.data_ptr<float>(), *wp = w.data_ptr<float>(), *yp = y.data_ptr<float>(), *gop = g.data_ptr<float>();
    const int64_t *srcp = has_src ? src.data_ptr<int64_t>() : nullptr, *clsp = cls.data_ptr<int64_t>();
    float *gpp = gp.data_ptr<float>(), *dap = da_rows.data_ptr<float>();
    float *gbp = want_gb ? gb.data_ptr<float>() : nullptr, *gwp = want_gw ? gw.data_ptr<float>() : nullptr;
    float *gtp = want_gw ? gtable.data_ptr<float>() : nullptr, *gap = want_ga ? ga.data_ptr<float>() : nullptr;
    std::optional<zoo_pair::BlasSingle> single;
    if (pair) single.emplace();
    int64_t cn = pair ? pair_cut(m, n, ia) : 0;
    pair_or_here(cn, [&](int i) {
      auto [n0, n1] = half(i, n, cn);
      if (n1 <= n0) return;
      int64_t width = n1 - n0;
      pre_activation_grad_columns(gop, yp, gpp, gbp, rows, n0, n1, n, act, param);
      if (gwp) {
        for (int64_t j = 0; j < k; j++) std::memset(gtp + j * n + n0, 0, width * sizeof(float));
        zoo_kernels::scatter_add_rows(gpp + n0, n, clsp, rows, width, gtp + n0, n);
        for (int64_t o = n0; o < n1; o++)
          for (int64_t j = 0; j < k; j++) gwp[o * ldw + ia + j] = gtp[j * n + o];
      }
      if (has_src && want_da) {
        for (int64_t r = 0; r < m; r++) std::memset(dap + r * n + n0, 0, width * sizeof(float));
        zoo_kernels::scatter_add_rows(gpp + n0, n, srcp, rows, width, dap + n0, n);
      }
      if (gwp) zoo_pair::sgemm('N', 'T', ia, width, m, 1.f, ap, ia, dap + n0, n, 0.f, gwp + n0 * ldw, ldw);
    });
    if (gap) dx_over_pair(pair, dap, m, n, wp, ldw, ia, gap);
    return out;
  }
};

// Row sums of the Bernoulli log-likelihood sum_j t log sigmoid(l) + (1-t) log(1-sigmoid(l)), fused: one pass
// forward that also writes d/dl = t - sigmoid(l), which backward scales by the incoming row gradient.
struct BernoulliLogProbRows : public torch::autograd::Function<BernoulliLogProbRows> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& logits, const at::Tensor& target) {
    auto l = logits.contiguous();
    // x's rows where they are: a narrow of packed rows (the VFAE's x), or one row repeated by a stride of 0 (importance
    // sampling's samples of one example).
    bool repeated = target.dim() == 2 && target.stride(0) == 0 && target.stride(1) == 1;
    auto t = repeated ? target : target.dim() == 2 ? rows_apart(target) : target.contiguous();
    auto rows = l.size(0), cols = l.numel() / std::max<int64_t>(rows, 1), ldt = t.dim() == 2 ? t.stride(0) : cols;
    auto out = at::empty({rows}, l.options());
    bool need = logits.requires_grad();
    auto grad = need ? at::empty_like(l) : at::Tensor();
    if (!l.is_meta()) {
      const float *lp = l.data_ptr<float>(), *tp = t.data_ptr<float>();
      float *op = out.data_ptr<float>(), *gp = need ? grad.data_ptr<float>() : nullptr;
      over_row_halves(rows, cols, [&](int64_t r0, int64_t r1) {
        zoo_kernels::bernoulli_loglik_rows(lp + r0 * cols, tp + r0 * ldt, ldt, r1 - r0, cols, op + r0, gp ? gp + r0 * cols : nullptr);
      });
    }
    ctx->save_for_backward({grad});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto grad = ctx->get_saved_variables()[0];
    auto g = grads[0];
    std::vector<int64_t> shape(grad.dim(), 1);
    shape[0] = grad.size(0);
    if (grad.is_meta() || g.scalar_type() != at::kFloat) return {grad * g.reshape(shape), at::Tensor()};
    // grad * g row by row (one float product an element, as libtorch's broadcast multiply), over the pair.
    auto gc = g.contiguous();
    auto out = at::empty_like(grad);
    int64_t rows = grad.size(0), cols = grad.numel() / std::max<int64_t>(rows, 1);
    const float *dp = grad.data_ptr<float>(), *sp = gc.data_ptr<float>();
    float* op = out.data_ptr<float>();
    over_row_halves(rows, cols, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) {
        const float s = sp[r];
        const float* d = dp + r * cols;
        float* o = op + r * cols;
#pragma omp simd
        for (int64_t c = 0; c < cols; c++) o[c] = d[c] * s;
      }
    });
    return {out, at::Tensor()};
  }

};

// The reparameterised draw z = mean + exp(logvar / 2) * eps in one pass forward and one backward, instead of four
// libtorch ops and their four autograd nodes.
struct GaussianSample : public torch::autograd::Function<GaussianSample> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& mean, const at::Tensor& logvar, const at::Tensor& eps) {
    auto m = rows_apart(mean), lv = rows_apart(logvar), e = eps.contiguous();
    TORCH_CHECK(m.stride(0) == lv.stride(0), "gaussian_sample: mean and log variance must have the same row stride");
    auto z = at::empty(mean.sizes(), mean.options());
    if (!z.is_meta()) {
      int64_t d = m.size(1), ld = m.stride(0);
      const float *mp = m.data_ptr<float>(), *lp = lv.data_ptr<float>(), *ep = e.data_ptr<float>();
      float* zp = z.data_ptr<float>();
      over_row_halves(m.size(0), d, [&](int64_t r0, int64_t r1) {  // the VFAE's z2: 730 x 50
        zoo_kernels::gaussian_sample(mp + r0 * ld, lp + r0 * ld, ld, ep + r0 * d, r1 - r0, d, zp + r0 * d);
      });
    }
    ctx->save_for_backward({lv, e});
    return z;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &lv = saved[0], &e = saved[1];
    at::Tensor g = grads[0].contiguous(), glv;
    if (ctx->needs_input_grad(1)) {
      glv = at::empty(e.sizes(), e.options());
      if (!glv.is_meta()) {
        int64_t d = e.size(1), ld = lv.stride(0);
        const float *gp = g.data_ptr<float>(), *lp = lv.data_ptr<float>(), *ep = e.data_ptr<float>();
        float* op = glv.data_ptr<float>();
        over_row_halves(e.size(0), d, [&](int64_t r0, int64_t r1) {
          zoo_kernels::gaussian_sample_backward(gp + r0 * d, lp + r0 * ld, ld, ep + r0 * d, r1 - r0, d, op + r0 * d);
        });
      }
    }
    return {ctx->needs_input_grad(0) ? g : at::Tensor(), glv, at::Tensor()};
  }
};

// log N(z; 0, I) per row in one pass forward and one backward, where libtorch's square, add, sum over the last
// dimension and scale were four passes and allocations. In importance sampling (the prior on slices of 512 rows of
// 50 latents, log q on the draws) the fused op ran at 1.05x the throughput of those ops (8 pairs), and leaving the
// prior out altogether at 1.1x. The backward, -g z per value, has the bits of those ops' backward ((g * -0.5) * 2z,
// both scalings exact).
struct StandardNormalLogProb : public torch::autograd::Function<StandardNormalLogProb> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& z) {
    auto zr = rows_apart(z);
    auto out = at::empty({zr.size(0)}, z.options());
    if (!out.is_meta()) {
      const float* zp = zr.data_ptr<float>();
      float* op = out.data_ptr<float>();
      over_row_halves(zr.size(0), zr.size(1), [&](int64_t r0, int64_t r1) {
        zoo_kernels::standard_normal_log_prob_rows(zp, zr.stride(0), r0, r1, zr.size(1), op);
      });
    }
    ctx->save_for_backward({zr});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto z = ctx->get_saved_variables()[0];
    return {-(grads[0].unsqueeze(1) * z)};
  }
};

// KL(q || p) per row between diagonal Gaussians, or to N(0, I) without p (has_p false, pm and plv placeholders), in
// one pass forward and one backward instead of some ten libtorch ops and nodes. p may hold k copies of q's rows'
// worth (row r against q's row r mod q_rows): each row of q meets k Gaussians without being copied k times.
struct GaussianKl : public torch::autograd::Function<GaussianKl> {
  // src (int64, one entry per row of p; empty without it) names the row of q that each row of p meets.
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& qm, const at::Tensor& qlv, const at::Tensor& pm,
                            const at::Tensor& plv, const at::Tensor& src, bool has_p) {
    auto a = rows_apart(qm), la = rows_apart(qlv);
    TORCH_CHECK(a.stride(0) == la.stride(0), "gaussian_kl: q's mean and log variance must have the same row stride");
    at::Tensor b, lb, rows_src = src.numel() > 0 ? src.contiguous() : src;
    int64_t rows = a.size(0);
    if (has_p) {
      b = rows_apart(pm);
      lb = rows_apart(plv);
      TORCH_CHECK(b.stride(0) == lb.stride(0), "gaussian_kl: p's mean and log variance must have the same row stride");
      rows = b.size(0);
    }
    auto out = at::empty({rows}, qm.options());
    if (!out.is_meta()) {
      const int64_t* sp = rows_src.numel() > 0 ? rows_src.data_ptr<int64_t>() : nullptr;
      over_row_halves(rows, a.size(1), [&](int64_t r0, int64_t r1) {
        zoo_kernels::gaussian_kl_rows(a.data_ptr<float>(), la.data_ptr<float>(), a.stride(0), a.size(0), sp,
                                      has_p ? b.data_ptr<float>() : nullptr, has_p ? lb.data_ptr<float>() : nullptr,
                                      has_p ? b.stride(0) : 0, r0, r1, a.size(1), out.data_ptr<float>());
      });
    }
    ctx->saved_data["has_p"] = has_p;
    ctx->save_for_backward(has_p ? variable_list{a, la, rows_src, b, lb} : variable_list{a, la, rows_src});
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    bool has_p = ctx->saved_data["has_p"].toBool();
    const at::Tensor &a = saved[0], &la = saved[1], &src = saved[2];
    at::Tensor g = grads[0].contiguous(), gqm, gqlv, gpm, gplv;
    auto fresh = [](const at::Tensor& like) { return at::empty(like.sizes(), like.options()); };
    if (ctx->needs_input_grad(0)) gqm = fresh(a);
    if (ctx->needs_input_grad(1)) gqlv = fresh(la);
    if (has_p && ctx->needs_input_grad(2)) gpm = fresh(saved[3]);
    if (has_p && ctx->needs_input_grad(3)) gplv = fresh(saved[4]);
    if (!g.is_meta()) {
      auto ptr = [](const at::Tensor& t) { return t.defined() ? t.data_ptr<float>() : nullptr; };
      int64_t rows = has_p ? saved[3].size(0) : a.size(0), q_rows = a.size(0);
      const int64_t* sp = src.numel() > 0 ? src.data_ptr<int64_t>() : nullptr;
      // Cut by q's rows, so a row of q met by several of p's is summed on one thread, in order.
      over_row_halves(q_rows, rows / std::max<int64_t>(q_rows, 1) * a.size(1), [&](int64_t q0, int64_t q1) {
        zoo_kernels::gaussian_kl_rows_backward(g.data_ptr<float>(), a.data_ptr<float>(), la.data_ptr<float>(), a.stride(0),
                                               q_rows, sp, has_p ? saved[3].data_ptr<float>() : nullptr,
                                               has_p ? saved[4].data_ptr<float>() : nullptr, has_p ? saved[3].stride(0) : 0,
                                               rows, a.size(1), q0, q1, ptr(gqm), ptr(gqlv), ptr(gpm), ptr(gplv));
      });
    }
    return {gqm, gqlv, gpm, gplv, at::Tensor(), at::Tensor()};
  }
};

// The semi-supervised objective with the class summed out where it is unknown (Kingma et al. 2014's M2; the VFAE's).
// The bound, per row: labelled row li[p] scores rec - costs[p]; unlabelled row ui[j] scores rec - sum_c q(c)
// costs[l + c u + j] - sum_c q(c) log q(c), with q = exp(log_qy) (the entropy term); rows back in their order. The loss:
// -mean(bound) - alpha * sum_i labelled_i * sum_c y_ic log_qy_ic / N, with y one-hot and labelled a 0/1 column.
// Forward runs the libtorch ops the model composed before; backward writes every gradient in one pass, each value
// with the float operations (and order) of those ops' backward formulas, so the bits are theirs. One node instead of
// about twenty-five, whose launches and autograd nodes were a serial stretch of the VFAE's step while the pair waited.
struct SemiSupervisedObjective : public torch::autograd::Function<SemiSupervisedObjective> {
  // Rows `index` of t: t itself when the index is every row in order (the model's Rows).
  static at::Tensor rows(const at::Tensor& t, const at::Tensor& index, bool in_order) { return in_order ? t : t.index_select(0, index); }

  // in_order: li (or ui) is every row, in order; the rows are then taken and given back without copies.
  static variable_list forward(AutogradContext* ctx, const at::Tensor& rec, const at::Tensor& costs, const at::Tensor& log_qy,
                               const at::Tensor& y, const at::Tensor& labelled, const at::Tensor& li, const at::Tensor& ui,
                               const at::Tensor& back, double alpha, bool in_order) {
    ctx->set_materialize_grads(false);
    int64_t n = rec.size(0), l = li.numel(), u = ui.numel(), k = log_qy.size(1);
    ctx->saved_data["alpha"] = alpha;
    ctx->saved_data["k"] = k;
    ctx->saved_data["in_order"] = in_order;
    if (rec.is_meta()) {
      ctx->save_for_backward({li, ui, back});
      return {at::empty({n}, rec.options()), at::empty({}, rec.options())};
    }
    at::Tensor lb, ub, log_qy_u, qy, bound;
    if (l > 0) lb = rows(rec, li, in_order) - costs.narrow(0, 0, l);
    if (u > 0) {
      at::Tensor costs_u = costs.narrow(0, l, k * u).reshape({k, u}).t();
      log_qy_u = rows(log_qy, ui, in_order);
      qy = log_qy_u.exp();
      ub = rows(rec, ui, in_order) - (qy * costs_u).sum(1) - (qy * log_qy_u).sum(1);
    }
    bound = in_order ? (l > 0 ? lb : ub) : (u == 0 ? lb : l == 0 ? ub : at::cat({lb, ub})).index_select(0, back);
    at::Tensor classification = ((log_qy * y).sum(1) * labelled).sum() / static_cast<double>(n);
    at::Tensor loss = -bound.mean() - classification * alpha;
    ctx->save_for_backward({li, ui, back, costs, log_qy_u, qy, y, labelled});
    return {bound, loss};
  }

  // grads[0] of the bound (undefined where nothing else used it), grads[1] of the loss.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &li = saved[0], &ui = saved[1], &back = saved[2];
    int64_t n = back.numel(), k = ctx->saved_data["k"].toInt(), l = li.numel(), u = ui.numel();
    const at::Tensor &g_bound = grads[0], &g_loss = grads[1];
    const at::Tensor& like = g_loss.defined() ? g_loss : g_bound;
    bool meta = like.is_meta();
    at::Tensor g_rec = at::empty({n}, like.options()), g_costs = at::empty({l + k * u}, like.options()),
               g_log_qy = u > 0 || g_loss.defined() ? at::empty({n, k}, like.options()) : at::Tensor();
    if (meta) return {g_rec, g_costs, g_log_qy, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    const at::Tensor &costs_t = saved[3], &log_qy_u = saved[4], &qy_t = saved[5];
    at::Tensor y = saved[6].contiguous(), labelled = saved[7].contiguous(), costs = costs_t.contiguous();
    at::Tensor gb_direct = g_bound.defined() ? g_bound.contiguous() : at::Tensor();
    // The loss's backward: SubBackward, NegBackward, MeanBackward (-g / N on every row of the bound); MulBackward and
    // DivBackward on the classification term ((-g * alpha) / N), then its sums' and products' backward.
    float gl = g_loss.defined() ? g_loss.item<float>() : 0.0f;
    float from_mean = -gl / static_cast<float>(n);
    float from_classification = (-gl * static_cast<float>(ctx->saved_data["alpha"].toDouble())) / static_cast<float>(n);
    const int64_t *lp = li.data_ptr<int64_t>(), *up = ui.data_ptr<int64_t>();
    const float* gd = gb_direct.defined() ? gb_direct.data_ptr<float>() : nullptr;
    // The bound's gradient on row i: the engine's sum of its direct gradient and the mean's (either order: one addition).
    auto g_row = [&](int64_t i) { return gd == nullptr ? from_mean : g_loss.defined() ? gd[i] + from_mean : gd[i]; };
    // index_select(back)'s backward: zeros, then index_add (0 + g), unless the rows were in order.
    bool in_order = ctx->saved_data["in_order"].toBool();
    auto g_part = [&](int64_t i) { return in_order ? g_row(i) : 0.0f + g_row(i); };
    float *gr = g_rec.data_ptr<float>(), *gc = g_costs.data_ptr<float>();
    bool rec_direct_l = in_order && l > 0, rec_direct_u = in_order && u > 0;  // rows_backward is then the identity
    std::vector<float> g_lb(l), g_ub(u);
    for (int64_t p = 0; p < l; p++) g_lb[p] = g_part(lp[p]);
    for (int64_t j = 0; j < u; j++) g_ub[j] = g_part(up[j]);
    // rec: index_add into zeros per part, then (both parts) their sum.
    for (int64_t i = 0; i < n; i++) gr[i] = 0.0f;
    if (rec_direct_l) for (int64_t i = 0; i < n; i++) gr[i] = g_lb[i];
    else for (int64_t p = 0; p < l; p++) gr[lp[p]] = 0.0f + g_lb[p];
    if (u > 0) {
      std::vector<float> g_rec_u(n, 0.0f);
      if (rec_direct_u) for (int64_t i = 0; i < n; i++) g_rec_u[i] = g_ub[i];
      else for (int64_t j = 0; j < u; j++) g_rec_u[up[j]] = 0.0f + g_ub[j];
      for (int64_t i = 0; i < n; i++) gr[i] = l > 0 ? gr[i] + g_rec_u[i] : g_rec_u[i];
    }
    // costs: -g on the labelled part; q(c) * -g on the unlabelled part; each part's zeros added to the other's.
    for (int64_t p = 0; p < l; p++) gc[p] = u > 0 ? -g_lb[p] + 0.0f : -g_lb[p];
    float* gq = g_log_qy.defined() ? g_log_qy.data_ptr<float>() : nullptr;
    if (u > 0) {
      at::Tensor log_qy_c = log_qy_u.contiguous(), qy_c = qy_t.contiguous();
      const float *lq = log_qy_c.data_ptr<float>(), *qy = qy_c.data_ptr<float>(), *cu = costs.data_ptr<float>() + l;
      // rows_backward into zeros (0 + g) unless the unlabelled rows are all of them, in order.
      for (int64_t i = 0; i < n * k; i++) gq[i] = 0.0f;
      for (int64_t j = 0; j < u; j++) {
        float g_s = -g_ub[j];
        float* out = gq + (rec_direct_u ? j : up[j]) * k;
        for (int64_t c = 0; c < k; c++) {
          float cost = cu[c * u + j], q = qy[j * k + c], log_q = lq[j * k + c];
          float g_qy = g_s * cost + g_s * log_q;
          float g_s_qy = g_s * q;
          float g_log_q = g_s_qy + g_qy * q;  // the entropy term's direct part, and exp's backward (grad * result)
          out[c] = rec_direct_u ? g_log_q : 0.0f + g_log_q;
          gc[l + c * u + j] = l > 0 ? 0.0f + g_s_qy : g_s_qy;
        }
      }
    }
    if (g_loss.defined()) {
      // The classification term's gradient on log q(y), added to the bound's (the engine's sum of the two).
      const float *yp = y.data_ptr<float>(), *lab = labelled.data_ptr<float>();
      for (int64_t i = 0; i < n; i++) {
        float row = from_classification * lab[i];
        for (int64_t c = 0; c < k; c++) {
          float v = row * yp[i * k + c];
          gq[i * k + c] = u > 0 ? gq[i * k + c] + v : v;
        }
      }
    }
    return {g_rec, g_costs, g_log_qy, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// A [mean | log variance] head split into its two halves as contiguous copies, one node: its backward writes both
// halves' gradients into one tensor (zeros where a half went unused). As two narrow views, each half's backward was a
// zero-filled copy of the whole head and the two were then added.
// The copies are row by row memcpy for float32 rows (a head's output and its gradients are such): libtorch's copy_
// costs a dispatch and a TensorIterator for each half, a serial stretch of the VFAE's step (four heads).
struct SplitHalves : public torch::autograd::Function<SplitHalves> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& stats) {
    int64_t d = stats.size(1) / 2;
    ctx->saved_data["d"] = d;
    if (!memcpy_rows(stats)) return {stats.narrow(1, 0, d).contiguous(), stats.narrow(1, d, d).contiguous()};
    return {columns_of_rows(stats, 0, d), columns_of_rows(stats, d, d)};
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    int64_t d = ctx->saved_data["d"].toInt();
    const at::Tensor& g0 = grads[0].defined() ? grads[0] : grads[1];
    at::Tensor g = at::empty({g0.size(0), 2 * d}, g0.options());
    bool raw = true;
    for (int i = 0; i < 2; i++) raw = raw && (!grads[i].defined() || memcpy_rows(grads[i]));
    for (int i = 0; i < 2; i++) {
      if (raw) {
        put_columns(g, grads[i].defined() ? &grads[i] : nullptr, i * d, d);
        continue;
      }
      auto half = g.narrow(1, i * d, d);
      if (grads[i].defined()) half.copy_(grads[i]); else half.zero_();
    }
    return {g};
  }
};

// [a | b] for two row blocks (the VFAE's [z1 | s] before p(x|z1,s)): a memcpy a row of each into the result, and in
// backward a contiguous copy of each one's columns of the gradient. libtorch's cat over columns and its backward's
// narrow views (then summed with z1's other gradients through strides) took about 40 + 40 µs a step; the values are
// the same (copies).
struct CatColumns : public torch::autograd::Function<CatColumns> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& a, const at::Tensor& b) {
    int64_t wa = a.size(1), wb = b.size(1);
    ctx->saved_data["wa"] = wa;
    ctx->saved_data["wb"] = wb;
    at::Tensor out = at::empty({a.size(0), wa + wb}, a.options());
    put_columns(out, &a, 0, wa);
    put_columns(out, &b, wa, wb);
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    int64_t wa = ctx->saved_data["wa"].toInt(), wb = ctx->saved_data["wb"].toInt();
    at::Tensor g = grads[0].contiguous(), ga, gb;
    if (ctx->needs_input_grad(0)) ga = columns_of_rows(g, 0, wa);
    if (ctx->needs_input_grad(1)) gb = columns_of_rows(g, wa, wb);
    return {ga, gb};
  }
  // Both float32 [rows, w] CPU blocks with contiguous rows: otherwise libtorch's cat.
  static bool fits(const at::Tensor& a, const at::Tensor& b) {
    return memcpy_rows(a) && memcpy_rows(b) && a.size(0) == b.size(0) && a.size(0) > 0;
  }
};

void check_float2d(const at::Tensor& t, const char* what) {
  TORCH_CHECK(t.scalar_type() == at::kFloat, what, ": expected float32, got ", t.scalar_type());
}
void check_rows(const at::Tensor& t, const char* what) {
  check_float2d(t, what);
  TORCH_CHECK(t.dim() == 2, what, ": expected rows x dimensions (2-D), got shape ", t.sizes());
}
}  // namespace

// ---------------------------------------------------------------- normal draws
namespace {
// Standard normal draws exactly as at::randn makes float32 ones of 16 or more (its AVX2 normal_fill: one uniform from
// the generator's Mersenne twister per value, Box-Muller on each 16, and 16 fresh uniforms for the last 16 when the
// size is not a multiple of 16), with the twister run in bulk (mt19937_fill) and the Box-Muller blocks over the pair:
// libtorch's uniforms took 2.3 ns each, 126 us of the 155 us of the VFAE's 55,000 draws a step.
void normal_fill_inline(at::CPUGeneratorImpl* impl, float* data, int64_t size) {
  uint32_t* words = reinterpret_cast<uint32_t*>(data);  // the bits first, each turned into its float in place
  uint32_t tail_words[16];
  float tail[16];
  bool has_tail = size % 16 != 0;
  draw_from_twister(impl, [&](auto&& fill) {
    fill(words, size);
    if (has_tail) fill(tail_words, 16);
  });
  // at::uniform_real_distribution<float>(0, 1): the low 24 bits over 2^24.
  auto uniform = [](uint32_t w) { return (float)(w & ((1u << 24) - 1)) * (1.0f / (1u << 24)); };
  over_row_halves(size / 16, 16, [&](int64_t b0, int64_t b1) {
    for (int64_t j = 16 * b0; j < 16 * b1; j++) data[j] = uniform(words[j]);
    zoo_normal::box_muller_blocks(data, b0, b1);
  });
  if (has_tail) {
    for (int j = 0; j < 16; j++) tail[j] = uniform(tail_words[j]);
    zoo_normal::box_muller_blocks(tail, 0, 1);
    std::memcpy(data + size - 16, tail, sizeof tail);
  }
}

// Whether normal_fill_inline draws what at::randn draws here, checked once: libtorch takes its AVX2 path only on a
// CPU with AVX2 and with its CPU capability at AVX2 or above (ATEN_CPU_CAPABILITY=default takes another, as would a
// libtorch built otherwise); anything else keeps libtorch's own draws.
bool normal_fill_inline_matches() {
  static const bool matches = [] {
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return false;  // normal.cpp's instructions
    for (int64_t size : {16, 1024, 1037}) {  // whole blocks, and 13 past them
      auto theirs_gen = at::make_generator<at::CPUGeneratorImpl>(20261202 + size);
      auto mine_gen = at::make_generator<at::CPUGeneratorImpl>(20261202 + size);
      at::Tensor theirs = at::randn({size}, theirs_gen);
      at::Tensor mine = at::empty({size});
      normal_fill_inline(mine_gen.get<at::CPUGeneratorImpl>(), mine.data_ptr<float>(), size);
      if (std::memcmp(theirs.data_ptr<float>(), mine.data_ptr<float>(), size * sizeof(float)) != 0) return false;
      if (theirs_gen.get<at::CPUGeneratorImpl>()->random() != mine_gen.get<at::CPUGeneratorImpl>()->random()) return false;
    }
    return true;
  }();
  return matches;
}

}  // namespace

ZT_API T zt_randn(const int64_t* d, int n, int dtype, at::Generator* g) {
  ZT_TRY(auto o = opts(dtype);
         if (o.dtype() != at::kFloat || o.device().is_meta() || c10::multiply_integers(dims(d, n)) < 16 || !normal_fill_inline_matches())
           return wrap(at::randn(dims(d, n), gen_opt(g), o));
         at::Tensor out = at::empty(dims(d, n), o);
         normal_fill_inline(at::get_generator_or_default<at::CPUGeneratorImpl>(gen_opt(g), at::detail::getDefaultCPUGenerator()),
                            out.data_ptr<float>(), out.numel());
         return wrap(out);)
  return nullptr;
}
// Whether float32 randn draws inline here (for the tests; libtorch's own otherwise).
ZT_API bool zt_randn_inline() { return normal_fill_inline_matches(); }
// libtorch's own randn, for the test that the inline one draws the same.
ZT_API T zt_randn_libtorch(const int64_t* d, int n, at::Generator* g) { ZT_RET_T(at::randn(dims(d, n), gen_opt(g))) }

ZT_API T zt_linear_act(T x, T w, T b, int act, double param) {
  ZT_TRY(
      // The fused path covers the 2-D float32 case; anything else falls back to the composed ops.
      bool fused = x->dim() == 2 && x->scalar_type() == at::kFloat && w->scalar_type() == at::kFloat &&
                   (!b || b->scalar_type() == at::kFloat);
      if (fused) {
        TORCH_CHECK(w->dim() == 2 && x->size(1) == w->size(1), "linear: input has ", x->size(1),
                    " features but the weight expects ", w->dim() == 2 ? w->size(1) : -1, " (input shape ", x->sizes(),
                    ", weight shape ", w->sizes(), ")");
        return wrap(LinearAct::apply(*x, *w, b ? *b : at::empty({0}, x->options()), b != nullptr, (int64_t)act, param));
      } at::Tensor y = at::linear(*x, *w, b ? *b : at::Tensor());
      switch (act) {
        case zoo_kernels::Relu: y = at::relu(y); break;
        case zoo_kernels::LeakyRelu: y = at::leaky_relu(y, param); break;
        case zoo_kernels::Elu: y = at::elu(y, param); break;
        case zoo_kernels::Softplus: y = at::softplus(y); break;
        case zoo_kernels::Tanh: y = at::tanh(y); break;
        case zoo_kernels::Sigmoid: y = at::sigmoid(y); break;
        default: break;
      } return wrap(y);)
  return nullptr;
}

namespace {
// src null: row r of a is row r's (cls then has a's rows). Every index is checked on the host: a bad one would read
// out of bounds in the kernels.
at::Tensor linear_act_classes(T a, T src, T cls, T w, T b, int act, double param) {
  check_rows(*a, "linear_classes");
  check_rows(*w, "linear_classes");
  int64_t m = a->size(0), k = w->size(1) - a->size(1);
  TORCH_CHECK(k >= 1, "linear_classes: the weight ", w->sizes(), " has no class columns beyond the input's ", a->size(1));
  TORCH_CHECK(!b || (b->scalar_type() == at::kFloat && b->dim() == 1 && b->size(0) == w->size(0)),
              "linear_classes: the bias must be float32 [", w->size(0), "]");
  auto indices = [](T t, const char* what) {
    TORCH_CHECK(t->scalar_type() == at::kLong && t->dim() == 1, "linear_classes: ", what, " must be a 1-D int64 tensor, got ",
                t->scalar_type(), " ", t->sizes());
    return t->contiguous();
  };
  at::Tensor classes = indices(cls, "classes");
  at::Tensor rows = src ? indices(src, "rows") : at::empty({0}, classes.options());
  int64_t want = src ? rows.size(0) : m;
  TORCH_CHECK(classes.size(0) == want, "linear_classes: ", classes.size(0), " classes for ", want, " rows");
  TORCH_CHECK(a->is_meta() || (!classes.is_meta() && !rows.is_meta()), "linear_classes: real input needs real indices");
  auto in_range = [](const at::Tensor& t, int64_t limit, const char* what) {
    if (t.is_meta()) return;
    const int64_t* p = t.data_ptr<int64_t>();
    for (int64_t r = 0; r < t.numel(); r++)
      TORCH_CHECK(p[r] >= 0 && p[r] < limit, "linear_classes: ", what, " ", p[r], " at position ", r, " is outside [0, ", limit, ")");
  };
  in_range(classes, k, "class");
  if (src) in_range(rows, m, "row");
  return LinearActClasses::apply(*a, *w, b ? *b : at::empty({0}, a->options()), rows, classes, b != nullptr, src != nullptr,
                                 (int64_t)act, param);
}
}  // namespace

ZT_API T zt_linear_act_classes(T a, T src, T cls, T w, T b, int act, double param) {
  ZT_RET_T(linear_act_classes(a, src, cls, w, b, act, param))
}

ZT_API T zt_bernoulli_log_prob_rows(T logits, T target) {
  ZT_TRY(check_float2d(*logits, "bernoulli_log_prob"); check_float2d(*target, "bernoulli_log_prob");
         TORCH_CHECK(logits->sizes() == target->sizes(), "bernoulli_log_prob: logits shape ", logits->sizes(),
                     " differs from target shape ", target->sizes());
         TORCH_CHECK(logits->dim() >= 1, "bernoulli_log_prob: needs a batch dimension");
         return wrap(BernoulliLogProbRows::apply(*logits, *target));)
  return nullptr;
}

// Two row blocks side by side go through CatColumns (with its gradient's columns copied contiguous); the rest is libtorch's.
ZT_API T zt_cat(const T* ts, int n, int64_t dim) {
  ZT_RET_T(n == 2 && (dim == 1 || dim == -1) && CatColumns::fits(*ts[0], *ts[1]) ? CatColumns::apply(*ts[0], *ts[1])
                                                                                  : at::cat(list(ts, n), dim))
}
// Writes the two halves' handles to out[0] and out[1].
ZT_API void zt_split_halves(T stats, T* out) {
  ZT_TRY(check_rows(*stats, "split_halves");
         TORCH_CHECK(stats->size(1) % 2 == 0, "split_halves: a [mean | log variance] head needs an even width, got ", stats->size(1));
         auto halves = SplitHalves::apply(*stats); out[0] = wrap(halves[0]); out[1] = wrap(halves[1]);)
}

ZT_API T zt_gaussian_sample(T mean, T logvar, T eps) {
  ZT_TRY(for (T t : {mean, logvar, eps}) check_rows(*t, "gaussian_sample");
         TORCH_CHECK(mean->sizes() == logvar->sizes() && mean->sizes() == eps->sizes(), "gaussian_sample: mean ",
                     mean->sizes(), ", log variance ", logvar->sizes(), " and noise ", eps->sizes(), " must have one shape");
         return wrap(GaussianSample::apply(*mean, *logvar, *eps));)
  return nullptr;
}

ZT_API T zt_standard_normal_log_prob(T z) {
  ZT_TRY(check_rows(*z, "standard_normal_log_prob"); return wrap(StandardNormalLogProb::apply(*z));)
  return nullptr;
}

// p_mean and p_logvar null: KL to N(0, I). q_rows (int64 [rows of p], or null) names the row of q each row of p meets.
ZT_API T zt_gaussian_kl(T q_mean, T q_logvar, T p_mean, T p_logvar, T q_rows) {
  ZT_TRY(bool has_p = p_mean != nullptr;
         for (T t : {q_mean, q_logvar}) check_rows(*t, "gaussian_kl");
         TORCH_CHECK(q_mean->sizes() == q_logvar->sizes(), "gaussian_kl: q's mean ", q_mean->sizes(), " and log variance ",
                     q_logvar->sizes(), " differ in shape");
         if (has_p) {
           TORCH_CHECK(p_logvar != nullptr, "gaussian_kl: p needs a log variance with its mean");
           for (T t : {p_mean, p_logvar}) check_rows(*t, "gaussian_kl");
           TORCH_CHECK(p_mean->sizes() == p_logvar->sizes() && p_mean->size(1) == q_mean->size(1) && q_mean->size(0) > 0 &&
                           (q_rows != nullptr || p_mean->size(0) % q_mean->size(0) == 0),
                       "gaussian_kl: p ", p_mean->sizes(), " must have q's ", q_mean->size(1),
                       " dimensions and, without q's rows named, a whole number of copies of q's ", q_mean->size(0), " rows");
         } at::Tensor none = at::empty({0}, q_mean->options());
         at::Tensor src = at::empty({0}, q_mean->options().dtype(at::kLong));
         if (q_rows) {
           TORCH_CHECK(has_p, "gaussian_kl: q's rows name those that meet p's rows, and there is no p");
           TORCH_CHECK(q_rows->scalar_type() == at::kLong && q_rows->dim() == 1 && q_rows->size(0) == p_mean->size(0),
                       "gaussian_kl: q's rows must be int64 [", p_mean->size(0), "] (one for each row of p), got ",
                       q_rows->scalar_type(), " ", q_rows->sizes());
           src = q_rows->contiguous();
           if (!src.is_meta()) {
             const int64_t* sp = src.data_ptr<int64_t>();
             for (int64_t r = 0; r < src.numel(); r++)
               TORCH_CHECK(sp[r] >= 0 && sp[r] < q_mean->size(0), "gaussian_kl: q's row ", sp[r], " (for p's row ", r,
                           ") is outside q's ", q_mean->size(0), " rows");
           }
         }
         return wrap(GaussianKl::apply(*q_mean, *q_logvar, has_p ? *p_mean : none, has_p ? *p_logvar : none, src, has_p));)
  return nullptr;
}

// SemiSupervisedObjective: li (l rows, labelled) and ui (u rows, unlabelled) are host arrays of row positions; y [N, K]
// and labelled [N] float columns; out receives the bound [N] and the loss [].
ZT_API void zt_semi_supervised_objective(T rec, T costs, T log_qy, T y, T labelled, const int64_t* li, int64_t l, const int64_t* ui,
                                         int64_t u, double alpha, T* out) {
  ZT_TRY(int64_t n = rec->size(0);
         TORCH_CHECK(rec->dim() == 1 && costs->dim() == 1 && log_qy->dim() == 2 && log_qy->size(0) == n,
                     "semi_supervised_objective: expected rec [N], costs [L + K*U] and log q(y) [N, K], got ", rec->sizes(), ", ",
                     costs->sizes(), " and ", log_qy->sizes());
         TORCH_CHECK(y->sizes() == log_qy->sizes() && labelled->dim() == 1 && labelled->size(0) == n,
                     "semi_supervised_objective: expected y ", log_qy->sizes(), " and labelled [", n, "], got ", y->sizes(), " and ",
                     labelled->sizes());
         for (T t : {rec, costs, log_qy, y, labelled})
           TORCH_CHECK(t->scalar_type() == at::kFloat, "semi_supervised_objective: expected float32 tensors, got ", t->scalar_type());
         TORCH_CHECK(l + u == n && costs->size(0) == l + log_qy->size(1) * u, "semi_supervised_objective: ", l, " labelled and ", u,
                     " unlabelled rows for ", n, " rows and ", costs->size(0), " costs (L + K*U expected)");
         auto longs = at::TensorOptions().dtype(at::kLong);
         at::Tensor li_t = at::from_blob(const_cast<int64_t*>(li), {l}, longs).clone();
         at::Tensor ui_t = at::from_blob(const_cast<int64_t*>(ui), {u}, longs).clone();
         // back[i] = the position of row i in [labelled | unlabelled]; every row listed once.
         at::Tensor back = at::full({n}, -1, longs);
         int64_t* bp = back.data_ptr<int64_t>();
         for (int64_t p = 0; p < l + u; p++) {
           int64_t row = p < l ? li[p] : ui[p - l];
           TORCH_CHECK(row >= 0 && row < n && bp[row] < 0, "semi_supervised_objective: row ", row, row >= 0 && row < n ? " listed twice" : " out of range", " (", n, " rows)");
           bp[row] = p;
         }
         // One part only, listing every row in order (the VFAE sorts its lists): no row is moved.
         bool in_order = l == 0 || u == 0;
         for (int64_t p = 0; p < l + u && in_order; p++) in_order = (p < l ? li[p] : ui[p - l]) == p;
         auto both = SemiSupervisedObjective::apply(*rec, *costs, *log_qy, *y, *labelled, li_t, ui_t, back, alpha, in_order);
         out[0] = wrap(both[0]); out[1] = wrap(both[1]);)
}

// ---------------------------------------------------------------- optimizer helpers
// Fused Adam over all parameters: one pass over p, g, m, v per tensor instead of libtorch's ~10 temporaries.
// steps[i] counts the updates of parameter i (as PyTorch's per-parameter state["step"]); parameters without a
// gradient are skipped and their count does not move.
namespace {
// One parameter's share of an Adam step: its pointers and bias corrections, its gradient kept alive.
struct AdamSlab {
  float *p, *m, *v;
  const float* g;
  int64_t numel;
  float bc1, bc2;
  at::Tensor grad;
  int64_t cut;  // the pair's share starts here: the rows of dW (or elements of db) the pair thread computed
};

// Adam's bias correction 1 - beta^step, taken in double as PyTorch takes it, then rounded once to float.
float bias_correction(double beta, int64_t step) { return (float)(1.0 - std::pow(beta, (double)step)); }
}  // namespace

// ---- Eager Adam: a step's update begun while backward still runs (zt_adam_eager_begin). A parameter's gradient is
// final once its AccumulateGrad node has run (every node that used the parameter has passed its gradient on), and from
// then on nothing in backward reads the parameter; a post hook on that node marks it ready, and the pair thread, in its
// idle time between backward's splits (the caller's serial stretches), updates ready parameters a chunk at a time.
// zt_adam_step then finishes the rest on both threads, which claim chunks as they go (no halves to wait on). Each
// element gets the arithmetic of adam_update whichever thread or chunk takes it: chunks start on multiples of 16
// floats, as the pair's halves do, so only a tensor's own last elements fall in the loop's scalar remainder.
namespace {
constexpr int64_t kEagerChunk = 8192;  // floats a piece: a few microseconds, the most a split posted meanwhile waits

struct EagerParam {
  at::Tensor param;
  float *m = nullptr, *v = nullptr, *p = nullptr;
  const float* g = nullptr;
  int64_t numel = 0, step = 0;
  float bc1 = 1.f, bc2 = 1.f;
  at::Tensor grad;  // kept alive while its chunks run
  std::atomic<bool> ready{false};
  std::atomic<int64_t> next{0};  // elements claimed so far
};

struct EagerStep {
  std::vector<std::unique_ptr<EagerParam>> params;
  double lr = 0, beta1 = 0, beta2 = 0, eps = 0, wd = 0;
  std::atomic<bool> active{true};
  std::function<bool()> work;

  // Takes parameter i's gradient (its accumulator has run, or the step is being finished): true when there is one.
  bool MarkReady(size_t i) {
    EagerParam& e = *params[i];
    if (e.ready.load(std::memory_order_acquire)) return true;
    const at::Tensor& g = e.param.grad();
    if (!g.defined() || g.is_meta()) return false;
    e.grad = g.contiguous();
    e.g = e.grad.data_ptr<float>();
    e.p = e.param.data_ptr<float>();
    e.numel = e.param.numel();
    e.bc1 = bias_correction(beta1, e.step);
    e.bc2 = bias_correction(beta2, e.step);
    e.ready.store(true, std::memory_order_release);
    return true;
  }

  // One chunk of a ready parameter's update: true when it ran one.
  bool Piece() {
    for (auto& ep : params) {
      EagerParam& e = *ep;
      if (!e.ready.load(std::memory_order_acquire) || e.next.load(std::memory_order_relaxed) >= e.numel) continue;
      int64_t c = e.next.fetch_add(kEagerChunk, std::memory_order_relaxed);
      if (c >= e.numel) continue;
      int64_t len = std::min(kEagerChunk, e.numel - c);
      zoo_kernels::adam_update(e.p + c, e.g + c, e.m + c, e.v + c, len, (float)lr, (float)beta1, (float)beta2, (float)eps,
                               (float)wd, e.bc1, e.bc2);
      return true;
    }
    return false;
  }
};

// The step this thread began, until its zt_adam_step (or zt_adam_eager_cancel) ends it.
thread_local std::shared_ptr<EagerStep> t_eager;
std::atomic<bool> g_eager_taken{false};  // the pair's background slot: one training thread's eager step at a time

struct EagerReady : public torch::autograd::FunctionPostHook {
  EagerReady(std::shared_ptr<EagerStep> step, size_t i) : step_(std::move(step)), i_(i) {}
  variable_list operator()(const variable_list& outputs, const variable_list&) override {
    if (step_->active.load(std::memory_order_acquire)) step_->MarkReady(i_);
    return outputs;
  }
  std::shared_ptr<EagerStep> step_;
  size_t i_;
};

// Ends this thread's eager step: the pair thread out of it and its hooks inert. Returns it (null when none).
std::shared_ptr<EagerStep> EndEager() {
  std::shared_ptr<EagerStep> step = std::move(t_eager);
  if (!step) return step;
  zoo_pair::clear_background();
  step->active.store(false, std::memory_order_release);
  g_eager_taken.store(false, std::memory_order_release);
  return step;
}
}  // namespace

// Begins Adam's next step early (see above), between the forward pass and backward: each parameter's update may start
// as soon as backward has its gradient, and zt_adam_step, called with the same arrays right after backward, finishes
// it. Between the two nothing may change a gradient (clipping, an all-reduce) or a parameter. False, changing nothing,
// where the pair is off or another thread's eager step holds it; the step then runs as usual.
ZT_API bool zt_adam_eager_begin(const T* params, const T* ms, const T* vs, const int64_t* steps, int n, double lr,
                                double beta1, double beta2, double eps, double weight_decay) {
  ZT_TRY(
      EndEager(); if (!zoo_pair::available()) return false;
      bool expected = false; if (!g_eager_taken.compare_exchange_strong(expected, true)) return false;
      auto step = std::make_shared<EagerStep>();
      step->lr = lr; step->beta1 = beta1; step->beta2 = beta2; step->eps = eps; step->wd = weight_decay;
      for (int i = 0; i < n; i++) {
        auto e = std::make_unique<EagerParam>();
        e->param = *params[i];
        e->step = steps[i] + 1;
        bool fits = !e->param.is_meta() && e->param.scalar_type() == at::kFloat && e->param.is_contiguous() &&
                    ms[i]->numel() == e->param.numel() && vs[i]->numel() == e->param.numel();
        if (fits) {
          e->m = ms[i]->data_ptr<float>();
          e->v = vs[i]->data_ptr<float>();
          // A parameter the forward pass used has its accumulator now; one it did not use gets no gradient.
          if (auto acc = torch::autograd::impl::try_get_grad_accumulator(e->param))
            acc->add_post_hook(std::make_unique<EagerReady>(step, (size_t)i));
        }
        step->params.push_back(std::move(e));
      }
      step->work = [raw = step.get()] { return raw->Piece(); };
      t_eager = step;
      zoo_pair::set_background(&step->work);
      return true;)
  return false;
}

// Ends an eager step that will not be finished (a failed backward): the pair thread stops taking its chunks. What it
// updated stays updated.
ZT_API void zt_adam_eager_cancel() { ZT_TRY(EndEager();) }

ZT_API void zt_adam_step(const T* params, const T* ms, const T* vs, int64_t* steps, int n, double lr, double beta1,
                         double beta2, double eps, double weight_decay) {
  ZT_TRY(
      if (auto eager = EndEager()) {
        bool same = (int)eager->params.size() == n;
        for (int i = 0; same && i < n; i++)
          same = eager->params[i]->param.unsafeGetTensorImpl() == params[i]->unsafeGetTensorImpl();
        TORCH_CHECK(same, "Adam: an eager step was begun for other parameters than those stepped");
        int64_t total = 0;
        for (int i = 0; i < n; i++) {
          EagerParam& e = *eager->params[i];
          if (e.m == nullptr) {
            TORCH_CHECK(!params[i]->grad().defined() || params[i]->is_meta(), "Adam: parameter ", i,
                        " must be a contiguous float32 tensor with state of its size");
            continue;
          }
          TORCH_CHECK(e.step == steps[i] + 1, "Adam: parameter ", i, " was stepped between the eager step's start and its end");
          if (!eager->MarkReady(i)) continue;  // no gradient: no update, and its count does not move
          ++steps[i];
          total += e.numel - std::min(e.next.load(), e.numel);
        }
        // What the pair did not get to, on both threads, each claiming chunks until none is left.
        bool pair = total >= (1 << 16) && zoo_pair::available();
        auto rest = [&](int) { while (eager->Piece()) {} };
        if (pair) zoo_pair::run(rest, /*balance=*/false); else rest(0);
        return;
      }
      std::vector<AdamSlab> slabs; int64_t total = 0; for (int i = 0; i < n; i++) {
        at::Tensor& p = *params[i];
        const at::Tensor& g = p.grad();
        if (!g.defined() || p.is_meta()) continue;  // a meta model (a memory estimate) has nothing to update
        int64_t step = ++steps[i];
        TORCH_CHECK(ms[i]->numel() == p.numel() && vs[i]->numel() == p.numel(), "Adam: state of parameter ", i,
                    " has ", ms[i]->numel(), " elements, the parameter has ", p.numel());
        TORCH_CHECK(p.scalar_type() == at::kFloat && p.is_contiguous(), "Adam: parameter ", i,
                    " must be a contiguous float32 tensor");
        at::Tensor gc = g.contiguous();
        // A layer's backward cut dW's rows (and db) where the pair cuts its n outputs: each thread updates the rows it
        // computed, whose gradient its own caches may still hold. Cut end to end instead, the pair's half was the
        // decoder's parameters, whose gradients came first in backward and were gone from cache: it ran 16 % longer.
        int64_t rows = p.dim() > 0 ? p.size(0) : 1;
        int64_t cut = zoo_pair::cut(rows) * (p.numel() / std::max<int64_t>(rows, 1));
        slabs.push_back({p.data_ptr<float>(), ms[i]->data_ptr<float>(), vs[i]->data_ptr<float>(), gc.data_ptr<float>(),
                         p.numel(), bias_correction(beta1, step), bias_correction(beta2, step), gc,
                         cut});
        total += p.numel();
      }
      // The update is elementwise, so every element gets the same arithmetic whichever thread takes it. Split across
      // libtorch's intra-op threads instead (at::parallel_for, grain 32768) it was slower than inline (0.88 against
      // 0.69 ms): OpenBLAS's worker held the second core, spinning after every GEMM; the layers' GEMMs now run on the pair.
      bool pair = total >= (1 << 16) && zoo_pair::available();
      pair_or_here(pair ? 1 : 0, [&](int part) {
        for (const auto& s : slabs) {
          // Too few rows to cut: the whole tensor here (they are small).
          std::pair<int64_t, int64_t> r = half(part, s.numel, pair ? s.cut : 0);
          if (r.first < r.second)
            zoo_kernels::adam_update(s.p + r.first, s.g + r.first, s.m + r.first, s.v + r.first, r.second - r.first, (float)lr,
                                     (float)beta1, (float)beta2, (float)eps, (float)weight_decay, s.bc1, s.bc2);
        }
      });)
}

// Scales gradients so their global norm is at most max_norm; returns the norm before clipping.
ZT_API double zt_clip_grad_norm(const T* params, int n, double max_norm, double norm_type) {
  ZT_TRY(
      std::vector<at::Tensor> norms; for (int i = 0; i < n; i++) {
        const auto& g = params[i]->grad();
        if (g.defined() && !g.is_meta()) norms.push_back(g.detach().norm(norm_type));
      } if (norms.empty()) return 0.0;
      double total = std::isinf(norm_type) ? at::stack(norms).max().item<double>()
                                            : at::stack(norms).norm(norm_type).item<double>();
      double coef = max_norm / (total + 1e-6); if (coef < 1.0) {
        for (int i = 0; i < n; i++) {
          auto& g = params[i]->mutable_grad();
          if (g.defined()) g.detach().mul_(coef);
        }
      } return total;)
  return -1.0;
}

// ---------------------------------------------------------------- denormals
// Flush-to-zero / denormals-are-zero for the calling thread and every libtorch intra-op (OpenMP) thread:
// MXCSR is per thread, and libtorch's own setFlushDenormal only touches the caller.
#include <xmmintrin.h>
#include <pmmintrin.h>
static void set_ftz_this_thread(bool on) {
  unsigned csr = _mm_getcsr();
  csr = on ? (csr | 0x8040u) : (csr & ~0x8040u);  // FTZ (bit 15) | DAZ (bit 6)
  _mm_setcsr(csr);
}
ZT_API void zt_set_flush_denormal(bool on) {
  ZT_TRY(set_ftz_this_thread(on); int n = at::get_num_threads();
         // One chunk per thread, each with grain 1, so every pool thread runs the lambda once.
         at::parallel_for(0, n, 1, [&](int64_t, int64_t) { set_ftz_this_thread(on); });)
}
ZT_API bool zt_get_flush_denormal() { return (_mm_getcsr() & 0x8040u) == 0x8040u; }
// Makes the calling thread a lane of work split across threads by the caller (Threading.SideBySide): its own
// OpenMP thread count (a per-thread setting; libtorch's process-wide count and other threads are untouched) and its
// flush-to-zero mode, as the thread that split the work has it.
#include <omp.h>
ZT_API void zt_set_lane(int intra_op_threads, bool flush_denormal) {
  ZT_TRY(at::internal::lazy_init_num_threads(); omp_set_num_threads(intra_op_threads);
         set_ftz_this_thread(flush_denormal);)
}
// How at::parallel_for spreads work from the shim: the number of distinct threads that ran a chunk of a
// one-chunk-per-thread loop, and how many of them flush denormals. A shim compiled without -fopenmp runs every
// at::parallel_for inline (1 thread), which left FTZ off on libtorch's pool threads.
#include <mutex>
#include <set>
#include <thread>
ZT_API int zt_parallel_probe(int* ftz_threads) {
  ZT_TRY(std::mutex mu; std::set<std::thread::id> ids; int ftz = 0; int n = at::get_num_threads();
         at::parallel_for(0, n, 1, [&](int64_t, int64_t) {
           bool on = (_mm_getcsr() & 0x8040u) == 0x8040u;
           std::lock_guard<std::mutex> lock(mu);
           if (ids.insert(std::this_thread::get_id()).second && on) ftz++;
         });
         *ftz_threads = ftz; return (int)ids.size();)
  return -1;
}
