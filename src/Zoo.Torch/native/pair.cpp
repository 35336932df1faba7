// The pair thread (see pair.h) and the process-wide OpenBLAS thread count it needs.
#include "pair.h"

#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <exception>
#include <mutex>
#include <omp.h>
#include <thread>
#include <xmmintrin.h>

#include "shim.h"

namespace zoo_pair {
namespace {

std::atomic<bool> g_on{[] {
  const char* v = std::getenv("ZOO_PAIR_THREAD");
  return !(v && std::strcmp(v, "0") == 0);
}()};

// After a part, the pair thread spins this long for the next before it sleeps: between the layers of a step the
// caller's own work is tens to hundreds of microseconds, and a futex wake-up costs tens. Measured on seed 003's
// step (1,200 steps): 100 us slept 5,061 times, 400 us 230 times, 2 ms 63 times, and the epoch took 2.36, 2.05 and
// 2.00 s. Nothing else needs the core meanwhile: in a pair loop libtorch's own ops stay on the calling thread, and
// side-by-side lanes park the pair before they start.
constexpr auto kSpin = std::chrono::microseconds(500);

// The caller's share of a cut (cut, cut_rows). One vCPU of these VMs can run a tenth slower than the other for a
// while (the pair's forward halves of the VFAE took 154 us against the caller's 139), and with halves cut at the
// middle every split waits for the slower one (the VFAE's caller waited 8 to 23 us a split, 5 to 11 % of its step).
// After each balanced run the share moves towards the point where both halves end together; ZOO_PAIR_SHARE=0.5 (or
// zt_pair_set_share) pins it. Any cut gives the same bits: GEMM cuts stay on multiples of 16 columns (OpenBLAS's
// tiles), elementwise ones are element by element.
constexpr float kShareMin = 0.3f, kShareMax = 0.7f, kShareGain = 0.02f;
std::atomic<float> g_share{0.5f};
std::atomic<bool> g_share_pinned{false};

// Pins the share at `share` (clamped to the range), or with share <= 0 lets it move again.
void PinShare(double share) {
  g_share_pinned.store(share > 0);
  if (share > 0) g_share.store(std::fmin(std::fmax((float)share, kShareMin), kShareMax));
}
const bool g_share_from_env = [] {
  if (const char* v = std::getenv("ZOO_PAIR_SHARE")) PinShare(std::atof(v));
  return true;
}();

// What the pair did since the last reset (zt_pair_stats): a run's timestamps cost two clock reads on each side
// (~20 ns each, against runs of tens to hundreds of microseconds).
struct Stats {
  std::atomic<int64_t> runs{0}, wakes{0}, late{0}, caller_wait_ns{0}, pair_busy_ns{0}, taken_back{0};
};
Stats g_stats;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

class Pair {
 public:
  Pair() { std::thread([this] { Loop(); }).detach(); }  // lives as long as the process, as OpenBLAS's threads do

  // One caller at a time; a second caller runs both parts itself.
  std::mutex busy;

  // Sends the pair thread to sleep now instead of after its spin: the caller is about to give the second core to
  // other work (Threading.SideBySide's lanes), which a spinning pair thread would hold back.
  void Park() {
    parked_.store(true, std::memory_order_relaxed);
  }

  void Run(const std::function<void(int)>& part, bool balance) {
    parked_.store(false, std::memory_order_relaxed);
    task_ = &part;
    csr_ = _mm_getcsr();  // the caller's flush-to-zero mode, so both halves round alike
    error_ = nullptr;
    uint64_t ticket = posted_.load(std::memory_order_relaxed) + 1;
    posted_at_ = NowNs();
    posted_.store(ticket, std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst)) {
      g_stats.wakes.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard<std::mutex> lock(mu_);
      cv_.notify_one();
    }
    std::exception_ptr mine;
    try {
      part(0);
    } catch (...) {
      mine = std::current_exception();
    }
    int64_t mine_done = NowNs();
    // The other half not started yet (the pair thread asleep, or its vCPU taken by the host for a while): this thread
    // takes it back and runs it, instead of waiting for a wake-up or a host that may hold that vCPU for milliseconds.
    uint64_t unclaimed = ticket - 1;
    if (claimed_.compare_exchange_strong(unclaimed, ticket, std::memory_order_acq_rel)) {
      try {
        part(1);
      } catch (...) {
        if (!mine) mine = std::current_exception();
      }
      g_stats.runs.fetch_add(1, std::memory_order_relaxed);
      g_stats.taken_back.fetch_add(1, std::memory_order_relaxed);
      task_ = nullptr;
      if (mine) std::rethrow_exception(mine);
      return;
    }
    // Wait for the other half; it is about as long as ours, so spin, yielding now and then in case it was preempted.
    for (int spins = 0; finished_.load(std::memory_order_acquire) != ticket; spins++) {
      if ((spins & 255) == 255) std::this_thread::yield(); else _mm_pause();
    }
    g_stats.runs.fetch_add(1, std::memory_order_relaxed);
    g_stats.caller_wait_ns.fetch_add(NowNs() - mine_done, std::memory_order_relaxed);
    g_stats.pair_busy_ns.fetch_add(pair_ended_ - pair_started_, std::memory_order_relaxed);
    if (pair_started_ - posted_at_ > kLate) g_stats.late.fetch_add(1, std::memory_order_relaxed);
    if (balance && !g_share_pinned.load(std::memory_order_relaxed)) {
      // Each half's time from the posting (the pair's includes its start): the longer one moves the share away from it.
      double mine = (double)(mine_done - posted_at_), its = (double)(pair_ended_ - posted_at_);
      if (mine > 2000 && its > 2000) {
        float share = g_share.load(std::memory_order_relaxed) + kShareGain * (float)((its - mine) / (its + mine));
        g_share.store(std::fmin(std::fmax(share, kShareMin), kShareMax), std::memory_order_relaxed);
      }
    }
    task_ = nullptr;
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void Loop() {
    uint64_t seen = 0;
    for (;;) {
      uint64_t ticket;
      auto spin_until = std::chrono::steady_clock::now() + kSpin;
      int spins = 0;
      while ((ticket = posted_.load(std::memory_order_acquire)) == seen) {
        if (RunBackground()) {
          spin_until = std::chrono::steady_clock::now() + kSpin;
          continue;
        }
        if ((++spins & 63) != 0 || (std::chrono::steady_clock::now() < spin_until && !parked_.load(std::memory_order_relaxed))) {
          _mm_pause();
          continue;
        }
        std::unique_lock<std::mutex> lock(mu_);
        sleeping_.store(true, std::memory_order_seq_cst);
        cv_.wait(lock, [&] { return posted_.load(std::memory_order_seq_cst) != seen; });
        sleeping_.store(false, std::memory_order_relaxed);
        spin_until = std::chrono::steady_clock::now() + kSpin;
      }
      seen = ticket;
      // Claim the half, unless the caller took it back first (then it runs there, and this thread waits for the next).
      uint64_t unclaimed = ticket - 1;
      if (!claimed_.compare_exchange_strong(unclaimed, ticket, std::memory_order_acq_rel)) continue;
      _mm_setcsr(csr_);
      pair_started_ = NowNs();
      try {
        (*task_)(1);
      } catch (...) {
        error_ = std::current_exception();
      }
      pair_ended_ = NowNs();
      finished_.store(ticket, std::memory_order_release);
    }
  }

  // One piece of the background work, if any is set and has some: true when it ran one.
  bool RunBackground() {
    if (background_.load(std::memory_order_relaxed) == nullptr) return false;
    in_background_.store(true, std::memory_order_seq_cst);
    const std::function<bool()>* work = background_.load(std::memory_order_seq_cst);
    bool ran = false;
    if (work != nullptr) {
      _mm_setcsr(background_csr_);
      try {
        ran = (*work)();
      } catch (...) {
        ran = false;  // the caller redoes what is left, and sees the error there
      }
    }
    in_background_.store(false, std::memory_order_release);
    return ran;
  }

 public:
  void SetBackground(const std::function<bool()>* work) {
    background_csr_ = _mm_getcsr();  // as a run's halves: the caller's flush-to-zero mode (published by the store)
    background_.store(work, std::memory_order_seq_cst);
  }
  void ClearBackground() {
    background_.store(nullptr, std::memory_order_seq_cst);
    while (in_background_.load(std::memory_order_seq_cst)) _mm_pause();
  }

 private:
  std::atomic<const std::function<bool()>*> background_{nullptr};
  std::atomic<bool> in_background_{false};
  unsigned background_csr_ = 0;
  static constexpr int64_t kLate = 50000;  // ns from posting to the pair starting: a start later than this counts as late
  const std::function<void(int)>* task_ = nullptr;
  int64_t posted_at_ = 0, pair_started_ = 0, pair_ended_ = 0;  // written before the release/acquire hand-offs that publish them
  unsigned csr_ = 0;
  std::exception_ptr error_;
  std::atomic<uint64_t> posted_{0}, finished_{0}, claimed_{0};  // claimed_: the last ticket whose second half someone runs
  std::atomic<bool> sleeping_{false}, parked_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

Pair& Instance() {
  static Pair* pair = new Pair();  // never destroyed: its thread may still be spinning at exit
  return *pair;
}

using SgemmFn = void (*)(const char*, const char*, const int*, const int*, const int*, const float*, const float*,
                         const int*, const float*, const int*, const float*, float*, const int*);

SgemmFn Sgemm() {
  static SgemmFn f = (SgemmFn)dlsym(RTLD_DEFAULT, "sgemm_");
  return f;
}

std::mutex g_blas_mu;
int g_blas_holders = 0, g_blas_before = 0;
using SetThreadsFn = void (*)(int);
using GetThreadsFn = int (*)();

}  // namespace

// A training loop on this thread (loop_enter): libtorch's own ops run here on one thread while the pair takes the
// second core for the layers and Adam.
thread_local int t_loop_depth = 0, t_loop_threads = 0;

bool available() {
  // The pair's halves each need OpenBLAS on one thread: another BLAS could not be told so.
  static const bool openblas = Sgemm() != nullptr && dlsym(RTLD_DEFAULT, "openblas_set_num_threads") != nullptr;
  // Two threads exactly: with more, one split in two would leave OpenBLAS's other threads idle (a split in N parts is
  // not measured: these machines have 2 cores).
  return openblas && g_on.load(std::memory_order_relaxed) && (t_loop_depth > 0 || at::get_num_threads() == 2);
}

bool loop_enter() {
  if (t_loop_depth > 0) return ++t_loop_depth, true;
  if (!available()) return false;
  t_loop_threads = at::get_num_threads();
  omp_set_num_threads(1);
  t_loop_depth = 1;
  return true;
}

void loop_leave() {
  if (t_loop_depth > 0 && --t_loop_depth == 0) omp_set_num_threads(t_loop_threads);
}

void run(const std::function<void(int)>& part, bool balance) {
  Pair& pair = Instance();
  std::unique_lock<std::mutex> lock(pair.busy, std::try_to_lock);
  if (!lock.owns_lock()) {
    part(0);
    part(1);
    return;
  }
  pair.Run(part, balance);
}

void park() { Instance().Park(); }

void set_background(const std::function<bool()>* work) { Instance().SetBackground(work); }
void clear_background() { Instance().ClearBackground(); }

BlasSingle::BlasSingle() {
  static auto set = (SetThreadsFn)dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
  static auto get = (GetThreadsFn)dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
  if (!set || !get) return;
  std::lock_guard<std::mutex> lock(g_blas_mu);
  if (g_blas_holders++ == 0) {
    g_blas_before = get();
    if (g_blas_before != 1) set(1);
  }
}

BlasSingle::~BlasSingle() {
  static auto set = (SetThreadsFn)dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
  if (!set) return;
  std::lock_guard<std::mutex> lock(g_blas_mu);
  if (--g_blas_holders == 0 && g_blas_before > 1) set(g_blas_before);
}

int64_t cut(int64_t n) {
  if (n < 64) return 0;
  int64_t c = ((int64_t)std::lround(n * g_share.load(std::memory_order_relaxed)) + 8) / 16 * 16;
  return std::min(std::max<int64_t>(c, 16), (n - 1) / 16 * 16);
}

int64_t cut_rows(int64_t rows) {
  if (rows < 2) return 0;
  return std::min(std::max<int64_t>(std::lround(rows * g_share.load(std::memory_order_relaxed)), 1), rows - 1);
}

void sgemm(char transa, char transb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  int im = (int)m, in = (int)n, ik = (int)k, ilda = (int)lda, ildb = (int)ldb, ildc = (int)ldc;
  Sgemm()(&transa, &transb, &im, &in, &ik, &alpha, a, &ilda, b, &ildb, &beta, c, &ildc);
}

bool has_sgemm() { return Sgemm() != nullptr; }

}  // namespace zoo_pair

ZT_API void zt_set_pair(bool on) { zoo_pair::g_on.store(on); }
ZT_API bool zt_pair_loop_enter() { return zoo_pair::loop_enter(); }
ZT_API void zt_pair_loop_leave() { zoo_pair::loop_leave(); }
ZT_API bool zt_get_pair() { return zoo_pair::g_on.load(); }
// The pair's statistics since the last reset: split runs, runs that had to wake it, runs it started more than 50 us after
// they were posted, the callers' waits for its halves, its own busy time (ns), and halves the callers took back (not
// started when their own was done). reset zeroes them.
ZT_API void zt_pair_stats(int64_t* out, bool reset) {
  auto& s = zoo_pair::g_stats;
  std::atomic<int64_t>* fields[] = {&s.runs, &s.wakes, &s.late, &s.caller_wait_ns, &s.pair_busy_ns, &s.taken_back};
  for (int i = 0; i < 6; i++) out[i] = reset ? fields[i]->exchange(0) : fields[i]->load();
}
ZT_API bool zt_pair_available() { return zoo_pair::available(); }
// The caller's share of the pair's cuts now; zt_pair_set_share pins it (clamped to [0.3, 0.7]), or with share <= 0
// lets it follow the halves' times again.
ZT_API double zt_pair_share() { return zoo_pair::g_share.load(); }
ZT_API void zt_pair_set_share(double share) { zoo_pair::PinShare(share); }
// Sends the pair thread to sleep now, before other threads are timed on the second core (zoo bench torch's GEMM
// reference between its rounds of steps).
ZT_API void zt_pair_park() { zoo_pair::park(); }
// For Threading.SideBySide's lanes, which need OpenBLAS on one thread too (the same count as the pair's) and the
// second core free of a spinning pair thread. The handle goes back to zt_lanes_leave.
ZT_API void* zt_lanes_enter() {
  zoo_pair::park();
  return new zoo_pair::BlasSingle();
}
ZT_API void zt_lanes_leave(void* holder) { delete static_cast<zoo_pair::BlasSingle*>(holder); }
