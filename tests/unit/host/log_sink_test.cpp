// The standard-error sink's batches (whole lines, cut by what standard error is) and the
// asynchronous sink in front of it (every line written, in order, by flush()).
#include <gtest/gtest.h>
#include <spdlog/pattern_formatter.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "async_log_sink.h"

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

}  // namespace
}  // namespace keel::host
