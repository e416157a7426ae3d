#include "async_log_sink.h"

#include <spdlog/pattern_formatter.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>

namespace keel::host {

namespace {
// How long a line may wait for the writer, and how many lines wake it early.
constexpr std::chrono::milliseconds kWriteInterval{20};
constexpr std::size_t kWakeAt = 256;
// How much nicer the writer is than the rest of the process (higher yields more readily).
constexpr int kWriterNiceOffset = 5;
}  // namespace

AsyncLogSink::AsyncLogSink(spdlog::sink_ptr target, std::size_t capacity)
    : target_(std::move(target)), capacity_(capacity == 0 ? 1 : capacity), writer_([this] { run(); }) {}

AsyncLogSink::~AsyncLogSink() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
}

void AsyncLogSink::log(const spdlog::details::log_msg& message) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (queue_.lines.size() >= capacity_) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            if (auto* counter = dropCounter_.load(std::memory_order_acquire)) counter->Increment();
            return;
        }
        queue_.text.append(message.logger_name.data(), message.logger_name.size());
        queue_.text.append(message.payload.data(), message.payload.size());
        queue_.lines.push_back({message.time, message.level, message.logger_name.size(), message.payload.size()});
        ++queuedTotal_;
        // The writer wakes by itself every kWriteInterval; only a filling queue wakes it early.
        // A wake-up per line would cost a futex call and a thread switch per request.
        if (queue_.lines.size() != kWakeAt) return;
    }
    wake_.notify_one();
}

void AsyncLogSink::flush() {
    std::unique_lock<std::mutex> lock(mutex_);
    const std::uint64_t target = queuedTotal_;
    flushWanted_ = true;
    wake_.notify_one();
    written_.wait_for(lock, std::chrono::seconds(1), [&] { return writtenTotal_ >= target; });
}

void AsyncLogSink::set_pattern(const std::string& pattern) { target_->set_pattern(pattern); }

void AsyncLogSink::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
    target_->set_formatter(std::move(formatter));
}

void AsyncLogSink::run() {
    pthread_setname_np(pthread_self(), "keel-log");  // for top -H and debuggers
    // Behind the threads that serve requests: on a saturated machine the scheduler then lets
    // this thread preempt an I/O thread less often (every connection of that thread would wait),
    // while its share of the CPU (about a sixth of a core against two busy threads per core)
    // stays well above what the lines cost. A refusal changes nothing but the latency.
    const auto self = static_cast<id_t>(::gettid());
    errno = 0;
    const int nice = ::getpriority(PRIO_PROCESS, self);  // relative to the process's own (systemd Nice=)
    if (errno == 0) ::setpriority(PRIO_PROCESS, self, std::min(19, nice + kWriterNiceOffset));
    Batch batch;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait_for(lock, kWriteInterval,
                       [this] { return stopping_ || flushWanted_ || queue_.lines.size() >= kWakeAt; });
        flushWanted_ = false;
        if (queue_.lines.empty()) {
            if (stopping_) return;
            continue;
        }
        std::swap(batch, queue_);  // the queue goes on with the buffers of the last batch
        lock.unlock();
        std::size_t offset = 0;
        for (const auto& line : batch.lines) {
            const std::string_view logger(batch.text.data() + offset, line.loggerSize);
            const std::string_view payload(batch.text.data() + offset + line.loggerSize, line.payloadSize);
            offset += line.loggerSize + line.payloadSize;
            spdlog::details::log_msg message(line.time, spdlog::source_loc{},
                                             spdlog::string_view_t(logger.data(), logger.size()), line.level,
                                             spdlog::string_view_t(payload.data(), payload.size()));
            try {
                target_->log(message);
            } catch (...) {
                // A sink that cannot write (a closed pipe) must not end the writer.
            }
        }
        try {
            target_->flush();
        } catch (...) {
        }
        const auto count = batch.lines.size();
        batch.clear();
        lock.lock();
        writtenTotal_ += count;
        written_.notify_all();
    }
}

namespace {

std::size_t stderrBatchBytes() {
    struct stat status {};
    if (::fstat(STDERR_FILENO, &status) != 0) return PIPE_BUF;
    return S_ISREG(status.st_mode) || S_ISCHR(status.st_mode) ? 65536 : PIPE_BUF;
}

}  // namespace

BatchingStderrSink::BatchingStderrSink() : batchBytes_(stderrBatchBytes()) {}

void BatchingStderrSink::log(const spdlog::details::log_msg& message) {
    std::lock_guard<std::mutex> lock(mutex_);
    spdlog::memory_buf_t formatted;
    if (!formatter_) formatter_ = std::make_unique<spdlog::pattern_formatter>();
    formatter_->format(message, formatted);
    if (buffer_.size() + formatted.size() > batchBytes_) writeOut();
    buffer_.append(formatted.data(), formatted.size());
}

void BatchingStderrSink::flush() {
    std::lock_guard<std::mutex> lock(mutex_);
    writeOut();
}

void BatchingStderrSink::set_pattern(const std::string& pattern) {
    std::lock_guard<std::mutex> lock(mutex_);
    formatter_ = std::make_unique<spdlog::pattern_formatter>(pattern);
}

void BatchingStderrSink::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
    std::lock_guard<std::mutex> lock(mutex_);
    formatter_ = std::move(formatter);
}

void BatchingStderrSink::writeOut() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
        const ssize_t wrote = ::write(STDERR_FILENO, buffer_.data() + done, buffer_.size() - done);
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote <= 0) break;  // nowhere to write: the lines are lost, the process goes on
        done += static_cast<std::size_t>(wrote);
    }
    buffer_.clear();
}

}  // namespace keel::host
