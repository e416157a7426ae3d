// journald entries with structured fields.
#include "journal_sink.h"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include <cstdlib>
#include <cstring>

#include "keel/request_context.h"

namespace keel::host {

JournalSink::JournalSink(Sender sender) : sender_(std::move(sender)) {
    if (!sender_) {
        sender_ = [](const std::vector<std::string>& fields) {
            std::vector<iovec> vector(fields.size());
            for (std::size_t i = 0; i < fields.size(); ++i) {
                vector[i].iov_base = const_cast<char*>(fields[i].data());
                vector[i].iov_len = fields[i].size();
            }
            sd_journal_sendv(vector.data(), static_cast<int>(vector.size()));
        };
    }
}

int JournalSink::priority(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace:
        case spdlog::level::debug: return 7;
        case spdlog::level::info: return 6;
        case spdlog::level::warn: return 4;
        case spdlog::level::err: return 3;
        case spdlog::level::critical: return 2;
        default: return 6;
    }
}

bool JournalSink::stderrIsJournal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr) return false;
    struct stat status {};
    if (::fstat(2, &status) != 0) return false;
    const std::string expected = std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
    return expected == stream;
}

void JournalSink::setInstance(const std::string& instance) {
    std::lock_guard<std::mutex> lock(base_sink<std::mutex>::mutex_);
    instance_ = instance;
}

void JournalSink::sink_it_(const spdlog::details::log_msg& message) {
    const std::string logger(message.logger_name.data(), message.logger_name.size());
    std::vector<std::string> fields;
    fields.push_back("MESSAGE=" + std::string(message.payload.data(), message.payload.size()));
    fields.push_back("PRIORITY=" + std::to_string(priority(message.level)));
    fields.push_back("SYSLOG_IDENTIFIER=keel");
    fields.push_back("KEEL_LOGGER=" + logger);
    if (logger.rfind("plugin.", 0) == 0) fields.push_back("KEEL_PLUGIN=" + logger.substr(7));
    if (!instance_.empty()) fields.push_back("KEEL_INSTANCE=" + instance_);
    if (const RequestContext* context = currentRequestContext()) {
        if (!context->requestId.empty()) fields.push_back("REQUEST_ID=" + context->requestId);
        if (!context->traceId.empty()) fields.push_back("TRACE_ID=" + context->traceId);
        if (!context->spanId.empty()) fields.push_back("SPAN_ID=" + context->spanId);
    }
    sender_(fields);
}

}  // namespace keel::host
