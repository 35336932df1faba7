// Data-parallel collectives over libtorch's own c10d: a TCPStore rendezvous and a Gloo process group (CPU tensors).
// NCCL is not built: Debian's libtorch 1.13.1 has no CUDA (no libtorch_cuda.so), so there is no GPU tensor to reduce.
//
// Every collective waits with the group's timeout, and every failure is turned into one message that names the lost
// rank: each rank's heartbeat thread bumps a counter in the store twice a second, and when a collective fails the
// survivor reads the counters twice, a few beats apart; a rank whose counter stood still is gone. The store lives in
// rank 0's process (unless a torchrun agent hosts it), so a store that cannot be reached at all means rank 0 is gone.
#include "shim.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {
using std::chrono::milliseconds;

constexpr milliseconds kBeat{500};
constexpr int kBeatsToDeclareLost = 4;

std::string beat_key(int rank) { return "beat/" + std::to_string(rank); }

// The first line of a libtorch / Gloo message (some append a C++ backtrace or the call site).
std::string first_line(const std::string& s) {
  auto end = s.find('\n');
  return end == std::string::npos ? s : s.substr(0, end);
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

c10::intrusive_ptr<c10d::TCPStore> connect_store(const std::string& addr, int port, bool server, c10::optional<size_t> workers,
                                                 milliseconds timeout) {
  c10d::TCPStoreOptions o;
  o.port = (std::uint16_t)port;
  o.isServer = server;
  o.numWorkers = workers;
  o.waitWorkers = workers.has_value();  // every rank counts itself in; the server waits for all
  o.timeout = timeout;
  return c10::make_intrusive<c10d::TCPStore>(addr, o);
}

struct Group {
  std::string addr;
  int port = 0, rank = 0, world = 1;
  milliseconds timeout{0};
  bool hosts_store = true;  // rank 0 hosts the TCPStore, unless a torchrun agent does
  std::string prefix;       // every key of this run's store lives under it (a torchrun agent's store outlives restarts)
  c10::intrusive_ptr<c10d::Store> store;  // rendezvous and failure diagnosis, from the calling thread only
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;

  std::thread beat;
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;

  void start_heartbeat() {
    // Its own store connection: a TCPStore client is not shared between threads.
    c10::intrusive_ptr<c10d::Store> own =
        c10::make_intrusive<c10d::PrefixStore>(prefix, connect_store(addr, port, false, c10::nullopt, timeout));
    beat = std::thread([this, own] {
      std::unique_lock<std::mutex> lock(mu);
      while (!stopping) {
        try {
          own->add(beat_key(rank), 1);
        } catch (...) {
          return;  // the store (rank 0) is gone; the next collective finds out and says so
        }
        cv.wait_for(lock, kBeat, [this] { return stopping; });
      }
    });
  }

  ~Group() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stopping = true;
    }
    cv.notify_all();
    if (beat.joinable()) beat.join();
  }

  // Which ranks stopped beating; rank 0 when the store itself cannot be reached.
  std::vector<int> lost_ranks() {
    try {
      std::vector<int64_t> before(world);
      for (int r = 0; r < world; r++) before[r] = store->add(beat_key(r), 0);
      std::this_thread::sleep_for(kBeat * kBeatsToDeclareLost);
      std::vector<int> lost;
      for (int r = 0; r < world; r++)
        if (r != rank && store->add(beat_key(r), 0) == before[r]) lost.push_back(r);
      return lost;
    } catch (...) {
      return rank == 0 || !hosts_store ? std::vector<int>{} : std::vector<int>{0};
    }
  }

  // A failed collective becomes one line naming what was lost.
  [[noreturn]] void fail(const char* what, const std::exception& e) {
    std::string cause = first_line(e.what());
    auto lost = lost_ranks();
    std::string msg;
    if (lost.empty()) {
      msg = std::string(what) + " failed on rank " + std::to_string(rank) + " of " + std::to_string(world) +
            " with every rank still alive (timeout " + std::to_string(timeout.count() / 1000) + " s): " + cause;
    } else {
      msg = "lost rank";
      for (size_t i = 0; i < lost.size(); i++) msg += (i ? ", " : lost.size() > 1 ? "s " : " ") + std::to_string(lost[i]);
      msg += " of " + std::to_string(world) + (lost[0] == 0 && hosts_store ? " (rank 0 hosts the rendezvous store)" : "") + " during " + what +
             " on rank " + std::to_string(rank) + " (" + cause + ")";
    }
    throw std::runtime_error("distributed: " + msg);
  }

  // Issues a collective (or takes one issued earlier) and waits for it within the group's timeout.
  void run(const char* what, const std::function<c10::intrusive_ptr<c10d::Work>()>& issue) {
    try {
      issue()->wait();
    } catch (const std::exception& e) {
      fail(what, e);
    }
  }
};

// Copies tensors (one dtype) into one flat buffer of `extra` more elements.
at::Tensor flatten(const std::vector<at::Tensor>& ts, int64_t extra = 0) {
  int64_t total = extra;
  for (auto& t : ts) total += t.numel();
  TORCH_CHECK(!ts.empty() || extra > 0, "distributed: nothing to communicate");
  auto flat = at::empty({total}, (ts.empty() ? at::TensorOptions().dtype(at::kFloat) : ts[0].options()));
  int64_t off = 0;
  for (auto& t : ts) {
    TORCH_CHECK(t.scalar_type() == flat.scalar_type(), "distributed: tensors of one call must share a dtype (", t.scalar_type(),
                " and ", flat.scalar_type(), ")");
    flat.narrow(0, off, t.numel()).copy_(t.reshape({-1}));
    off += t.numel();
  }
  return flat;
}

void unflatten(const at::Tensor& flat, const std::vector<at::Tensor>& ts) {
  at::NoGradGuard no_grad;  // parameters are leaves that require grad: written in place, outside autograd
  int64_t off = 0;
  for (auto& t : ts) {
    t.copy_(flat.narrow(0, off, t.numel()).view(t.sizes()));
    off += t.numel();
  }
}

std::vector<at::Tensor> deref(const T* ts, int n) {
  std::vector<at::Tensor> v;
  for (int i = 0; i < n; i++) v.push_back(*ts[i]);
  return v;
}
}  // namespace

// Joins the group: rank 0 opens the TCPStore at addr:port and waits for the others; every rank claims its rank
// number and checks that they all agree on the world size, then the Gloo group connects every pair.
// host_store false: a torchrun agent already serves the store at addr:port (TORCHELASTIC_USE_AGENT_STORE), so rank 0
// joins it as a client, and `prefix` keeps this attempt's keys apart from an earlier one's.
ZT_API Group* zt_dist_init(const char* addr, int port, int rank, int world, int64_t timeout_ms, bool host_store, const char* prefix) {
  ZT_TRY(
      TORCH_CHECK(world >= 1 && rank >= 0 && rank < world, "distributed: rank ", rank, " is outside world size ", world);
      auto g = std::make_unique<Group>(); g->addr = addr; g->port = port; g->rank = rank; g->world = world;
      g->timeout = milliseconds(timeout_ms); g->hosts_store = host_store; g->prefix = prefix; std::string where = std::string(addr) + ":" + std::to_string(port);
      try {
        g->store = c10::make_intrusive<c10d::PrefixStore>(
            g->prefix, connect_store(addr, port, host_store && rank == 0,
                                     host_store ? c10::optional<size_t>((size_t)world) : c10::nullopt, g->timeout));
      } catch (const std::exception& e) {
        throw std::runtime_error(
            rank == 0 && host_store ? "distributed: rank 0 could not open the rendezvous on port " + std::to_string(port) + " (" +
                            first_line(e.what()) + ")"
                      : "distributed: rank " + std::to_string(rank) + " could not reach the rendezvous at " + where +
                            " within " + std::to_string(timeout_ms / 1000) + " s (" + first_line(e.what()) + ")");
      }
      if (g->store->add("claim/" + std::to_string(rank), 1) > 1)
          throw std::runtime_error("distributed: rank " + std::to_string(rank) + " was started twice (each RANK must be unique)");
      g->store->set("world/" + std::to_string(rank), std::vector<uint8_t>{(uint8_t)(world & 0xff), (uint8_t)(world >> 8)});
      auto w0 = g->store->get("world/0");
      int world0 = w0.size() == 2 ? w0[0] | (w0[1] << 8) : -1;
      if (world0 != world) throw std::runtime_error("distributed: WORLD_SIZE is " + std::to_string(world) + " on rank " +
                                                    std::to_string(rank) + " but " + std::to_string(world0) + " on rank 0");
      // Loopback rendezvous: bind Gloo to loopback too (the host name may resolve to an address peers cannot use).
      // GLOO_SOCKET_IFNAME picks an interface, as in PyTorch.
      auto opts = c10d::ProcessGroupGloo::Options::create(g->timeout);
      const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
      opts->devices.push_back(ifname && *ifname ? c10d::ProcessGroupGloo::createDeviceForInterface(ifname)
                              : is_loopback(addr) ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                                  : c10d::ProcessGroupGloo::createDefaultDevice());
      try {
        g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g->store, rank, world, opts);
      } catch (const std::exception& e) {
        throw std::runtime_error("distributed: rank " + std::to_string(rank) + " could not connect to every other rank within " +
                                 std::to_string(timeout_ms / 1000) + " s (" + first_line(e.what()) + ")");
      }
      g->start_heartbeat();
      return g.release();)
  return nullptr;
}

ZT_API void zt_dist_free(Group* g) { delete g; }

// Sums the gradients of `params` over the ranks, each scaled by `scale` first (a rank's share of the global batch),
// in flat buckets of about `bucket_bytes`, all issued before the first is waited for so that Gloo's threads reduce
// one bucket while the next is being flattened. `extra` values (already scaled) ride in the last bucket and are
// summed too. A parameter without a gradient gets a zero one, so every rank sends the same layout.
ZT_API void zt_dist_allreduce_grads(Group* g, const T* params, int n, double scale, float* extra, int n_extra, int64_t bucket_bytes) {
  ZT_TRY(
      std::vector<at::Tensor> grads; for (int i = 0; i < n; i++) {
        auto& grad = params[i]->mutable_grad();
        if (!grad.defined()) grad = at::zeros_like(*params[i]);
        grads.push_back(grad);
      } std::vector<std::vector<at::Tensor>> buckets(1);
      int64_t bytes = 0; for (auto& gr : grads) {
        if (bytes >= bucket_bytes && !buckets.back().empty()) {
          buckets.emplace_back();
          bytes = 0;
        }
        buckets.back().push_back(gr);
        bytes += (int64_t)gr.nbytes();
      } std::vector<at::Tensor> flats;
      std::vector<c10::intrusive_ptr<c10d::Work>> works; for (size_t b = 0; b < buckets.size(); b++) {
        bool last = b + 1 == buckets.size();
        auto flat = flatten(buckets[b], last ? n_extra : 0);
        int64_t grad_numel = flat.numel() - (last ? n_extra : 0);
        if (scale != 1.0) flat.narrow(0, 0, grad_numel).mul_(scale);
        if (last)
          for (int i = 0; i < n_extra; i++) flat[grad_numel + i] = extra[i];
        flats.push_back(flat);
        std::vector<at::Tensor> one{flat};
        try {
          works.push_back(g->pg->allreduce(one));
        } catch (const std::exception& e) {
          g->fail("the gradient all-reduce", e);
        }
      } for (size_t b = 0; b < buckets.size(); b++) {
        g->run("the gradient all-reduce", [&] { return works[b]; });
        unflatten(flats[b], buckets[b]);
      } auto& tail = flats.back();
      for (int i = 0; i < n_extra; i++) extra[i] = tail[tail.numel() - n_extra + i].item<float>();)
}

// Sums tensors of one dtype over the ranks, in place.
ZT_API void zt_dist_allreduce_sum(Group* g, const T* ts, int n) {
  ZT_TRY(auto v = deref(ts, n); auto flat = flatten(v); std::vector<at::Tensor> one{flat};
         g->run("an all-reduce", [&] { return g->pg->allreduce(one); }); unflatten(flat, v);)
}

// Rank `root`'s tensors (one dtype) into every rank's, in place.
ZT_API void zt_dist_broadcast(Group* g, const T* ts, int n, int root) {
  ZT_TRY(auto v = deref(ts, n); auto flat = flatten(v); std::vector<at::Tensor> one{flat}; c10d::BroadcastOptions o;
         o.rootRank = root; g->run("a broadcast", [&] { return g->pg->broadcast(one, o); });
         if (g->rank != root) unflatten(flat, v);)
}

// Every rank's `input` (same shape everywhere), stacked in rank order: [world, ...input's shape].
ZT_API T zt_dist_allgather(Group* g, T input) {
  ZT_TRY(std::vector<at::Tensor> in{input->contiguous()}; std::vector<std::vector<at::Tensor>> out(1);
         for (int r = 0; r < g->world; r++) out[0].push_back(at::empty_like(in[0]));
         g->run("an all-gather", [&] { return g->pg->allgather(out, in); }); return wrap(at::stack(out[0]));)
  return nullptr;
}

ZT_API void zt_dist_barrier(Group* g) {
  ZT_TRY(g->run("a barrier", [&] { return g->pg->barrier(); });)
}

ZT_API int zt_dist_rank(Group* g) { return g->rank; }
ZT_API int zt_dist_world_size(Group* g) { return g->world; }
