// The pair thread: one long-lived native thread that takes half of a fused op's work (a linear layer's GEMM and its
// elementwise epilogue, Adam's update) while the calling thread does the other half. OpenBLAS's own second thread
// shares only the GEMMs and waits out every elementwise pass between them; split this way both cores run both.
#pragma once
#include <cstdint>
#include <functional>

namespace zoo_pair {

// True when the calling thread may split work in two: the pair is on (ZOO_PAIR_THREAD=0 or zt_set_pair(false) turn
// it off), OpenBLAS is the BLAS, and libtorch uses exactly 2 threads here (not on a Threading.SideBySide lane, whose
// thread has 1, nor with ZOO_NUM_THREADS=1 or more than 2 cores, where OpenBLAS keeps its own threads).
bool available();

// A training loop on the calling thread, between loop_enter and loop_leave (nested calls count): libtorch's own
// parallel ops run on this thread alone, so the second core is the pair's rather than shared with libtorch's OpenMP
// thread, which a woken futex and a spinning pair thread made slower than no split (the VFAE's step 7.6-7.9 ms
// against 8.1-8.6). loop_enter returns false, changing nothing, where the pair is not available.
bool loop_enter();
void loop_leave();

// Runs part(0) on this thread and part(1) on the pair thread at the same time and returns when both are done; an
// exception from either is rethrown here. Another caller holding the pair (two threads training at once) makes this
// caller run both parts itself, one after the other: the same results, only slower. With balance, the parts were cut
// at cut/cut_rows, and their times move the caller's share of the next cuts (false for parts cut otherwise).
void run(const std::function<void(int)>& part, bool balance = true);

// Work for the pair thread's idle time between runs (eager Adam during backward): while set, the pair thread calls
// work() whenever it finds no run posted, each call one small piece (a few microseconds, so that a run posted meanwhile
// starts at most that late), until work() returns false (nothing left for now). clear_background() unsets it and returns
// once the pair thread is out of work(); work must stay callable until then.
void set_background(const std::function<bool()>* work);
void clear_background();

// Ends the pair thread's spin now (it sleeps until the next run): for a caller about to put other threads on the
// second core.
void park();

// While one is alive, OpenBLAS runs each call on its calling thread (its process-wide thread count is 1; counted, so
// overlapping holders on several threads restore the count only when the last one ends).
struct BlasSingle {
  BlasSingle();
  ~BlasSingle();
  BlasSingle(const BlasSingle&) = delete;
  BlasSingle& operator=(const BlasSingle&) = delete;
};

// Where to cut [0, n) in two for the pair: at the caller's share (near the middle, moved towards where both halves
// end together; see pair.cpp) on a multiple of 16 floats (a 64-byte line, and OpenBLAS's tile), or 0 when n is too
// narrow to be worth a hand-off (everything then goes to part 0). The same bits whatever the share.
int64_t cut(int64_t n);
// The same for `rows` independent rows (any row, 0 for fewer than 2).
int64_t cut_rows(int64_t rows);

// Fortran sgemm_ of the BLAS libtorch loaded (column-major), looked up once: the same routine libtorch's at::mm
// calls, with the same arguments for the whole matrix, so a block computed here has the bits at::mm would give it.
void sgemm(char transa, char transb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
// Whether that BLAS exports sgemm_ (a libtorch built against another BLAS may not): sgemm needs it.
bool has_sgemm();

}  // namespace zoo_pair
