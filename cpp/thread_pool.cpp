// fastinit's worker threads and the chunk claiming of a fill (see thread_pool.hpp).
#include "thread_pool.hpp"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace fastinit {
namespace detail {
namespace {

// The caller waits for the chunks still under way this long spinning before it sleeps: about
// one futex wake-up, far shorter than a scheduler time slice (milliseconds).
constexpr std::chrono::microseconds kCloseSpin{20};
// A pool thread out of work watches this long for the next fill before it sleeps, so that a
// series of small fills (a model's tensors) finds it awake; OpenMP runtimes spin for
// milliseconds (libgomp: 300000 rounds by default), which takes a busy core from other work.
constexpr std::chrono::microseconds kIdleSpin{50};

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// The calling thread's clocks now: steady wall-clock time, and its CPU time (-1 ns where the
// system refuses the thread CPU clock, as some sandboxes do).
struct Clocks {
  std::chrono::nanoseconds wall{0}, cpu{0};
};

Clocks clocks_now() {
  timespec ts{};
  const bool cpu = clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0;
  return {std::chrono::steady_clock::now().time_since_epoch(),
          cpu ? std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec) : std::chrono::nanoseconds(-1)};
}

// CallerTimes from the clocks at the start, while asking keep_going (its total: it may wait for
// Python's GIL, which is not the fill's core lost), once out of chunks, and at the end. Without a
// CPU clock the caller counts as on its CPU throughout.
CallerTimes caller_times(const Clocks& start, const Clocks& asking, const Clocks& out_of_chunks, const Clocks& end) {
  const auto working = out_of_chunks.wall - start.wall - asking.wall;
  const bool cpu = start.cpu.count() >= 0 && out_of_chunks.cpu.count() >= 0;
  return {working, cpu ? out_of_chunks.cpu - start.cpu - asking.cpu : working, end.wall - out_of_chunks.wall};
}

// One fill's shared work. Lives on the calling thread's stack; `wanted`, `link` and `closing`
// are guarded by the pool's mutex, `inside` is changed only under it (and read without it while
// the caller spins).
struct Job {
  const SharedWork* work;
  uint64_t chunks;
  std::atomic<uint64_t> next{0};  // the next chunk to claim
  std::atomic<bool> stop{false};
  int wanted = 0;  // pool threads that may still join
  std::atomic<int> inside{0};
  bool closing = false;
  Job* link = nullptr;  // the pool's list of open jobs
};

// Spins until done() or `limit` has passed; returns done().
template <class Done>
bool spin_until(Done&& done, std::chrono::microseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (int i = 1; !done(); ++i) {
    if (i % 64 == 0 && std::chrono::steady_clock::now() > until) return done();
    cpu_relax();
  }
  return true;
}

// Claims and runs chunks until none is left or the job is stopped.
void drain(Job& j) {
  const SharedWork& w = *j.work;
  while (!j.stop.load(std::memory_order_relaxed)) {
    const uint64_t c = j.next.fetch_add(1, std::memory_order_relaxed);
    if (c >= j.chunks) return;
    const uint64_t lo = c * w.chunk;
    w.run(w.ctx, lo, std::min(w.items, lo + w.chunk));
  }
}

class Pool {
 public:
  // Never destroyed: at exit its threads may still sleep on it, and a forked child (which has
  // none of them; fills there run on the calling thread alone, fill_runs.hpp) must not join them.
  static Pool& get() {
    static Pool* pool = new Pool;
    return *pool;
  }

  // Offers j to up to `helpers` pool threads, starting threads as needed.
  void open(Job& j, int helpers) {
    std::unique_lock<std::mutex> lock(mu_);
    grow(helpers);
    j.wanted = std::min(helpers, threads_);
    if (j.wanted == 0) return;
    j.link = open_;
    open_ = &j;
    posted_.fetch_add(1, std::memory_order_relaxed);
    const int wake = std::min(j.wanted, sleeping_);
    lock.unlock();
    for (int i = 0; i < wake; ++i) work_cv_.notify_one();
  }

  // No pool thread joins j any more; returns once none is inside it.
  void close(Job& j) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (Job** p = &open_; *p != nullptr; p = &(*p)->link) {
        if (*p == &j) {
          *p = j.link;
          break;
        }
      }
      j.wanted = 0;
      j.closing = true;
    }
    spin_until([&] { return j.inside.load(std::memory_order_acquire) == 0; }, kCloseSpin);
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return j.inside.load(std::memory_order_relaxed) == 0; });
  }

 private:
  // Starts pool threads until there are n, or the system refuses one. The threads start with
  // every signal blocked, so signals (Ctrl-C) go to the process's own threads.
  void grow(int n) {
    if (threads_ >= n) return;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    try {
      for (; threads_ < n; ++threads_) std::thread(&Pool::work, this).detach();
    } catch (const std::system_error&) {
      // Fewer threads: the fill still completes, on the caller and the threads there are.
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }

  Job* joinable() const {
    for (Job* j = open_; j != nullptr; j = j->link)
      if (j->wanted > 0) return j;
    return nullptr;
  }

  void work() {
#if defined(__linux__)
    pthread_setname_np(pthread_self(), "fastinit");
#endif
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      Job* j = joinable();
      if (j == nullptr) {
        const uint64_t seen = posted_.load(std::memory_order_relaxed);
        lock.unlock();
        spin_until([&] { return posted_.load(std::memory_order_relaxed) != seen; }, kIdleSpin);
        lock.lock();
        if (joinable() != nullptr) continue;
        ++sleeping_;
        work_cv_.wait(lock, [&] { return joinable() != nullptr; });
        --sleeping_;
        continue;
      }
      --j->wanted;
      j->inside.fetch_add(1, std::memory_order_relaxed);
      lock.unlock();
      drain(*j);
      lock.lock();
      // The last one out of a closing job wakes its caller; j may end as soon as inside is 0.
      const bool closing = j->closing;
      if (j->inside.fetch_sub(1, std::memory_order_release) == 1 && closing) done_cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  Job* open_ = nullptr;
  int threads_ = 0, sleeping_ = 0;
  std::atomic<uint64_t> posted_{0};  // jobs opened so far: what idle pool threads watch
};

}  // namespace

bool run_shared(const SharedWork& w, int helpers, uint64_t check_every, const KeepGoing& keep_going,
                CallerTimes* times) noexcept {
  const Clocks start = clocks_now();
  Clocks asking;
  Job job;
  job.work = &w;
  job.chunks = (w.items + w.chunk - 1) / w.chunk;
  const uint64_t check_chunks = std::max<uint64_t>(1, check_every / w.chunk);
  Pool& pool = Pool::get();
  pool.open(job, helpers);
  bool complete = true;
  uint64_t next_check = check_chunks;
  for (;;) {
    const uint64_t c = job.next.fetch_add(1, std::memory_order_relaxed);
    if (c >= job.chunks) break;
    const uint64_t lo = c * w.chunk;
    w.run(w.ctx, lo, std::min(w.items, lo + w.chunk));
    if (keep_going && c + 1 >= next_check && c + 1 < job.chunks) {
      next_check = c + 1 + check_chunks;
      const Clocks before = clocks_now();
      const bool go_on = keep_going();
      const Clocks after = clocks_now();
      asking = {asking.wall + (after.wall - before.wall), asking.cpu + (after.cpu - before.cpu)};
      if (!go_on) {
        job.stop.store(true, std::memory_order_relaxed);
        complete = false;
        break;
      }
    }
  }
  const Clocks out_of_chunks = clocks_now();
  pool.close(job);
  if (times != nullptr) *times = caller_times(start, asking, out_of_chunks, clocks_now());
  return complete;
}

}  // namespace detail
}  // namespace fastinit
