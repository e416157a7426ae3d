// A spdlog sink for journald: one entry per line with its priority and structured fields
// (KEEL_LOGGER, KEEL_PLUGIN, KEEL_INSTANCE, REQUEST_ID, TRACE_ID, SPAN_ID) and no timestamp of our own, since
// the journal keeps one. spdlog 1.10's systemd_sink cannot add fields (docs/design-notes.md). Lives in
// the host, never in a plugin.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace keel::host {

class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    using Sender = std::function<void(const std::vector<std::string>& fields)>;
    // Default sender: sd_journal_sendv.
    explicit JournalSink(Sender sender = {});

    // syslog priority of a spdlog level.
    static int priority(spdlog::level::level_enum level);
    // True when standard error is the journal (JOURNAL_STREAM names its device and inode).
    static bool stderrIsJournal();
    // Adds KEEL_INSTANCE=<instance> to every entry from now on.
    void setInstance(const std::string& instance);

protected:
    void sink_it_(const spdlog::details::log_msg& message) override;
    void flush_() override {}

private:
    Sender sender_;
    std::string instance_;  // guarded by base_sink's mutex
};

}  // namespace keel::host
