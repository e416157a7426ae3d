// Text and JSON line formats. JSON is built by a formatter of our own because a set_pattern
// JSON breaks on a quote in the message (docs/design-notes.md).
#include "log_manager.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "journal_sink.h"
#include "keel/request_context.h"
#include "keel/text.h"

namespace keel::host {

namespace {

void append(spdlog::memory_buf_t& out, std::string_view text) { out.append(text.data(), text.data() + text.size()); }

// Appends `text` as logEscaped() would write it. Nearly every line is printable ASCII throughout
// (the access log's always): that is copied as it is, without a temporary string.
void appendEscaped(spdlog::memory_buf_t& out, std::string_view text) {
    if (std::all_of(text.begin(), text.end(), isPrintableAscii)) {
        append(out, text);
    } else {
        append(out, logEscaped(text));
    }
}

// RFC 3339 UTC with milliseconds, the precision every log line has had (Poco's ISO 8601 formats
// give seconds or microseconds), appended to `out`.
void appendIsoTime(spdlog::memory_buf_t& out, spdlog::log_clock::time_point time) {
    const auto since = time.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since - seconds).count();
    // "2026-12-06T23:59:59." changes once a second; the access log writes thousands of lines in
    // it. Each thread keeps its own copy.
    thread_local std::time_t cachedSecond = -1;
    thread_local char cachedPrefix[32] = {};
    thread_local int cachedLength = 0;
    const std::time_t raw = seconds.count();
    if (raw != cachedSecond) {
        std::tm utc{};
        gmtime_r(&raw, &utc);
        cachedLength = std::snprintf(cachedPrefix, sizeof cachedPrefix, "%04d-%02d-%02dT%02d:%02d:%02d.",
                                     utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                                     utc.tm_sec);
        cachedSecond = raw;
    }
    const int ms = static_cast<int>(millis);
    const char tail[] = {static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                         static_cast<char>('0' + ms % 10), 'Z'};
    append(out, std::string_view(cachedPrefix, static_cast<std::size_t>(cachedLength)));
    append(out, std::string_view(tail, sizeof tail));
}

constexpr const char* kAccessLoggerName = "access";

// One line per message. The access log's messages are preformatted: key=value pairs (text) or
// JSON members (json), so its fields stay fields.
class LineFormatter final : public spdlog::formatter {
public:
    LineFormatter(LogFormat format, std::string instance)
        : format_(format),
          instance_(std::move(instance)),
          // The same for every line: built once.
          instanceField_(instance_.empty()                ? std::string()
                         : format_ == LogFormat::Json ? ",\"instance\":\"" + jsonEscaped(instance_) + "\""
                                                      : " instance=" + instance_) {}

    // Written straight into `out`: the access log's writer formats every line of the service.
    void format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& out) override {
        const std::string_view text(message.payload.data(), message.payload.size());
        const auto level = spdlog::level::to_string_view(message.level);
        const std::string_view logger(message.logger_name.data(), message.logger_name.size());
        const bool preformatted = logger == kAccessLoggerName;
        const RequestContext* context = currentRequestContext();
        if (format_ == LogFormat::Json) {
            append(out, "{\"time\":\"");
            appendIsoTime(out, message.time);
            append(out, "\",\"level\":\"");
            append(out, std::string_view(level.data(), level.size()));
            append(out, "\",\"logger\":\"");
            append(out, jsonEscaped(logger));
            append(out, "\"");
            if (preformatted) {
                append(out, ",");
                append(out, text);
            } else {
                append(out, ",\"message\":\"" + jsonEscaped(text) + "\"");
            }
            if (context != nullptr && !preformatted) {
                if (!context->requestId.empty()) append(out, ",\"request_id\":\"" + jsonEscaped(context->requestId) + "\"");
                if (!context->traceId.empty()) append(out, ",\"trace_id\":\"" + context->traceId + "\"");
                if (!context->spanId.empty()) append(out, ",\"span_id\":\"" + context->spanId + "\"");
            }
            append(out, instanceField_);
            append(out, "}\n");
        } else {
            appendIsoTime(out, message.time);
            append(out, " ");
            append(out, std::string_view(level.data(), level.size()));
            append(out, " [");
            append(out, logger);
            append(out, "] ");
            appendEscaped(out, text);
            if (context != nullptr && !preformatted) {
                if (!context->requestId.empty()) append(out, " request_id=" + context->requestId);
                if (!context->traceId.empty()) append(out, " trace_id=" + context->traceId);
                if (!context->spanId.empty()) append(out, " span_id=" + context->spanId);
            }
            append(out, instanceField_);
            append(out, "\n");
        }
    }

    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<LineFormatter>(format_, instance_);
    }

private:
    LogFormat format_;
    std::string instance_;
    std::string instanceField_;
};

}  // namespace

namespace {
// Lines a burst may queue before the access log drops (about 200 bytes each).
constexpr std::size_t kAccessQueueLines = 16384;

// Under systemd with stderr connected to the journal, entries go to journald with their fields;
// elsewhere, lines to standard error.
bool toJournal() { return JournalSink::stderrIsJournal(); }
}  // namespace

// The access log's writer has standard error to itself in batches; the journal takes entries one
// by one from either.
LogManager::LogManager()
    : LogManager(toJournal() ? spdlog::sink_ptr(std::make_shared<JournalSink>())
                             : spdlog::sink_ptr(std::make_shared<spdlog::sinks::stderr_sink_mt>()),
                 toJournal() ? spdlog::sink_ptr(std::make_shared<JournalSink>())
                             : spdlog::sink_ptr(std::make_shared<BatchingStderrSink>())) {}

LogManager::LogManager(const spdlog::sink_ptr& sink) : LogManager(sink, sink) {}

LogManager::LogManager(spdlog::sink_ptr sink, spdlog::sink_ptr accessTarget)
    : sink_(std::move(sink)),
      accessTarget_(std::move(accessTarget)),
      accessSink_(std::make_shared<AsyncLogSink>(accessTarget_, kAccessQueueLines)) {
    configure(level_, format_.load());
}

LogManager::~LogManager() {
    // Loggers handed out may outlive this object; their lines still reach the writer until the
    // last reference goes. Here: everything queued so far is written.
    accessSink_->flush();
}

void LogManager::configure(spdlog::level::level_enum level, LogFormat format) {
    std::lock_guard<std::mutex> lock(mutex_);
    level_ = level;
    format_ = format;
    sink_->set_formatter(std::make_unique<LineFormatter>(format, instance_));
    if (accessTarget_ != sink_) accessTarget_->set_formatter(std::make_unique<LineFormatter>(format, instance_));
    for (auto& [name, logger] : loggers_) logger->set_level(level);
    if (access_) access_->set_level(level);
}

void LogManager::setInstance(const std::string& instance) {
    spdlog::level::level_enum level;
    LogFormat format;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        instance_ = instance;
        level = level_;
        format = format_.load();
    }
    for (const auto& sink : {sink_, accessTarget_}) {
        if (auto journal = std::dynamic_pointer_cast<JournalSink>(sink)) journal->setInstance(instance);
    }
    configure(level, format);  // formatters carry the instance
}

LogFormat LogManager::format() const { return format_.load(std::memory_order_relaxed); }

spdlog::level::level_enum LogManager::parseLevel(const std::string& name) {
    for (int level = spdlog::level::trace; level <= spdlog::level::off; ++level) {
        const auto view = spdlog::level::to_string_view(static_cast<spdlog::level::level_enum>(level));
        if (name == std::string(view.data(), view.size())) return static_cast<spdlog::level::level_enum>(level);
    }
    if (name == "warn") return spdlog::level::warn;  // spdlog calls it "warning"; configuration says "warn"
    if (name == "err") return spdlog::level::err;
    if (name == "error") return spdlog::level::err;
    throw std::invalid_argument("unknown log level '" + name + "'");
}

std::shared_ptr<spdlog::logger> LogManager::logger(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& logger = loggers_[name];
    if (!logger) {
        logger = std::make_shared<spdlog::logger>(name, sink_);
        logger->set_level(level_);
        logger->flush_on(spdlog::level::warn);
    }
    return logger;
}

std::shared_ptr<spdlog::logger> LogManager::accessLogger() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!access_) {
        access_ = std::make_shared<spdlog::logger>(kAccessLoggerName, accessSink_);
        access_->set_level(level_);
    }
    return access_;
}

std::uint64_t LogManager::accessLinesDropped() const { return accessSink_->dropped(); }

void LogManager::countAccessDropsIn(prometheus::Counter* counter) { accessSink_->countDropsIn(counter); }

void LogManager::flush() {
    accessSink_->flush();  // outside mutex_: the writer never takes it
    std::lock_guard<std::mutex> lock(mutex_);
    sink_->flush();
}

}  // namespace keel::host
