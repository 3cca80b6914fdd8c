#pragma once
// A thread pool that grows with demand and shrinks when idle. The HTTP server holds one
// worker per open connection (a keep-alive connection or a stream holds it until it ends), so a
// fixed pool either refuses to serve the 65th concurrent stream or keeps thousands of idle
// threads. This one starts with none, adds a thread whenever every thread is busy (up to a
// maximum), and lets a thread exit after it has been idle for a while.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace litellm {

class ElasticPool final {
  public:
    /// At most `max_threads` run at once.
    explicit ElasticPool(std::size_t max_threads,
                         std::chrono::seconds idle_exit = std::chrono::seconds(30));
    ~ElasticPool();

    /// Runs `fn` on a free thread, starting one when none is free. False (and `fn` dropped)
    /// when no thread is free and none can be started (the maximum, or the system's limit),
    /// or after shutdown: a task never waits behind long-running ones.
    bool enqueue(std::function<void()> fn);

    /// Runs what is queued, then joins every thread (in-flight tasks finish).
    void shutdown();

    /// Threads alive now (for status and tests).
    std::size_t thread_count() const;

  private:
    void worker();

    const std::size_t m_max_threads;
    const std::chrono::seconds m_idle_exit;
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<std::function<void()>> m_tasks;
    std::size_t m_threads = 0;
    std::size_t m_idle = 0;
    bool m_shutdown = false;
    std::condition_variable m_exited;
};

}  // namespace litellm
