#include "daemon/http/elastic_pool.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

namespace litellm {
namespace {

using namespace std::chrono_literals;

TEST(ElasticPool, GrowsForBlockedTasksAndRunsThemConcurrently) {
    ElasticPool pool(64);
    EXPECT_EQ(pool.thread_count(), 0u);  // nothing up front: idle memory stays small
    std::promise<void> release;
    std::shared_future<void> gate = release.get_future().share();
    std::atomic<int> started{0};
    for (int i = 0; i < 20; ++i) {
        pool.enqueue([&, gate] {
            ++started;
            gate.wait();
        });
    }
    for (int i = 0; i < 200 && started < 20; ++i)
        std::this_thread::sleep_for(5ms);
    EXPECT_EQ(started.load(), 20);  // each blocked task got its own thread
    EXPECT_EQ(pool.thread_count(), 20u);
    release.set_value();
    pool.shutdown();
    EXPECT_EQ(pool.thread_count(), 0u);
}

TEST(ElasticPool, RefusesATaskThatWouldWaitBehindBusyThreads) {
    ElasticPool pool(2);
    std::promise<void> release;
    std::shared_future<void> gate = release.get_future().share();
    std::atomic<int> started{0};
    for (int i = 0; i < 2; ++i)
        EXPECT_TRUE(pool.enqueue([&, gate] {
            ++started;
            gate.wait();
        }));
    // Both threads are held (as by two open streams): a third task would wait for hours.
    EXPECT_FALSE(pool.enqueue([] {}));
    EXPECT_LE(pool.thread_count(), 2u);
    release.set_value();
    for (int i = 0; i < 200 && pool.thread_count() == 2 && started < 2; ++i)
        std::this_thread::sleep_for(5ms);
    // Once a thread is free again, work is taken.
    std::atomic<int> done{0};
    bool accepted = false;
    for (int i = 0; i < 200 && !accepted; ++i) {
        accepted = pool.enqueue([&] { ++done; });
        if (!accepted) std::this_thread::sleep_for(5ms);
    }
    EXPECT_TRUE(accepted);
    pool.shutdown();
    EXPECT_EQ(done.load(), 1);
    EXPECT_FALSE(pool.enqueue([] {}));  // after shutdown
}

TEST(ElasticPool, IdleThreadsExit) {
    ElasticPool pool(8, std::chrono::seconds(0));
    std::atomic<int> done{0};
    pool.enqueue([&] { ++done; });
    for (int i = 0; i < 200 && pool.thread_count() > 0; ++i)
        std::this_thread::sleep_for(5ms);
    EXPECT_EQ(done.load(), 1);
    EXPECT_EQ(pool.thread_count(), 0u);
    pool.enqueue([&] { ++done; });  // and a new one starts again when needed
    pool.shutdown();
    EXPECT_EQ(done.load(), 2);
}

}  // namespace
}  // namespace litellm
