// The standard-error sink's batches (whole lines, cut by what standard error is) and the
// asynchronous sink in front of it (every line written, in order, by flush()).
#include <gtest/gtest.h>
#include <spdlog/pattern_formatter.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "async_log_sink.h"
#include "log_manager.h"

namespace keel::host {
namespace {

// Points standard error somewhere else for the life of the object.
class StderrRedirect {
public:
    explicit StderrRedirect(int fd) : saved_(::dup(STDERR_FILENO)) { ::dup2(fd, STDERR_FILENO); }
    ~StderrRedirect() {
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
    }

private:
    int saved_;
};

spdlog::details::log_msg message(const std::string& text) {
    return spdlog::details::log_msg("test", spdlog::level::info, spdlog::string_view_t(text.data(), text.size()));
}

// Plain lines are copied as they are; anything else is escaped, so a message cannot forge a line
// or reach a terminal's escape sequences, in the host's loggers and the access log alike.
TEST(LogManager, WritesPlainTextAsItIsAndEscapesControlCharactersAndBrokenUtf8) {
    std::ostringstream text;
    {
        LogManager logs{std::make_shared<spdlog::sinks::ostream_sink_mt>(text)};
        logs.configure(spdlog::level::info, LogFormat::Text);
        logs.logger("test")->info("plain line");
        logs.logger("test")->info("GET\x1b[31m /x\nfake line \xff caf\xc3\xa9");
        logs.accessLogger()->info("request_id=r1 route=/a\nforged=1");
        logs.flush();
    }
    std::vector<std::string> lines;
    std::istringstream stream(text.str());
    for (std::string line; std::getline(stream, line);) lines.push_back(line);
    ASSERT_EQ(lines.size(), 3u) << text.str();
    EXPECT_NE(lines[0].find(" info [test] plain line"), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find(" info [test] GET\\x1b[31m /x\\x0afake line \xef\xbf\xbd caf\xc3\xa9"), std::string::npos)
        << lines[1];
    EXPECT_NE(lines[2].find(" info [access] request_id=r1 route=/a\\x0aforged=1"), std::string::npos) << lines[2];
}

TEST(BatchingStderrSink, CutsBatchesAtPipeBufOnAPipe) {
    int pipeFds[2];
    ASSERT_EQ(::pipe(pipeFds), 0);
    {
        StderrRedirect redirect(pipeFds[1]);
        BatchingStderrSink sink;
        EXPECT_EQ(sink.batchBytes(), static_cast<std::size_t>(PIPE_BUF));
    }
    ::close(pipeFds[0]);
    ::close(pipeFds[1]);
}

TEST(BatchingStderrSink, WritesLargeBatchesOfWholeLinesToAFileInOrder) {
    char path[] = "/tmp/keel-log-sink-XXXXXX";
    const int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    constexpr int kLines = 5000;
    {
        StderrRedirect redirect(fd);
        auto target = std::make_shared<BatchingStderrSink>();
        EXPECT_EQ(target->batchBytes(), 65536u);
        target->set_pattern("%v");
        AsyncLogSink async(target, kLines);
        for (int i = 0; i < kLines; ++i) async.log(message("line " + std::to_string(i) + " " + std::string(90, 'x')));
        async.flush();
    }
    ::close(fd);
    std::ifstream written(path);
    std::string line;
    int expected = 0;
    while (std::getline(written, line)) {
        ASSERT_EQ(line, "line " + std::to_string(expected) + " " + std::string(90, 'x')) << "line " << expected;
        ++expected;
    }
    EXPECT_EQ(expected, kLines);
    std::remove(path);
}

// A target that records lines and, while its gate is closed, holds the writer inside log().
class GatedSink final : public spdlog::sinks::sink {
public:
    void log(const spdlog::details::log_msg& message) override {
        std::unique_lock<std::mutex> lock(mutex_);
        lines_.emplace_back(message.payload.data(), message.payload.size());
        changed_.notify_all();
        changed_.wait_for(lock, std::chrono::seconds(10), [this] { return open_; });
    }
    void flush() override {}
    void set_pattern(const std::string&) override {}
    void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

    bool waitForLines(std::size_t count) {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return lines_.size() >= count; });
    }
    void open() {
        std::lock_guard<std::mutex> lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }
    std::vector<std::string> lines() {
        std::lock_guard<std::mutex> lock(mutex_);
        return lines_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool open_ = false;
    std::vector<std::string> lines_;
};

TEST(AsyncLogSink, DropsAndCountsWhatDoesNotFitWhileTheTargetIsStuckAndKeepsTheRestInOrder) {
    auto target = std::make_shared<GatedSink>();
    constexpr std::size_t kCapacity = 10;
    AsyncLogSink async(target, kCapacity);
    async.log(message("first"));
    ASSERT_TRUE(target->waitForLines(1)) << "the writer took the first line";
    // The writer is held inside the target: the queue fills, then lines are dropped.
    for (std::size_t i = 0; i < kCapacity + 5; ++i) async.log(message("queued " + std::to_string(i)));
    EXPECT_EQ(async.dropped(), 5u);
    target->open();
    async.flush();
    const auto lines = target->lines();
    ASSERT_EQ(lines.size(), 1 + kCapacity);
    EXPECT_EQ(lines.front(), "first");
    for (std::size_t i = 0; i < kCapacity; ++i) EXPECT_EQ(lines[1 + i], "queued " + std::to_string(i));
}

// Records the nice value of the thread that writes.
class NiceRecordingSink final : public spdlog::sinks::sink {
public:
    void log(const spdlog::details::log_msg&) override {
        nice_.store(::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())));
    }
    void flush() override {}
    void set_pattern(const std::string&) override {}
    void set_formatter(std::unique_ptr<spdlog::formatter>) override {}
    int nice() const { return nice_.load(); }

private:
    std::atomic<int> nice_{-100};
};

TEST(AsyncLogSink, WritesFromAThreadNicerThanTheOneThatStartedIt) {
    const int ours = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    // A sandbox may refuse setpriority (a seccomp filter): then the writer keeps our nice value.
    bool allowed = true;
    std::thread([&] { allowed = ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), std::min(19, ours + 1)) == 0; })
        .join();
    if (!allowed) GTEST_SKIP() << "setpriority is refused here";
    auto target = std::make_shared<NiceRecordingSink>();
    AsyncLogSink async(target, 16);
    async.log(message("a line"));
    async.flush();
    EXPECT_EQ(target->nice(), std::min(19, ours + 5)) << "the access log yields to the threads serving requests";
}

}  // namespace
}  // namespace keel::host
