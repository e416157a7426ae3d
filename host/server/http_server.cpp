// The connection state machine of the front door: read a head, check it, read the body, hand the
// complete request to a worker, write the answer, and enforce a deadline at every step.
#include "http_server.h"

#include <Poco/URI.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <charconv>
#include <atomic>
#include <ctime>
#include <future>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "keel/metrics.h"
#include "keel/problem.h"
#include "keel/text.h"
#include "log_manager.h"
#include "worker_pool.h"

namespace keel::host {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// How late a deadline may be noticed: the sweeper's period.
constexpr std::chrono::milliseconds kDeadlineResolution{100};

// ---------------------------------------------------------------------------------------------
// Observer: metrics and access-log lines for what never reaches the pipeline.

struct FrontDoorObserver::State {
    LogManager& logs;
    std::shared_ptr<spdlog::logger> access;
    std::map<std::string, std::map<RejectReason, prometheus::Counter*>> rejected;
    std::map<std::string, prometheus::Gauge*> open;
    std::map<std::string, prometheus::Histogram*> queueWait;
};

FrontDoorObserver::FrontDoorObserver(Metrics& hostMetrics, LogManager& logs, const std::vector<std::string>& listeners)
    : state_(std::make_unique<State>(State{logs, logs.accessLogger(), {}, {}})) {
    auto& rejected = hostMetrics.counter(
        "keel_http_rejected_total",
        "Requests refused or abandoned by a listener before they reached the pipeline, by reason.");
    auto& open = hostMetrics.gauge("keel_http_open_connections", "Connections open on a listener.");
    auto& queueWait = hostMetrics.histogram(
        "keel_http_queue_wait_seconds",
        "Time a complete request waited in a listener's queue for a worker, before its pipeline ran.");
    // Every child exists from the start: a reason that never happened reads 0, and no lookup
    // happens on the I/O threads.
    for (const auto& listener : listeners) {
        for (const auto reason : allRejectReasons()) {
            state_->rejected[listener][reason] = &rejected.Add({{"listener", listener}, {"reason", rejectReasonLabel(reason)}});
        }
        state_->open[listener] = &open.Add({{"listener", listener}});
        // From well under a millisecond (a worker was free) to the seconds a full queue means.
        state_->queueWait[listener] = &queueWait.Add(
            {{"listener", listener}},
            prometheus::Histogram::BucketBoundaries{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5});
    }
}

FrontDoorObserver::~FrontDoorObserver() = default;

void FrontDoorObserver::rejected(const std::string& listener, RejectReason reason, int status, std::string_view method,
                                 const std::string& remote, Clock::duration elapsed) const {
    const auto perListener = state_->rejected.find(listener);
    if (perListener != state_->rejected.end()) perListener->second.at(reason)->Increment();
    // The method is the client's bytes: log it only when it is a plain token.
    std::string safeMethod = method.empty() || method.size() > 32 ? "-" : std::string(method);
    for (char c : safeMethod) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
            safeMethod = "-";
            break;
        }
    }
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.3f", std::chrono::duration<double, std::milli>(elapsed).count());
    const char* label = rejectReasonLabel(reason);
    if (state_->logs.format() == LogFormat::Json) {
        state_->access->info(
            "\"request_id\":\"-\",\"listener\":\"{}\",\"method\":\"{}\",\"route\":\"rejected\",\"status\":{},"
            "\"duration_ms\":{},\"bytes\":0,\"remote\":\"{}\",\"rejected\":\"{}\"",
            jsonEscaped(listener), safeMethod, status, duration, jsonEscaped(remote), label);
    } else {
        state_->access->info("request_id=- listener={} method={} route=rejected status={} duration_ms={} bytes=0 remote={} "
                             "rejected={}",
                             listener, safeMethod, status, duration, remote, label);
    }
}

void FrontDoorObserver::connectionOpened(const std::string& listener) const {
    const auto found = state_->open.find(listener);
    if (found != state_->open.end()) found->second->Increment();
}

void FrontDoorObserver::connectionClosed(const std::string& listener) const {
    const auto found = state_->open.find(listener);
    if (found != state_->open.end()) found->second->Decrement();
}

prometheus::Histogram* FrontDoorObserver::queueWait(const std::string& listener) const {
    const auto found = state_->queueWait.find(listener);
    return found == state_->queueWait.end() ? nullptr : found->second;
}

// ---------------------------------------------------------------------------------------------
// I/O threads

IoThreads::IoThreads(std::size_t threads) : context_(static_cast<int>(threads)) {
    // The work guard keeps run() from returning while no socket is open yet.
    auto guard = std::make_shared<asio::executor_work_guard<asio::io_context::executor_type>>(context_.get_executor());
    for (std::size_t i = 0; i < threads; ++i) {
        threads_.emplace_back([this, guard] { context_.run(); });
        pthread_setname_np(threads_.back().native_handle(), "keel-io");
    }
}

IoThreads::~IoThreads() { stop(); }

void IoThreads::stop() {
    if (stopped_) return;
    stopped_ = true;
    context_.stop();
    for (auto& thread : threads_) {
        if (thread.joinable()) thread.join();
    }
}

// ---------------------------------------------------------------------------------------------
// Response bytes

namespace {

// "Date: ..." changes once a second; every thread keeps its own copy.
const std::string& httpDate() {
    thread_local std::time_t cachedSecond = 0;
    thread_local std::string cached;
    const std::time_t now = std::time(nullptr);
    if (now != cachedSecond) {
        std::tm parts{};
        gmtime_r(&now, &parts);
        char text[64];
        std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
        cached = text;
        cachedSecond = now;
    }
    return cached;
}

// A header a plugin set may be sent only if it cannot split the response.
bool isSafeHeader(const std::string& name, const std::string& value) {
    if (name.empty()) return false;
    for (char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7f || c == ':') return false;
    }
    for (char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\t') || byte == 0x7f) return false;
    }
    return true;
}

// Headers the server frames itself: a plugin's own value for them is dropped.
bool isFramingHeader(const std::string& name) {
    switch (name.empty() ? 0 : name[0] | 0x20) {
        case 'c': return beast::iequals(name, "Content-Length") || beast::iequals(name, "Connection");
        case 't': return beast::iequals(name, "Transfer-Encoding");
        case 'd': return beast::iequals(name, "Date");
        default: return false;
    }
}

// Security headers every answer carries unless its handler chose otherwise: no MIME sniffing, no
// caching of API answers by browsers or proxies, and HSTS on TLS listeners. No Server banner.
// One pass over the handler's headers, no temporary strings: this runs for every answer.
std::string serialize(const Response& response, bool headRequest, bool close, bool http10KeepAlive, bool tls) {
    const int status = response.status();
    const bool noBody = status < 200 || status == 204 || status == 304;
    std::string out;
    out.reserve(256 + (headRequest || noBody ? 0 : response.body().size()));
    const std::string_view reason = response.reason().empty() ? reasonPhrase(status) : std::string_view(response.reason());
    char digits[24];
    out += "HTTP/1.1 ";
    out.append(digits, std::to_chars(digits, digits + sizeof digits, status).ptr);
    out += ' ';
    out += reason.empty() ? std::string_view("Unknown") : reason;
    out += "\r\nDate: ";
    out += httpDate();
    out += "\r\n";
    bool hasNoSniff = false;
    bool hasCacheControl = false;
    bool hasHsts = false;
    for (const auto& [name, value] : response.headers().fields()) {
        if (isFramingHeader(name) || !isSafeHeader(name, value)) continue;
        hasNoSniff = hasNoSniff || beast::iequals(name, "X-Content-Type-Options");
        hasCacheControl = hasCacheControl || beast::iequals(name, "Cache-Control");
        hasHsts = hasHsts || beast::iequals(name, "Strict-Transport-Security");
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    if (!hasNoSniff) out += "X-Content-Type-Options: nosniff\r\n";
    if (!hasCacheControl) out += "Cache-Control: no-store\r\n";
    if (tls && !hasHsts) out += "Strict-Transport-Security: max-age=31536000\r\n";
    if (!noBody) {
        out += "Content-Length: ";
        out.append(digits, std::to_chars(digits, digits + sizeof digits, response.body().size()).ptr);
        out += "\r\n";
    }
    if (close) {
        out += "Connection: close\r\n";
    } else if (http10KeepAlive) {
        out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
    if (!headRequest && !noBody) out += response.body();
    return out;
}

std::string problemBytes(int status, const std::string& detail, bool headRequest, bool tls,
                         const std::vector<std::pair<std::string, std::string>>& extraHeaders = {}) {
    Response response;
    writeProblem(response, Problem::of(status, reasonPhrase(status), detail));
    for (const auto& [name, value] : extraHeaders) response.setHeader(name, value);
    return serialize(response, headRequest, true, false, tls);
}

// The request target as origin-form: absolute-form targets (proxies) are reduced to path?query.
std::string originForm(std::string_view target) {
    if (!target.empty() && target.front() == '/') return std::string(target);
    if (target == "*") return "*";
    try {
        Poco::URI parsed{std::string(target)};
        return parsed.getPathAndQuery().empty() ? "/" : parsed.getPathAndQuery();
    } catch (const Poco::Exception&) {
        return "/";
    }
}

std::string endpointText(const tcp::endpoint& endpoint) {
    const auto address = endpoint.address();
    return (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" +
           std::to_string(endpoint.port());
}

// A complete request on its way through the pipeline, with how its answer must be framed. The
// admission is declared last so it is released (its plugins' traces removed) before the request
// goes.
struct PendingRequest {
    PendingRequest(std::string method, const std::string& target) : request(std::move(method), target) {}
    Request request;
    bool keepAlive = false;
    bool http10 = false;
    bool head = false;
    Dispatcher::Admission admission;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Shared state of one listener, kept alive by every connection.

struct HttpServer::Shared : std::enable_shared_from_this<HttpServer::Shared> {
    ListenerOptions options;
    Dispatcher& dispatcher;
    IoThreads& io;
    const FrontDoorObserver& observer;
    prometheus::Histogram* const queueWait;  // observer's series for this listener, or nullptr
    std::shared_ptr<spdlog::logger> logger;
    std::unique_ptr<WorkerPool> workers;
    tcp::acceptor acceptor;
    asio::steady_timer acceptRetry;
    std::atomic<bool> draining{false};
    std::atomic<std::size_t> connectionCount{0};
    int boundPort = 0;

    std::mutex tlsMutex;
    std::shared_ptr<asio::ssl::context> tlsContext;

    class Connection;
    mutable std::mutex connectionsMutex;
    std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;

    Shared(ListenerOptions o, Dispatcher& d, IoThreads& i, const FrontDoorObserver& obs, std::shared_ptr<spdlog::logger> l)
        : options(std::move(o)), dispatcher(d), io(i), observer(obs), queueWait(obs.queueWait(options.name)),
          logger(std::move(l)),
          acceptor(asio::make_strand(i.context())), acceptRetry(acceptor.get_executor()),
          sweeper(asio::make_strand(i.context())) {}

    // Expires the deadlines of connections every kDeadlineResolution (see Connection::armDeadline).
    asio::steady_timer sweeper;
    void sweepDeadlines();

    std::shared_ptr<asio::ssl::context> currentTls() {
        std::lock_guard<std::mutex> lock(tlsMutex);
        return tlsContext;
    }
    void accept();
    template <class Visitor>
    void forEachConnection(Visitor visit) const {
        std::vector<std::shared_ptr<Connection>> alive;
        {
            std::lock_guard<std::mutex> lock(connectionsMutex);
            for (const auto& [raw, weak] : connections) {
                if (auto connection = weak.lock()) alive.push_back(std::move(connection));
            }
        }
        for (auto& connection : alive) visit(connection);
    }
};

// One client connection. Every member is touched only on the connection's strand, or by the
// worker that owns a dispatched request (see respondFromWorker), except the "running"
// description (its own mutex) which shutdown reads from the main thread.
class HttpServer::Shared::Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(std::shared_ptr<Shared> shared, tcp::socket socket)
        : shared_(std::move(shared)), socket_(std::move(socket)), strand_(socket_.get_executor()),
          opened_(Clock::now()) {
        boost::system::error_code ignored;
        const auto remote = socket_.remote_endpoint(ignored);
        remote_ = ignored ? "-" : endpointText(remote);
        socket_.set_option(tcp::no_delay(true), ignored);
        buffer_.max_size(shared_->options.limits.head.maxUriLength + shared_->options.limits.head.maxHeaderBytes +
                         shared_->options.limits.maxBodySize + 65536);
    }

    ~Connection() {
        shared_->connectionCount.fetch_sub(1);
        shared_->observer.connectionClosed(shared_->options.name);
        std::lock_guard<std::mutex> lock(shared_->connectionsMutex);
        shared_->connections.erase(this);
    }

    void start() {
        if (shared_->options.tls.enabled()) {
            tlsContext_ = shared_->currentTls();
            detectTls();
        } else {
            // Workers write answers themselves with write_some, which must not wait (see
            // respondFromWorker); asio's own operations handle a non-blocking socket as well.
            boost::system::error_code ignored;
            socket_.non_blocking(true, ignored);
            waitForRequest();
        }
    }

    // Shutdown: a connection that has no dispatched request closes now; one that has answers
    // with Connection: close and then closes.
    void drain() {
        asio::post(strand_, [self = shared_from_this()] {
            std::lock_guard<std::mutex> owner(self->workerOwnership_);
            if (self->phase_ != Phase::Dispatched && self->phase_ != Phase::Writing) self->close();
        });
    }

    void forceClose() {
        asio::post(strand_, [self = shared_from_this()] {
            std::lock_guard<std::mutex> owner(self->workerOwnership_);
            self->close();
        });
    }

    std::optional<std::string> running() const {
        std::lock_guard<std::mutex> lock(runningMutex_);
        if (running_.empty()) return std::nullopt;
        char age[32];
        std::snprintf(age, sizeof age, "%.1f s", std::chrono::duration<double>(Clock::now() - runningSince_).count());
        return running_ + " from " + remote_ + ", running for " + age;
    }

private:
    enum class Phase { Idle, Head, Body, Dispatched, Writing, Lingering, Closed };

    tcp::socket& lowest() { return tls_ ? tls_->next_layer() : socket_; }

    template <class Buffers, class Handler>
    void readSome(const Buffers& buffers, Handler&& handler) {
        if (tls_) {
            tls_->async_read_some(buffers, std::forward<Handler>(handler));
        } else {
            socket_.async_read_some(buffers, std::forward<Handler>(handler));
        }
    }

    template <class Handler>
    void writeAll(const std::string& bytes, Handler&& handler) {
        if (tls_) {
            asio::async_write(*tls_, asio::buffer(bytes), std::forward<Handler>(handler));
        } else {
            asio::async_write(socket_, asio::buffer(bytes), std::forward<Handler>(handler));
        }
    }

    // A deadline is a number the listener's sweeper compares with the clock every
    // kDeadlineResolution: arming one costs no system call and no timer completion per request.
    void armDeadline(Clock::time_point at) { deadlineAt_.store(at.time_since_epoch().count(), std::memory_order_relaxed); }
    void disarmDeadline() { deadlineAt_.store(0, std::memory_order_relaxed); }

public:
    // Called by the sweeper (any thread): true when the armed deadline has passed.
    bool deadlinePassed(Clock::time_point now) const {
        const auto at = deadlineAt_.load(std::memory_order_relaxed);
        return at != 0 && now.time_since_epoch().count() >= at;
    }
    // On the strand: the operation in progress is cancelled, and its handler sees timedOut_.
    void expireDeadline() {
        asio::post(strand_, [self = shared_from_this()] {
            std::lock_guard<std::mutex> owner(self->workerOwnership_);
            if (self->phase_ == Phase::Closed || !self->deadlinePassed(Clock::now())) return;
            self->disarmDeadline();
            self->timedOut_ = true;
            boost::system::error_code ignored;
            self->lowest().cancel(ignored);
        });
    }

private:

    // TLS listeners: a first byte other than a TLS handshake record means plain HTTP was sent to
    // the TLS port; the connection is closed without an answer the client could misread.
    void detectTls() {
        phase_ = Phase::Head;
        headStarted_ = Clock::now();
        armDeadline(headStarted_ + shared_->options.limits.headerTimeout);
        socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& error) {
            if (error) return self->abandon(self->timedOut_ ? RejectReason::HeaderTimeout : RejectReason::TlsHandshake, 0);
            unsigned char first = 0;
            boost::system::error_code peekError;
            const auto peeked = self->socket_.receive(asio::buffer(&first, 1), tcp::socket::message_peek, peekError);
            if (peekError || peeked != 1) return self->close();
            if (first != 0x16) return self->abandon(RejectReason::TlsHandshake, 0);
            self->tls_.emplace(std::move(self->socket_), *self->tlsContext_);
            self->tls_->async_handshake(asio::ssl::stream_base::server, [self](const boost::system::error_code& failed) {
                if (failed) {
                    return self->abandon(self->timedOut_ ? RejectReason::HeaderTimeout : RejectReason::TlsHandshake, 0);
                }
                self->clientSubject_ = verifiedClientSubject(self->tls_->native_handle());
                self->waitForRequest();
            });
        });
    }

    void waitForRequest() {
        if (shared_->draining.load()) return close();
        parser_.reset();
        method_.clear();
        timedOut_ = false;
        phase_ = Phase::Idle;
        // Pipelined bytes already buffered start the next head at once.
        if (buffer_.size() > 0) {
            beginHead();
            return processHead();
        }
        armDeadline(Clock::now() + (served_ == 0 ? shared_->options.limits.headerTimeout
                                                  : shared_->options.limits.keepAliveTimeout));
        readMore();
    }

    void beginHead() {
        phase_ = Phase::Head;
        headStarted_ = Clock::now();
        const auto& limits = shared_->options.limits;
        armDeadline(headStarted_ + std::min(limits.headerTimeout, limits.readTimeout));
    }

    void readMore() {
        // Most heads fit in 4 KiB, so an idle connection keeps little memory; bodies read in
        // larger steps.
        const std::size_t readSize = phase_ == Phase::Body ? 65536 : 4096;
        if (buffer_.size() >= buffer_.max_size()) return reject(431, RejectReason::HeadersTooLarge, "the request is too large");
        const std::size_t room = std::min(readSize, buffer_.max_size() - buffer_.size());
        readSome(buffer_.prepare(room), [self = shared_from_this()](const boost::system::error_code& error, std::size_t read) {
            self->onRead(error, read);
        });
    }

    void onRead(const boost::system::error_code& error, std::size_t read) {
        if (phase_ == Phase::Closed) return;
        if (error) {
            if (timedOut_) {
                switch (phase_) {
                    case Phase::Idle: return close();  // an idle keep-alive connection: normal
                    case Phase::Head: return reject(408, RejectReason::HeaderTimeout,
                                                    "the request head did not arrive in time (server.header_timeout)");
                    case Phase::Body: return reject(408, RejectReason::BodyTimeout,
                                                    "the request body did not arrive in time (server.body_timeout)");
                    default: return close();
                }
            }
            if (phase_ == Phase::Head) return abandon(RejectReason::IncompleteHeader, 0);
            if (phase_ == Phase::Body) return abandon(RejectReason::IncompleteBody, 0);
            return close();  // EOF or reset between requests
        }
        buffer_.commit(read);
        if (phase_ == Phase::Idle) beginHead();
        if (phase_ == Phase::Head) return processHead();
        if (phase_ == Phase::Body) return processBody();
    }

    std::string_view buffered() const {
        const auto data = buffer_.data();
        return {static_cast<const char*>(data.data()), data.size()};
    }

    void processHead() {
        const auto& limits = shared_->options.limits;
        // RFC 9112 2.2: ignore empty lines before a request line.
        while (buffered().size() >= 2 && buffered().substr(0, 2) == "\r\n") buffer_.consume(2);
        const auto view = buffered();
        const auto headEnd = findHeadEnd(view);
        if (!headEnd) {
            if (auto rejection = checkPartialHead(view, limits.head)) {
                return reject(rejection->status, rejection->reason, rejection->detail);
            }
            return readMore();
        }
        const std::string_view head = view.substr(0, *headEnd);
        method_ = std::string(head.substr(0, std::min<std::size_t>(head.find(' '), 32)));
        if (auto rejection = checkRequestHead(head, limits.head)) {
            return reject(rejection->status, rejection->reason, rejection->detail);
        }
        BodyFraming framing;
        if (auto rejection = checkBodyFraming(headFields(head), framing)) {
            return reject(rejection->status, rejection->reason, rejection->detail);
        }
        if (framing.contentLength && *framing.contentLength > limits.maxBodySize) {
            return reject(413, RejectReason::BodyTooLarge,
                          "the request body is larger than " + std::to_string(limits.maxBodySize) +
                              " bytes (server.max_body_size)");
        }
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(head.size() + 1));
        parser_->body_limit(limits.maxBodySize);
        parser_->eager(true);
        boost::system::error_code error;
        const auto used = parser_->put(asio::buffer(head.data(), head.size()), error);
        if (error || !parser_->is_header_done()) {
            return reject(400, RejectReason::BadRequest, "the request head cannot be parsed");
        }
        buffer_.consume(used);
        const auto& message = parser_->get();
        headRequest_ = message.method() == http::verb::head;
        const auto expect = message[http::field::expect];
        if (!expect.empty()) {
            if (!beast::iequals(expect, "100-continue")) {
                return reject(417, RejectReason::BadRequest, "only 'Expect: 100-continue' is understood");
            }
        }
        phase_ = Phase::Body;
        const auto bodyDeadline = std::min(Clock::now() + limits.bodyTimeout, headStarted_ + limits.readTimeout);
        armDeadline(bodyDeadline);
        if (!expect.empty() && message.version() == 11 && !parser_->is_done() && buffered().empty()) {
            // The client waits for this before it sends the body.
            auto interim = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
            writeAll(*interim, [self = shared_from_this(), interim](const boost::system::error_code& failed, std::size_t) {
                if (failed) return self->close();
                self->processBody();
            });
            return;
        }
        processBody();
    }

    void processBody() {
        while (!parser_->is_done()) {
            if (buffered().empty()) return readMore();
            boost::system::error_code error;
            const auto used = parser_->put(buffer_.data(), error);
            buffer_.consume(used);
            if (error == http::error::need_more) return readMore();
            if (error == http::error::body_limit) {
                return reject(413, RejectReason::BodyTooLarge,
                              "the request body is larger than " + std::to_string(shared_->options.limits.maxBodySize) +
                                  " bytes (server.max_body_size)");
            }
            if (error) return reject(400, RejectReason::IncompleteBody, "the chunked body is malformed");
        }
        dispatch();
    }

    void dispatch() {
        disarmDeadline();
        phase_ = Phase::Dispatched;
        auto message = parser_->release();
        parser_.reset();
        ++served_;
        const auto& limits = shared_->options.limits;
        const bool keepAlive = message.keep_alive() &&
                               (limits.maxKeepAliveRequests == 0 || served_ < limits.maxKeepAliveRequests);
        const bool http10 = message.version() == 10;
        const std::string target(message.target());
        auto pending = std::make_shared<PendingRequest>(std::string(message.method_string()), originForm(target));
        Request& request = pending->request;
        for (const auto& field : message) request.headers().add(std::string(field.name_string()), std::string(field.value()));
        request.setBody(std::move(message.body()));
        request.setListener(shared_->options.name);
        request.setRemoteAddress(remote_);
        if (!clientSubject_.empty()) request.setClientCertificateSubject(clientSubject_);
        {
            std::lock_guard<std::mutex> lock(runningMutex_);
            const auto id = message["X-Request-ID"];  // only for the shutdown report
            running_ = request.method() + " " + request.path() +
                       (id.empty() || id.size() > 128 ? "" : " (X-Request-ID " + std::string(id) + ")");
            runningSince_ = Clock::now();
        }
        pending->keepAlive = keepAlive;
        pending->http10 = http10;
        pending->head = headRequest_;
        pending->admission = shared_->dispatcher.admit(request);
        if (pending->admission.nonBlocking()) {
            // Nothing on its way can block: answered here, without a hand-off to a worker, and
            // even when every worker is busy.
            bool closeAfter = false;
            auto bytes = answer(*pending, closeAfter);
            return respondOnStrand(std::move(bytes), closeAfter);
        }
        auto job = [self = shared_from_this(), pending, queuedAt = Clock::now()] {
            if (auto* histogram = self->shared_->queueWait) {
                histogram->Observe(std::chrono::duration<double>(Clock::now() - queuedAt).count());
            }
            bool closeAfter = false;
            auto bytes = self->answer(*pending, closeAfter);
            WorkerPool::currentJobAnswered();  // free for the client's next request from here
            self->respondFromWorker(std::move(bytes), closeAfter);
        };
        if (!shared_->workers->trySubmit(std::move(job))) {
            {
                std::lock_guard<std::mutex> lock(runningMutex_);
                running_.clear();
            }
            return reject(503, RejectReason::Overloaded, "every worker is busy and the request queue is full; retry shortly",
                          {{"Retry-After", "1"}});
        }
    }

    // Runs the pipeline for `pending` on the calling thread and returns the serialized answer.
    std::string answer(PendingRequest& pending, bool& closeAfter) {
        Response response;
        try {
            shared_->dispatcher.run(pending.admission, response);
        } catch (const std::exception& error) {
            shared_->logger->error("request pipeline failed outside the recovery middleware: {}", error.what());
            response.clear();
            writeProblem(response, Problem::of(500, "Internal Server Error", "the request failed"));
        }
        closeAfter = !pending.keepAlive || shared_->draining.load();
        return serialize(response, pending.head, closeAfter, pending.http10 && pending.keepAlive, tls_.has_value());
    }

    // For a non-blocking request, run on the strand that read it (no worker owns the connection).
    void respondOnStrand(std::string bytes, bool closeAfter) {
        clearRunning();
        sendAnswer(std::move(bytes), closeAfter);
    }

    // What the socket takes now on plain TCP, the rest asynchronously; then the next request.
    void sendAnswer(std::string bytes, bool closeAfter) {
        if (!tls_ && !writeAtOnce(bytes)) return close();
        if (!bytes.empty()) return writeResponse(std::make_shared<std::string>(std::move(bytes)), closeAfter);
        afterResponse(closeAfter);
    }

    // A non-blocking write of what the socket takes now, removed from `bytes`; false on an error.
    bool writeAtOnce(std::string& bytes) {
        boost::system::error_code error;
        const std::size_t written = socket_.write_some(asio::buffer(bytes), error);
        if (error && error != asio::error::would_block && error != asio::error::try_again) return false;
        bytes.erase(0, written);
        return true;
    }

    // On the worker that ran the pipeline. While a request is dispatched no read or write is
    // pending, so the connection is this worker's alone: the strand's shutdown and deadline
    // handlers wait on workerOwnership_. A plain-TCP answer that fits in the socket buffer (nearly
    // all) is written here and the next read is started here, which saves a wake-up of an I/O
    // thread per request. Starting an operation must be the last thing done with the connection:
    // its handler may run on an I/O thread at once. TLS answers go back to the strand.
    void respondFromWorker(std::string bytes, bool closeAfter) {
        if (tls_) {
            asio::post(strand_, [self = shared_from_this(), rest = std::make_shared<std::string>(std::move(bytes)),
                                 closeAfter] {
                self->clearRunning();
                if (self->phase_ != Phase::Closed) self->writeResponse(rest, closeAfter);
            });
            return;
        }
        std::lock_guard<std::mutex> owner(workerOwnership_);
        clearRunning();
        if (phase_ == Phase::Closed) return;  // shutdown's deadline closed it meanwhile
        sendAnswer(std::move(bytes), closeAfter);
    }

    void clearRunning() {
        std::lock_guard<std::mutex> lock(runningMutex_);
        running_.clear();
    }

    void writeResponse(const std::shared_ptr<std::string>& bytes, bool closeAfter) {
        phase_ = Phase::Writing;
        timedOut_ = false;
        armDeadline(Clock::now() + shared_->options.limits.writeTimeout);
        writeAll(*bytes, [self = shared_from_this(), bytes, closeAfter](const boost::system::error_code& error, std::size_t) {
            if (error) {
                if (self->timedOut_) return self->abandon(RejectReason::WriteTimeout, 0);
                return self->close();
            }
            self->afterResponse(closeAfter);
        });
    }

    void afterResponse(bool closeAfter) {
        if (closeAfter || shared_->draining.load()) return lingerThenClose();
        if (buffer_.size() == 0) return waitForRequest();
        // A pipelined request already buffered continues from a fresh strand handler, never from
        // the stack of the one just answered (a worker's, or a non-blocking request's, which
        // would otherwise nest one request deeper for every request a client pipelines).
        asio::post(strand_, [self = shared_from_this()] {
            if (self->phase_ != Phase::Closed) self->waitForRequest();
        });
    }

    // Answers a request that will not be dispatched, then closes the connection.
    void reject(int status, RejectReason reason, const std::string& detail,
                const std::vector<std::pair<std::string, std::string>>& extraHeaders = {}) {
        shared_->observer.rejected(shared_->options.name, reason, status, method_, remote_, Clock::now() - headStarted_);
        phase_ = Phase::Writing;
        timedOut_ = false;
        armDeadline(Clock::now() + shared_->options.limits.writeTimeout);
        auto bytes = std::make_shared<std::string>(problemBytes(status, detail, headRequest_, tls_.has_value(), extraHeaders));
        writeAll(*bytes, [self = shared_from_this(), bytes](const boost::system::error_code& error, std::size_t) {
            if (error) return self->close();
            self->lingerThenClose();
        });
    }

    // Closes without an answer (the client is gone, or cannot be answered), counted and logged.
    void abandon(RejectReason reason, int status) {
        shared_->observer.rejected(shared_->options.name, reason, status, method_, remote_, Clock::now() - headStarted_);
        close();
    }

    // After a final answer: stop sending, then read and discard what the client still sends for a
    // moment, so closing with unread bytes does not reset the answer away before it is read.
    void lingerThenClose() {
        phase_ = Phase::Lingering;
        boost::system::error_code ignored;
        lowest().shutdown(tcp::socket::shutdown_send, ignored);
        armDeadline(Clock::now() + std::chrono::seconds(1));
        discardUntilEof();
    }

    void discardUntilEof() {
        // Allocated only now: most connections never linger, and an idle one should cost little.
        if (!discard_) discard_ = std::make_unique<std::array<char, 4096>>();
        lowest().async_read_some(asio::buffer(*discard_), [self = shared_from_this()](const boost::system::error_code& error,
                                                                                     std::size_t) {
            if (error) return self->close();
            self->discardUntilEof();
        });
    }

    void close() {
        if (phase_ == Phase::Closed) return;
        phase_ = Phase::Closed;
        disarmDeadline();
        boost::system::error_code ignored;
        lowest().shutdown(tcp::socket::shutdown_both, ignored);
        lowest().close(ignored);
    }

    std::shared_ptr<Shared> shared_;
    tcp::socket socket_;
    const asio::any_io_executor strand_;  // the connection's strand: every member is used on it
    std::optional<asio::ssl::stream<tcp::socket>> tls_;
    std::shared_ptr<asio::ssl::context> tlsContext_;  // the context this connection was accepted with
    std::atomic<Clock::rep> deadlineAt_{0};  // 0: none armed
    bool timedOut_ = false;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::unique_ptr<std::array<char, 4096>> discard_;
    Phase phase_ = Phase::Idle;
    Clock::time_point opened_;
    Clock::time_point headStarted_;
    std::size_t served_ = 0;
    bool headRequest_ = false;
    std::string method_;
    std::string remote_;
    std::string clientSubject_;
    std::mutex workerOwnership_;  // see respondFromWorker
    mutable std::mutex runningMutex_;
    std::string running_;
    Clock::time_point runningSince_;
};

void HttpServer::Shared::sweepDeadlines() {
    sweeper.expires_after(kDeadlineResolution);
    sweeper.async_wait([self = shared_from_this(), this](const boost::system::error_code& error) {
        if (error) return;
        const auto now = Clock::now();
        std::vector<std::shared_ptr<Connection>> expired;
        {
            std::lock_guard<std::mutex> lock(connectionsMutex);
            for (const auto& [raw, weak] : connections) {
                // `raw` is alive while it is in the map: its destructor erases it under this lock.
                if (raw->deadlinePassed(now)) {
                    if (auto connection = weak.lock()) expired.push_back(std::move(connection));
                }
            }
        }
        for (auto& connection : expired) connection->expireDeadline();
        sweepDeadlines();
    });
}

void HttpServer::Shared::accept() {
    acceptor.async_accept(asio::make_strand(io.context()), [self = shared_from_this(), this](
                                                               const boost::system::error_code& error, tcp::socket socket) {
        if (error == asio::error::operation_aborted || !acceptor.is_open()) return;
        if (error) {
            // Out of descriptors or memory: back off a little instead of spinning on the error.
            logger->warn("{} listener: accept failed: {}", options.name, error.message());
            acceptRetry.expires_after(std::chrono::milliseconds(50));
            acceptRetry.async_wait([self, this](const boost::system::error_code& cancelled) {
                if (!cancelled) accept();
            });
            return;
        }
        if (connectionCount.load() >= options.limits.maxConnections || draining.load()) {
            observer.rejected(options.name, RejectReason::ConnectionLimit, 0, "", "-", Clock::duration::zero());
            boost::system::error_code ignored;
            socket.close(ignored);
        } else {
            connectionCount.fetch_add(1);
            observer.connectionOpened(options.name);
            auto connection = std::make_shared<Connection>(self, std::move(socket));
            {
                std::lock_guard<std::mutex> lock(connectionsMutex);
                connections.emplace(connection.get(), connection);
            }
            connection->start();
        }
        accept();
    });
}

// ---------------------------------------------------------------------------------------------

HttpServer::HttpServer(ListenerOptions options, Dispatcher& dispatcher, IoThreads& io, const FrontDoorObserver& observer,
                       std::shared_ptr<spdlog::logger> logger)
    : shared_(std::make_shared<Shared>(std::move(options), dispatcher, io, observer, std::move(logger))) {}

HttpServer::~HttpServer() {
    stopAccepting();
    closeAll();
    stopWorkers();
}

const std::string& HttpServer::name() const { return shared_->options.name; }
int HttpServer::port() const { return shared_->boundPort; }
bool HttpServer::tls() const { return shared_->options.tls.enabled(); }
const std::string& HttpServer::tlsKeyPrefix() const { return shared_->options.tlsKeyPrefix; }

void HttpServer::start(int inheritedSocket) {
    auto& options = shared_->options;
    const std::string address = options.host + ":" + std::to_string(options.port);
    if (options.tls.enabled()) {
        shared_->tlsContext = makeServerTlsContext(options.tls, options.tlsKeyPrefix);
    }
    shared_->workers = std::make_unique<WorkerPool>("keel-" + options.name, options.workers, options.maxQueued);
    auto& acceptor = shared_->acceptor;
    boost::system::error_code error;
    if (inheritedSocket >= 0) {
        sockaddr_storage local{};
        socklen_t length = sizeof local;
        ::getsockname(inheritedSocket, reinterpret_cast<sockaddr*>(&local), &length);
        acceptor.assign(local.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), inheritedSocket, error);
        if (error) throw std::runtime_error("cannot adopt the socket-activated " + options.name + " socket: " + error.message());
    } else {
        const auto ip = asio::ip::make_address(options.host == "localhost" ? "127.0.0.1" : options.host, error);
        if (error) throw std::runtime_error("cannot listen on " + address + " (" + options.name + " listener): not an IP address");
        const tcp::endpoint endpoint(ip, static_cast<unsigned short>(options.port));
        acceptor.open(endpoint.protocol(), error);
        if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
        if (!error) acceptor.bind(endpoint, error);
        if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
        if (error) {
            throw std::runtime_error("cannot listen on " + address + " (" + options.name + " listener): " + error.message());
        }
    }
    shared_->boundPort = acceptor.local_endpoint(error).port();
    shared_->logger->info("{} listener on {}{}{} ({} workers, {} queued at most)", options.name,
                          endpointText(acceptor.local_endpoint(error)), options.tls.enabled() ? " with TLS" : "",
                          inheritedSocket >= 0 ? " (socket activation)" : "", options.workers, options.maxQueued);
    asio::post(acceptor.get_executor(), [shared = shared_] { shared->accept(); });
    asio::post(shared_->sweeper.get_executor(), [shared = shared_] { shared->sweepDeadlines(); });
}

void HttpServer::reloadTls(const TlsSettings& settings) {
    if (!shared_->options.tls.enabled() && !settings.enabled()) return;
    if (shared_->options.tls.enabled() != settings.enabled()) {
        throw std::runtime_error("turning TLS on or off for the " + name() + " listener takes a restart");
    }
    auto context = makeServerTlsContext(settings, tlsKeyPrefix());
    std::lock_guard<std::mutex> lock(shared_->tlsMutex);
    shared_->tlsContext = std::move(context);
}

void HttpServer::stopAccepting() {
    if (shared_->draining.exchange(true)) return;
    // Closing the listening socket makes the kernel refuse new connections; accepting and
    // dropping them would look like a reset to the client.
    auto closed = std::make_shared<std::promise<void>>();
    auto done = closed->get_future();
    asio::post(shared_->acceptor.get_executor(), [shared = shared_, closed] {
        boost::system::error_code ignored;
        shared->acceptRetry.cancel();
        shared->acceptor.close(ignored);
        // The sweeper keeps running: draining connections still have write deadlines.
        closed->set_value();
    });
    if (done.wait_for(std::chrono::seconds(2)) != std::future_status::ready) {
        shared_->logger->warn("{} listener: the I/O threads did not close the listening socket in 2 s", name());
    }
    shared_->forEachConnection([](const auto& connection) { connection->drain(); });
}

std::size_t HttpServer::openConnections() const { return shared_->connectionCount.load(); }

bool HttpServer::idle() const {
    // running(), not busy(): an answered job's last steps still run on its worker.
    return !shared_->workers || (shared_->workers->running() == 0 && shared_->workers->queued() == 0);
}

HttpServer::WorkerActivity HttpServer::workerActivity() const {
    if (!shared_->workers) return {};
    return {shared_->workers->running(), shared_->workers->size(), shared_->workers->completed()};
}

std::vector<std::string> HttpServer::runningRequests() const {
    std::vector<std::string> running;
    shared_->forEachConnection([&running](const auto& connection) {
        if (auto description = connection->running()) running.push_back(*description);
    });
    return running;
}

void HttpServer::closeAll() {
    asio::post(shared_->sweeper.get_executor(), [shared = shared_] { shared->sweeper.cancel(); });
    shared_->forEachConnection([](const auto& connection) { connection->forceClose(); });
}

void HttpServer::stopWorkers() {
    if (!shared_->workers) return;
    shared_->workers->stop();
    shared_->workers->join();
}

std::string raiseOpenFileLimit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return "unknown (getrlimit failed)";
    const auto before = limit.rlim_cur;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) limit.rlim_cur = before;
    }
    return "soft " + std::to_string(before) + " -> " + std::to_string(limit.rlim_cur) + " (hard " +
           std::to_string(limit.rlim_max) + ")";
}

}  // namespace keel::host
