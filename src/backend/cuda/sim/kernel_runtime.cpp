#include "kernel_runtime.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

#include "symbol_names.hpp"

namespace ignis::cuda_sim {

std::string kernel_name(const void* kernel) {
  const std::string name = function_name(kernel);
  return name.empty() ? "a kernel" : "kernel " + name;
}

namespace {

namespace ctx = boost::context;

// ---- fiber stacks: mapped once with a guard page below, reused across threads and launches ----

constexpr std::size_t kStackBytes = 256 * 1024;

class StackPool {
 public:
  ctx::stack_context take() {
    if (free_.empty()) {
      const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
      void* base = mmap(nullptr, kStackBytes + page, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (base == MAP_FAILED) {
        std::fprintf(stderr, "ignis CUDA simulator: cannot map a fiber stack\n");
        std::abort();
      }
      mprotect(base, page, PROT_NONE);  // a stack overflow faults instead of corrupting memory
      ctx::stack_context s;
      s.size = kStackBytes;
      s.sp = static_cast<char*>(base) + page + kStackBytes;
      return s;
    }
    ctx::stack_context s = free_.back();
    free_.pop_back();
    return s;
  }
  void give_back(ctx::stack_context s) { free_.push_back(s); }

 private:
  std::vector<ctx::stack_context> free_;
};

StackPool& stack_pool() {
  static StackPool pool;
  return pool;
}

// ---- AddressSanitizer must know which stack is running (no-ops without ASan) ----

struct StackBounds {
  const void* bottom = nullptr;
  std::size_t size = 0;
};

/// Boost.Context's StackAllocator concept over the pool; records the stack it hands out.
struct PooledStack {
  StackBounds* record;
  ctx::stack_context allocate() {
    ctx::stack_context s = stack_pool().take();
    record->bottom = static_cast<char*>(s.sp) - s.size;
    record->size = s.size;
    return s;
  }
  void deallocate(ctx::stack_context& s) noexcept { stack_pool().give_back(s); }
};

inline void start_switch([[maybe_unused]] void** fake_stack, [[maybe_unused]] StackBounds to) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(fake_stack, to.bottom, to.size);
#endif
}
inline void finish_switch([[maybe_unused]] void* fake_stack, [[maybe_unused]] StackBounds* from) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(fake_stack, from ? &from->bottom : nullptr,
                                  from ? &from->size : nullptr);
#endif
}

// ---- one block's threads ----

enum class State { kNotStarted, kRunnable, kAtBarrier, kAtWarp, kDone };

struct SimThread {
  ctx::fiber fiber;   // the thread (held by the scheduler while the thread is suspended)
  ctx::fiber caller;  // the scheduler (held by the thread while it runs)
  State state = State::kNotStarted;
  uint3 idx{};
  StackBounds stack;
  void* fake_stack = nullptr;
};

struct WarpState {
  unsigned arrived = 0;  // lanes that deposited for the pending collective
  unsigned mask = 0;     // its mask
  const char* what = nullptr;
  unsigned generation = 0;  // deposits alternate between two tables
  unsigned char slots[2][kWarpSize][16] = {};
};

struct LaunchState {
  KernelBody body = nullptr;
  void* context = nullptr;
  std::vector<SimThread> threads;
  std::vector<WarpState> warps;
  unsigned live = 0;  // threads of the block that have not exited
  unsigned at_barrier = 0;
  SimThread* running = nullptr;
  StackBounds scheduler_stack;
  bool faulted = false;
  std::string fault_message;
  std::unique_ptr<unsigned char[]> dynamic_shared;
  std::size_t dynamic_shared_bytes = 0;
};

// One launch runs at a time in the process (the runtime API serialises them), so the running
// launch and its builtins are plain globals.
LaunchState* g_launch = nullptr;
ThreadCoordinates g_coordinates{};

unsigned linear_of(const uint3& t, const dim3& d) { return t.x + d.x * (t.y + d.y * t.z); }

std::string describe_thread(const SimThread& t) {
  const ThreadCoordinates& c = g_coordinates;
  return "thread (" + std::to_string(t.idx.x) + "," + std::to_string(t.idx.y) + "," +
         std::to_string(t.idx.z) + ") of block (" + std::to_string(c.block_idx.x) + "," +
         std::to_string(c.block_idx.y) + "," + std::to_string(c.block_idx.z) + ")";
}

/// Suspends the running thread until the scheduler resumes it.
void yield_to_scheduler() {
  SimThread& t = *g_launch->running;
  start_switch(&t.fake_stack, g_launch->scheduler_stack);
  t.caller = std::move(t.caller).resume();
  finish_switch(t.fake_stack, &g_launch->scheduler_stack);
}

void release_barrier() {
  for (SimThread& t : g_launch->threads) {
    if (t.state == State::kAtBarrier) t.state = State::kRunnable;
  }
  g_launch->at_barrier = 0;
}

/// Bookkeeping when a thread's body returns.
void thread_exited(SimThread& t) {
  LaunchState& L = *g_launch;
  t.state = State::kDone;
  --L.live;
  const unsigned linear = static_cast<unsigned>(&t - L.threads.data());
  WarpState& w = L.warps[linear / kWarpSize];
  if (w.arrived != 0 && (w.mask & (1u << (linear % kWarpSize))) != 0) {
    L.faulted = true;
    L.fault_message =
        describe_thread(t) + " exited while other lanes of its warp wait for it in " + w.what;
  }
  if (L.at_barrier > 0 && L.at_barrier == L.live) release_barrier();
}

void resume(SimThread& t) {
  LaunchState& L = *g_launch;
  L.running = &t;
  g_coordinates.thread_idx = t.idx;
  if (t.state == State::kNotStarted) {
    t.state = State::kRunnable;
    t.fiber = ctx::fiber(std::allocator_arg, PooledStack{&t.stack}, [&t](ctx::fiber&& scheduler) {
      finish_switch(nullptr, &g_launch->scheduler_stack);
      t.caller = std::move(scheduler);
      g_launch->body(g_launch->context);
      thread_exited(t);
      start_switch(nullptr, g_launch->scheduler_stack);  // this fiber's stack is done
      return std::move(t.caller);
    });
  }
  void* fake = nullptr;
  start_switch(&fake, t.stack);
  t.fiber = std::move(t.fiber).resume();
  finish_switch(fake, nullptr);
  L.running = nullptr;
}

std::string describe_deadlock(const LaunchState& L) {
  std::string waiting_barrier, waiting_warp;
  int nb = 0, nw = 0;
  for (const SimThread& t : L.threads) {
    std::string* list = t.state == State::kAtBarrier ? &waiting_barrier
                        : t.state == State::kAtWarp  ? &waiting_warp
                                                     : nullptr;
    int& count = t.state == State::kAtBarrier ? nb : nw;
    if (list != nullptr && count++ < 4) list->append(" ").append(describe_thread(t)).append(";");
  }
  std::string text = "deadlock: ";
  text.append(std::to_string(nb))
      .append(" thread(s) wait in __syncthreads (")
      .append(waiting_barrier);
  text.append(") and ")
      .append(std::to_string(nw))
      .append(" in a warp collective (")
      .append(waiting_warp);
  text.append("); a barrier or collective that not every thread reaches is undefined on a GPU");
  return text;
}

using Order = ThreadOrder;

Order order_from_environment() {
  const char* v = std::getenv("IGNIS_CUDA_SIM_ORDER");
  if (v == nullptr || std::strcmp(v, "alternate") == 0 || *v == '\0') return Order::kAlternate;
  if (std::strcmp(v, "forward") == 0) return Order::kForward;
  if (std::strcmp(v, "reverse") == 0) return Order::kReverse;
  std::fprintf(
      stderr,
      "ignis CUDA simulator: IGNIS_CUDA_SIM_ORDER=%s is not forward, reverse or alternate; "
      "using alternate\n",
      v);
  return Order::kAlternate;
}

Order g_order = order_from_environment();

/// Runs one block to completion; false on a fault.
bool run_block(LaunchState& L, bool reverse) {
  const dim3 bd = g_coordinates.block_dim;
  const unsigned n = bd.x * bd.y * bd.z;
  L.threads.clear();
  L.threads.resize(n);
  L.warps.assign((n + kWarpSize - 1) / kWarpSize, WarpState{});
  for (unsigned z = 0; z < bd.z; ++z) {
    for (unsigned y = 0; y < bd.y; ++y) {
      for (unsigned x = 0; x < bd.x; ++x) L.threads[x + bd.x * (y + bd.y * z)].idx = uint3{x, y, z};
    }
  }
  L.live = n;
  L.at_barrier = 0;
  if (L.dynamic_shared_bytes > 0) std::memset(L.dynamic_shared.get(), 0xff, L.dynamic_shared_bytes);
  while (L.live > 0) {
    bool ran = false;
    for (unsigned k = 0; k < n && !L.faulted; ++k) {
      SimThread& t = L.threads[reverse ? n - 1 - k : k];
      if (t.state == State::kNotStarted || t.state == State::kRunnable) {
        resume(t);
        ran = true;
      }
    }
    if (L.faulted) return false;
    if (!ran && L.live > 0) {
      L.faulted = true;
      L.fault_message = describe_deadlock(L);
      return false;
    }
  }
  L.threads.clear();
  return true;
}

}  // namespace

const ThreadCoordinates& coordinates() { return g_coordinates; }

void set_thread_order(ThreadOrder order) { g_order = order; }

int run_kernel(const void* kernel, dim3 grid, dim3 block, std::size_t dynamic_shared_bytes,
               KernelBody body, void* context) {
  const unsigned long long threads = 1ull * block.x * block.y * block.z;
  if (threads == 0 || threads > kMaxThreadsPerBlock || block.z > kMaxBlockDimZ || grid.x == 0 ||
      grid.y == 0 || grid.z == 0 || grid.x > kMaxGridDimX || grid.y > kMaxGridDimYZ ||
      grid.z > kMaxGridDimYZ || dynamic_shared_bytes > kDefaultSharedBytes) {
    std::fprintf(stderr,
                 "ignis CUDA simulator: the launch of %s was refused: grid (%u,%u,%u), block (%u,%u,%u), "
                 "%zu bytes of dynamic "
                 "shared memory (limits: %u threads a block, block.z <= %u, grid.y/z <= %u, %zu "
                 "bytes shared)\n",
                 kernel_name(kernel).c_str(), grid.x, grid.y, grid.z, block.x, block.y, block.z,
                 dynamic_shared_bytes, kMaxThreadsPerBlock, kMaxBlockDimZ, kMaxGridDimYZ,
                 kDefaultSharedBytes);
    return 9;  // cudaErrorInvalidConfiguration
  }
  const Order order = g_order;
  static unsigned long long launches = 0;
  const unsigned long long launch_number = launches++;

  LaunchState L;
  L.body = body;
  L.context = context;
  if (dynamic_shared_bytes > 0) L.dynamic_shared.reset(new unsigned char[dynamic_shared_bytes]);
  L.dynamic_shared_bytes = dynamic_shared_bytes;
  g_launch = &L;
  g_coordinates.grid_dim = grid;
  g_coordinates.block_dim = block;
  bool ok = true;
  for (unsigned z = 0; z < grid.z && ok; ++z) {
    for (unsigned y = 0; y < grid.y && ok; ++y) {
      for (unsigned x = 0; x < grid.x && ok; ++x) {
        g_coordinates.block_idx = uint3{x, y, z};
        const bool reverse =
            order == Order::kReverse || (order == Order::kAlternate &&
                                         ((launch_number + linear_of({x, y, z}, grid)) & 1u) != 0);
        ok = run_block(L, reverse);
      }
    }
  }
  if (!ok) {
    std::fprintf(stderr, "ignis CUDA simulator: %s faulted: %s\n",
                 kernel_name(kernel).c_str(), L.fault_message.c_str());
    // Unwinds the suspended threads (Boost resumes each with a forced unwind).
    L.threads.clear();
  }
  g_launch = nullptr;
  return ok ? 0 : 719;  // cudaErrorLaunchFailure
}

void sync_threads() {
  LaunchState& L = *g_launch;
  SimThread& t = *L.running;
  t.state = State::kAtBarrier;
  if (++L.at_barrier == L.live) {
    release_barrier();
    return;
  }
  yield_to_scheduler();
}

const unsigned char* warp_exchange(unsigned mask, const void* value, std::size_t size,
                                   const char* what) {
  LaunchState& L = *g_launch;
  SimThread& t = *L.running;
  const unsigned linear = static_cast<unsigned>(&t - L.threads.data());
  const unsigned lane = linear % kWarpSize, warp = linear / kWarpSize;
  const unsigned lanes_here = static_cast<unsigned>(L.threads.size()) - warp * kWarpSize;
  const unsigned existing = lanes_here >= kWarpSize ? 0xffffffffu : (1u << lanes_here) - 1u;
  char text[256];
  if ((mask & (1u << lane)) == 0) {
    std::snprintf(text, sizeof text,
                  "%s with mask 0x%08x called by lane %u, which the mask does not name", what, mask,
                  lane);
    fault(text);
  }
  if ((mask & ~existing) != 0) {
    std::snprintf(
        text, sizeof text,
        "%s with mask 0x%08x in warp %u, which has only lanes 0x%08x (block of %zu threads)", what,
        mask, warp, existing, L.threads.size());
    fault(text);
  }
  WarpState& w = L.warps[warp];
  for (unsigned k = 0; k < kWarpSize; ++k) {
    if ((mask & (1u << k)) != 0 && L.threads[warp * kWarpSize + k].state == State::kDone) {
      std::snprintf(text, sizeof text,
                    "%s with mask 0x%08x names lane %u of warp %u, which has exited", what, mask, k,
                    warp);
      fault(text);
    }
  }
  if (w.arrived == 0) {
    w.mask = mask;
    w.what = what;
  } else if (w.mask != mask || std::strcmp(w.what, what) != 0) {
    std::snprintf(
        text, sizeof text,
        "lanes of warp %u meet in different collectives: %s (mask 0x%08x) and %s (mask 0x%08x)",
        warp, w.what, w.mask, what, mask);
    fault(text);
  }
  const unsigned table = w.generation & 1u;
  std::memcpy(w.slots[table][lane], value, size);
  w.arrived |= 1u << lane;
  if (w.arrived == mask) {
    w.arrived = 0;
    ++w.generation;
    for (unsigned k = 0; k < kWarpSize; ++k) {
      if ((mask & (1u << k)) != 0 && k != lane)
        L.threads[warp * kWarpSize + k].state = State::kRunnable;
    }
  } else {
    t.state = State::kAtWarp;
    yield_to_scheduler();
  }
  return &w.slots[table][0][0];
}

void fault(const char* message) {
  LaunchState& L = *g_launch;
  if (!L.faulted) {
    L.faulted = true;
    L.fault_message = describe_thread(*L.running) + ": " + message;
  }
  L.running->state = State::kAtBarrier;  // never resumed: the launch ends
  yield_to_scheduler();
  std::abort();  // not reached: the scheduler unwinds this thread
}

void* dynamic_shared() { return g_launch->dynamic_shared.get(); }

}  // namespace ignis::cuda_sim
