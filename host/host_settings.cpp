// Host key declarations. docs/configuration.md is generated from these (keel --print-config).
#include "host_settings.h"

#include <Poco/Environment.h>
#include <Poco/String.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <thread>

#include "admin_access.h"

namespace keel::host {

namespace {

constexpr double kHour = 3600.0 * 1000.0;

}  // namespace

namespace {

// server.instance_id as set, checked (it lands unquoted in text log lines and in labels), or
// "<host name>:<port>" ("<host name>-<pid>" when the port is chosen by the system).
std::string resolveInstanceId(const ConfigStore& store, int port) {
    std::string configured = store.settings("server").getString("instance_id");
    if (configured.empty()) {
        std::string host = Poco::Environment::nodeName();
        if (host.empty()) host = "keel";
        return port != 0 ? host + ":" + std::to_string(port) : host + "-" + std::to_string(::getpid());
    }
    const bool valid = configured.size() <= 128 && std::all_of(configured.begin(), configured.end(), [](char c) {
                           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' ||
                                  c == '-';
                       });
    if (!valid) {
        const auto entry = store.lookup("server.instance_id");
        throw ConfigError("server.instance_id = \"" + configured + "\" (from " +
                          (entry ? entry->source.description : std::string("default")) +
                          "): expected letters, digits, '.', '_', ':' or '-', at most 128 characters");
    }
    return configured;
}

// max_threads 0: four workers per core. Handlers mostly wait on PostgreSQL on the same machine;
// measured on 2 cores at 32 connections, 8 workers served reads 3.5 times faster than 64 (p99
// 3.6 ms against 136 ms), because every extra runnable thread and database backend adds
// wake-ups and context switches, not work.
std::size_t workerThreads(std::int64_t configured) {
    if (configured > 0) return static_cast<std::size_t>(configured);
    return 4 * static_cast<std::size_t>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

// A declarative table of every host key, longer than a function should be on purpose: one place
// to read them all.
void declareHostSettings(ConfigStore& store) {  // NOLINT(readability-function-size)
    using K = ConfigKey;
    const std::vector<ConfigKey> keys = {
        K::string("server.host", "0.0.0.0", "Address the public listener binds to."),
        K::integer("server.port", 8080, "Port of the public listener (0: any free port).").range(0, 65535),
        K::integer("server.io_threads", 0,
                   "Threads that own every socket and frame requests (0: one per CPU core). They run only "
                   "routes marked non-blocking; every other handler runs on a worker.")
            .range(0, 256),
        K::integer("server.max_threads", 0,
                   "Worker threads that run request handlers (all but non-blocking routes) on the public "
                   "listener; idle connections hold none (0: four per CPU core; raise it for handlers that wait "
                   "long on downstream calls).")
            .range(0, 10000),
        K::integer("server.max_queued", 1024,
                   "Complete requests waiting for a worker; beyond this a request gets 503 with Retry-After.")
            .range(1, 1000000),
        K::integer("server.max_connections", 10000,
                   "Open connections per listener; beyond this new connections are closed at once (established ones "
                   "keep being served).")
            .range(1, 10000000),
        K::duration("server.header_timeout", "10s",
                    "From the first byte of a request to the end of its head (request line and headers); a client "
                    "that misses it gets 408 and is disconnected.")
            .range(1, kHour),
        K::duration("server.body_timeout", "30s",
                    "From the end of the head to the end of the body; a client that misses it gets 408.")
            .range(1, kHour),
        K::duration("server.read_timeout", "30s",
                    "The whole request, head and body together (classic SERVER_READ_TIMEOUT); 408 when missed.")
            .range(1, kHour),
        K::duration("server.write_timeout", "30s", "Longest time a client may take to accept a whole response.")
            .range(1, kHour),
        K::duration("server.keep_alive_timeout", "15s", "How long a connection may stay idle between requests.")
            .range(1, kHour),
        K::integer("server.max_keep_alive_requests", 1000,
                   "Requests served on one connection before it is closed (0: unlimited).")
            .range(0, 1e9),
        K::integer("server.max_uri_length", 8192, "Longest request target in bytes; longer gets 414.").range(16, 1048576),
        K::integer("server.max_header_size", 16384,
                   "Largest total size of the header fields in bytes; larger gets 431.")
            .range(256, 1048576),
        K::integer("server.max_header_count", 100, "Most header fields in one request; more gets 431.").range(1, 10000),
        K::integer("server.max_body_size", 1048576,
                   "Largest request body in bytes; larger gets 413, decided from Content-Length before the body is "
                   "read.")
            .range(0, 1e10),
        K::duration("server.shutdown_timeout", "30s", "On SIGTERM, how long in-flight requests may take to finish.")
            .range(0, kHour),
        K::duration("server.shutdown_delay", "0s",
                    "On SIGTERM, how long /ready answers 503 while listeners still accept, so load balancers stop "
                    "sending traffic before connections are refused.")
            .range(0, kHour),
        K::string("server.instance_id", "",
                  "Name of this process in a fleet: in every log line, as the service.instance.id of exported "
                  "spans and on keel_build_info. Empty: the host name and server.port (\"web-1:8080\"). Letters, "
                  "digits and . _ : - only, at most 128."),
        K::boolean("admin.enabled", true, "Whether the admin listener runs."),
        K::string("admin.host", "127.0.0.1", "Address of the admin listener (loopback by default)."),
        K::integer("admin.port", 9090, "Port of the admin listener (0: any free port).").range(0, 65535),
        K::integer("admin.max_threads", 16, "Worker threads that run request handlers on the admin listener.")
            .range(1, 1000),
        K::string("admin.token_file", "",
                  "File holding the bearer token the admin API requires (/metrics and the health routes stay "
                  "open); others must not be able to read it; re-read on SIGHUP. Empty: allowed only with admin.host "
                  "on loopback."),
        K::string("admin.allowed_hosts", "",
                  "Host names (comma-separated) the admin API answers to besides IP addresses and localhost; other "
                  "Host headers get 421 (DNS rebinding)."),
        K::string("admin.allowed_origins", "",
                  "Origins (scheme://host:port, comma-separated) besides the admin listener's own whose browser "
                  "requests the admin API accepts; others get 403."),
        K::string("http_client.ca_file", "",
                  "PEM CA certificates that https:// downstream servers (inventory, webhooks) must chain to; empty: "
                  "the system CA store. Re-read on SIGHUP for clients created afterwards."),
        K::string("log.level", "info", "Lowest level written.")
            .oneOf({"trace", "debug", "info", "warn", "error", "critical", "off"}),
        K::string("log.format", "text", "Line format: text or json (one object per line).").oneOf({"text", "json"}),
        K::string("plugins.dir", "",
                  "Directory of plugin files <name>.so (empty: ../plugins, then ../lib/keel/plugins, next to the "
                  "executable)."),
        K::string("plugins.list", "health", "Plugins to load at start, comma-separated."),
        K::string("plugins.allowed_dirs", "",
                  "Directories (comma-separated) besides plugins.dir from which the admin API may load a plugin "
                  "file by path; the file must be owned by root or keel's user and not writable by others."),
        K::string("plugins.required", "",
                  "Plugins whose failure stops start-up, comma-separated (others are skipped with an error)."),
        K::string("plugins.runtime_dir", "",
                  "Writable directory for the private copies plugins are loaded from (empty: $RUNTIME_DIRECTORY or "
                  "the system temporary directory)."),
        K::duration("plugins.drain_timeout", "10s", "On unload, how long requests still running on a plugin may take.")
            .range(0, kHour),
        K::duration("plugins.stop_timeout", "10s", "On unload, how long a plugin's tasks and stop() may take.")
            .range(0, kHour),
        K::string("tracing.endpoint", "",
                  "OpenTelemetry collector for OTLP/HTTP JSON traces, e.g. http://127.0.0.1:4318 (/v1/traces is "
                  "added); empty: no spans are recorded, an incoming traceparent is still continued in logs."),
        K::number("tracing.sample_rate", "0.1",
                  "Share of new traces sampled (0 to 1); a request with a traceparent follows its sampled flag.")
            .range(0, 1),
        K::string("tracing.service_name", "keel", "service.name resource attribute of exported spans."),
        K::integer("tracing.queue_size", 2048, "Finished spans waiting for export; beyond this they are dropped.")
            .range(1, 1000000),
        K::integer("tracing.batch_size", 512, "Most spans sent in one export request.").range(1, 100000),
        K::duration("tracing.export_interval", "1s", "Longest wait before a partial batch is exported.")
            .range(10, kHour),
        K::duration("tracing.export_timeout", "2s", "Timeout of one export request (connect and response).")
            .range(1, 60000),
        K::boolean("features.new_feature", false,
                   "Feature flag (classic ENABLE_NEW_FEATURE), live on SIGHUP: the orders plugin adds a summary "
                   "(orders, items, total) to list responses."),
    };
    for (const auto& declared : keys) store.declare("keel", declared.name, declared);
    for (const std::string listener : {"server", "admin"}) {
        const std::string prefix = listener + ".tls.";
        const std::string which = listener == "server" ? "public" : "admin";
        store.declare("keel", prefix + "cert_file",
                      K::string(prefix + "cert_file", "",
                                "PEM certificate chain of the " + which +
                                    " listener; set: the listener speaks only TLS (1.2 or later). Re-read on SIGHUP."));
        store.declare("keel", prefix + "key_file",
                      K::string(prefix + "key_file", "", "PEM private key of " + prefix + "cert_file. Re-read on SIGHUP."));
        store.declare("keel", prefix + "client_ca_file",
                      K::string(prefix + "client_ca_file", "",
                                "PEM CA certificates that client certificates must chain to (mutual TLS)."));
        store.declare("keel", prefix + "client_auth",
                      K::string(prefix + "client_auth", "none",
                                "Client certificates: none, optional (verified when sent) or require (the handshake "
                                "fails without one).")
                          .oneOf({"none", "optional", "require"}));
        store.declare("keel", prefix + "ciphers",
                      K::string(prefix + "ciphers", "",
                                "OpenSSL cipher list for TLS 1.2 (empty: forward-secret AEAD ciphers only; TLS 1.3 "
                                "suites are OpenSSL's)."));
    }

    // Classic names operators already use, with the meaning they had: one variable may feed several
    // keys (every resilience policy's bulkhead and breaker), and wins over files for each of them.
    // KEEL_<SECTION>_<KEY> always works as well. docs/configuration.md has the table.
    const std::vector<std::pair<std::string, std::string>> aliases = {
        {"SERVER_PORT", "server.port"},
        {"SERVER_READ_TIMEOUT", "server.read_timeout"},
        {"SERVER_WRITE_TIMEOUT", "server.write_timeout"},
        {"SHUTDOWN_TIMEOUT", "server.shutdown_timeout"},
        {"DATABASE_URL", "database.url"},
        {"DATABASE_MAX_CONNS", "database.max_conns"},
        {"DATABASE_MAX_IDLE", "database.max_idle"},
        {"DATABASE_CONN_LIFE", "database.conn_lifetime"},
        {"CB_THRESHOLD", "resilience.policy.*.failure_threshold"},
        {"CB_TIMEOUT", "resilience.policy.*.open_duration"},
        {"RATE_LIMIT_RPS", "resilience.rate_limit.rps"},
        {"BULKHEAD_SIZE", "resilience.policy.*.max_concurrent"},
        {"TRACING_ENDPOINT", "tracing.endpoint"},
        {"TRACING_SAMPLE_RATE", "tracing.sample_rate"},
        {"METRICS_PORT", "admin.port"},
        {"ENABLE_NEW_FEATURE", "features.new_feature"},
        {"INVENTORY_SERVICE_URL", "orders.inventory.url"},
    };
    for (const auto& [variable, target] : aliases) store.addAlias(variable, target);
}

TlsSettings readTlsSettings(const ConfigStore& store, const std::string& prefix) {
    const auto section = prefix.substr(0, prefix.find('.'));
    const auto key = prefix.substr(prefix.find('.') + 1) + ".";
    const Settings settings = store.settings(section);
    TlsSettings tls;
    tls.certFile = settings.getString(key + "cert_file");
    tls.keyFile = settings.getString(key + "key_file");
    tls.clientCaFile = settings.getString(key + "client_ca_file");
    tls.clientAuth = parseClientAuth(settings.getString(key + "client_auth"));
    tls.ciphers = settings.getString(key + "ciphers");
    if (tls.certFile.empty() && !tls.keyFile.empty()) {
        throw ConfigError(prefix + ".key_file is set but " + prefix + ".cert_file is empty (expected both or neither)");
    }
    if (tls.clientAuth != ClientAuth::None && tls.certFile.empty()) {
        throw ConfigError(prefix + ".client_auth needs TLS: set " + prefix + ".cert_file and " + prefix + ".key_file");
    }
    return tls;
}

HostSettings readHostSettings(const ConfigStore& store) {
    const Settings server = store.settings("server");
    const Settings admin = store.settings("admin");
    const Settings log = store.settings("log");
    const Settings plugins = store.settings("plugins");
    HostSettings settings;
    ServerLimits limits;
    limits.headerTimeout = server.getDuration("header_timeout");
    limits.bodyTimeout = server.getDuration("body_timeout");
    limits.readTimeout = server.getDuration("read_timeout");
    limits.keepAliveTimeout = server.getDuration("keep_alive_timeout");
    limits.writeTimeout = server.getDuration("write_timeout");
    limits.head.maxUriLength = static_cast<std::size_t>(server.getInt("max_uri_length"));
    limits.head.maxHeaderBytes = static_cast<std::size_t>(server.getInt("max_header_size"));
    limits.head.maxHeaderCount = static_cast<std::size_t>(server.getInt("max_header_count"));
    limits.maxBodySize = static_cast<std::size_t>(server.getInt("max_body_size"));
    limits.maxConnections = static_cast<std::size_t>(server.getInt("max_connections"));
    limits.maxKeepAliveRequests = static_cast<std::size_t>(server.getInt("max_keep_alive_requests"));
    // Both listeners share the limits and the queue bound; address, threads and TLS are their own.
    const auto listener = [&](const std::string& name, const Settings& section, const std::string& sectionName) {
        return ListenerOptions{name,
                               section.getString("host"),
                               static_cast<int>(section.getInt("port")),
                               workerThreads(section.getInt("max_threads")),
                               static_cast<std::size_t>(server.getInt("max_queued")),
                               limits,
                               readTlsSettings(store, sectionName + ".tls"),
                               sectionName + ".tls"};
    };
    settings.publicListener = listener("public", server, "server");
    settings.adminListener = listener("admin", admin, "admin");
    settings.adminEnabled = admin.getBool("enabled");
    settings.adminTokenFile = admin.getString("token_file");
    settings.adminAllowedHosts = admin.getList("allowed_hosts");
    settings.adminAllowedOrigins = admin.getList("allowed_origins");
    // An admin API that can load code must not face a network without a token.
    if (settings.adminEnabled && settings.adminTokenFile.empty() && !isLoopbackAddress(settings.adminListener.host)) {
        throw ConfigError("admin.host = \"" + settings.adminListener.host +
                          "\" is not a loopback address and admin.token_file is empty: set a token file, or keep "
                          "the admin listener on 127.0.0.1 or ::1");
    }
    const auto ioThreads = static_cast<std::size_t>(server.getInt("io_threads"));
    settings.ioThreads = ioThreads != 0 ? ioThreads : std::max(1u, std::thread::hardware_concurrency());
    settings.shutdownTimeout = server.getDuration("shutdown_timeout");
    settings.shutdownDelay = server.getDuration("shutdown_delay");
    settings.instanceId = resolveInstanceId(store, settings.publicListener.port);
    settings.httpClientCaFile = store.settings("http_client").getString("ca_file");
    settings.logLevel = log.getString("level");
    settings.logFormat = log.getString("format");
    settings.pluginsDirectory = plugins.getString("dir");
    settings.pluginsRuntimeDirectory = plugins.getString("runtime_dir");
    settings.pluginsAllowedDirectories = plugins.getList("allowed_dirs");
    settings.plugins = plugins.getList("list");
    for (const auto& name : plugins.getList("required")) settings.requiredPlugins.insert(name);
    settings.drainTimeout = plugins.getDuration("drain_timeout");
    store.settings("features");  // a bad flag is a configuration error at start, not at first use
    const Settings tracing = store.settings("tracing");
    settings.tracingEndpoint = tracing.getString("endpoint");
    settings.tracingSampleRate = tracing.getDouble("sample_rate");
    settings.tracingServiceName = tracing.getString("service_name");
    settings.tracingQueueSize = static_cast<std::size_t>(tracing.getInt("queue_size"));
    settings.tracingBatchSize = static_cast<std::size_t>(tracing.getInt("batch_size"));
    settings.tracingExportInterval = tracing.getDuration("export_interval");
    settings.tracingExportTimeout = tracing.getDuration("export_timeout");
    settings.stopTimeout = plugins.getDuration("stop_timeout");
    return settings;
}

}  // namespace keel::host
