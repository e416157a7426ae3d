// The access log off the request path: request threads hand their line to a bounded queue and
// return; one writer thread passes the lines to the real sink in batches, every 20 ms or when
// 256 lines wait. A full queue drops the
// line and counts it (a request never waits on stderr or the journal). Thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <spdlog/sinks/sink.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace keel::host {

class AsyncLogSink final : public spdlog::sinks::sink {
public:
    AsyncLogSink(spdlog::sink_ptr target, std::size_t capacity);
    // Writes what is queued, then stops the writer.
    ~AsyncLogSink() override;

    void log(const spdlog::details::log_msg& message) override;
    // Returns once every line queued before the call is written (or after one second).
    void flush() override;
    void set_pattern(const std::string& pattern) override;
    void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

    std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
    // Also counts dropped lines in `counter` (nullptr: stop); the counter must outlive its use.
    void countDropsIn(prometheus::Counter* counter) { dropCounter_.store(counter, std::memory_order_release); }

private:
    // Queued lines: their texts back to back in one string, so that queueing a line allocates
    // nothing once the buffers have grown (the writer hands its emptied batch back for reuse).
    struct Batch {
        struct Line {
            spdlog::log_clock::time_point time;
            spdlog::level::level_enum level;
            std::size_t loggerSize;
            std::size_t payloadSize;
        };
        std::string text;  // per line: the logger's name, then the payload
        std::vector<Line> lines;
        // Emptied for reuse; buffers a burst grew past kKeptBytes are given back instead.
        void clear() {
            constexpr std::size_t kKeptBytes = 1 << 20;
            if (text.capacity() > kKeptBytes || lines.capacity() * sizeof(Line) > kKeptBytes) {
                std::string().swap(text);
                std::vector<Line>().swap(lines);
            }
            text.clear();
            lines.clear();
        }
    };
    void run();

    spdlog::sink_ptr target_;
    const std::size_t capacity_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable written_;
    Batch queue_;
    std::uint64_t queuedTotal_ = 0;   // lines ever queued
    std::uint64_t writtenTotal_ = 0;  // lines ever handed to the target
    bool stopping_ = false;
    bool flushWanted_ = false;
    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<prometheus::Counter*> dropCounter_{nullptr};
    std::thread writer_;
};

// Standard error written in batches of whole lines. On a pipe or socket a batch is cut before it
// passes PIPE_BUF, so that lines from other writers to the same pipe never land inside one of
// ours; a file or terminal, where that guarantee does not exist anyway, takes batches of 64 KiB,
// a sixteenth of the system calls.
class BatchingStderrSink final : public spdlog::sinks::sink {
public:
    BatchingStderrSink();
    // The most bytes one write() carries (PIPE_BUF or 64 KiB, by what standard error is).
    std::size_t batchBytes() const { return batchBytes_; }
    void log(const spdlog::details::log_msg& message) override;
    void flush() override;
    void set_pattern(const std::string& pattern) override;
    void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

private:
    void writeOut();
    const std::size_t batchBytes_;
    std::mutex mutex_;
    std::unique_ptr<spdlog::formatter> formatter_;
    std::string buffer_;
};

}  // namespace keel::host
