#include "daemon/http/elastic_pool.hpp"

#include <system_error>

namespace litellm {

ElasticPool::ElasticPool(std::size_t max_threads, std::chrono::seconds idle_exit)
    : m_max_threads(max_threads), m_idle_exit(idle_exit) {}

ElasticPool::~ElasticPool() {
    shutdown();
}

bool ElasticPool::enqueue(std::function<void()> fn) {
    std::unique_lock lock(m_mutex);
    if (m_shutdown) return false;
    // Every running thread is busy with a connection: the new one needs its own thread.
    if (m_idle <= m_tasks.size()) {
        bool started = false;
        if (m_threads < m_max_threads) {
            ++m_threads;
            try {
                std::thread([this] { worker(); }).detach();
                started = true;
            } catch (const std::system_error&) {
                --m_threads;  // out of threads (ulimit -u, memory)
            }
        }
        // A task that would wait for a connection to end (which may take hours) is refused
        // instead, so the caller can say so at once.
        if (!started) return false;
    }
    m_tasks.push_back(std::move(fn));
    lock.unlock();
    m_cv.notify_one();
    return true;
}

void ElasticPool::worker() {
    std::unique_lock lock(m_mutex);
    for (;;) {
        ++m_idle;
        bool woke =
            m_cv.wait_for(lock, m_idle_exit, [&] { return !m_tasks.empty() || m_shutdown; });
        --m_idle;
        if (m_tasks.empty()) {
            if (m_shutdown || !woke) break;  // shut down, or idle too long
            continue;
        }
        auto task = std::move(m_tasks.front());
        m_tasks.pop_front();
        lock.unlock();
        task();
        lock.lock();
    }
    --m_threads;
    m_exited.notify_all();
}

void ElasticPool::shutdown() {
    std::unique_lock lock(m_mutex);
    m_shutdown = true;
    m_cv.notify_all();
    m_exited.wait(lock, [&] { return m_threads == 0; });
}

std::size_t ElasticPool::thread_count() const {
    std::lock_guard lock(m_mutex);
    return m_threads;
}

}  // namespace litellm
