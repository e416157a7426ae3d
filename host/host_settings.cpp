// Host key declarations. docs/configuration.md is generated from these (keel --print-config).
#include "host_settings.h"

#include <Poco/String.h>

#include <fstream>
#include <Poco/StringTokenizer.h>

namespace keel::host {

namespace {

constexpr double kHour = 3600.0 * 1000.0;

}  // namespace

std::vector<std::string> splitList(const std::string& text) {
    std::vector<std::string> items;
    Poco::StringTokenizer tokens(text, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& token : tokens) items.push_back(token);
    return items;
}

void declareHostSettings(ConfigStore& store) {
    using K = ConfigKey;
    const std::vector<ConfigKey> keys = {
        K::string("server.host", "0.0.0.0", "Address the public listener binds to."),
        K::integer("server.port", 8080, "Port of the public listener (0: any free port).").range(0, 65535),
        K::duration("server.read_timeout", "30s",
                    "Longest wait for request bytes from a client before the connection is closed.")
            .range(1, kHour),
        K::duration("server.write_timeout", "30s", "Longest wait for a client to accept response bytes.")
            .range(1, kHour),
        K::duration("server.keep_alive_timeout", "15s",
                    "How long an idle keep-alive connection (and its server thread) is kept.")
            .range(1, kHour),
        K::integer("server.max_keep_alive_requests", 1000,
                   "Requests served on one connection before it is closed (0: unlimited).")
            .range(0, 1e9),
        K::integer("server.max_threads", 256, "Server threads of the public listener; each keep-alive client holds one.")
            .range(2, 10000),
        K::integer("server.max_queued", 256,
                   "Accepted connections waiting for a thread; beyond this new connections are closed.")
            .range(1, 100000),
        K::integer("server.max_body_size", 1048576, "Largest request body in bytes; larger bodies get 413.")
            .range(0, 1e10),
        K::duration("server.shutdown_timeout", "30s", "On SIGTERM, how long in-flight requests may take to finish.")
            .range(0, kHour),
        K::duration("server.shutdown_delay", "0s",
                    "On SIGTERM, how long /ready answers 503 while listeners still accept, so load balancers stop "
                    "sending traffic before connections are refused.")
            .range(0, kHour),
        K::boolean("admin.enabled", true, "Whether the admin listener runs."),
        K::string("admin.host", "127.0.0.1", "Address of the admin listener (loopback by default)."),
        K::integer("admin.port", 9090, "Port of the admin listener (0: any free port).").range(0, 65535),
        K::integer("admin.max_threads", 16, "Server threads of the admin listener.").range(2, 1000),
        K::string("admin.token_file", "",
                  "File holding the bearer token the admin API requires (/metrics and the health routes stay "
                  "open). Empty: the admin API is unprotected; keep it on loopback."),
        K::string("log.level", "info", "Lowest level written.")
            .oneOf({"trace", "debug", "info", "warn", "error", "critical", "off"}),
        K::string("log.format", "text", "Line format: text or json (one object per line).").oneOf({"text", "json"}),
        K::string("plugins.dir", "",
                  "Directory of plugin files <name>.so (empty: ../plugins, then ../lib/keel/plugins, next to the "
                  "executable)."),
        K::string("plugins.list", "health", "Plugins to load at start, comma-separated."),
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
                   "Feature flag for new host behaviour (classic ENABLE_NEW_FEATURE); nothing is gated on it yet."),
    };
    for (const auto& declared : keys) store.declare("keel", declared.name, declared);

    // Classic names operators already use; KEEL_<SECTION>_<KEY> always works as well.
    const std::vector<std::pair<std::string, std::string>> aliases = {
        {"SERVER_PORT", "server.port"},
        {"SERVER_READ_TIMEOUT", "server.read_timeout"},
        {"SERVER_WRITE_TIMEOUT", "server.write_timeout"},
        {"SHUTDOWN_TIMEOUT", "server.shutdown_timeout"},
        {"DATABASE_URL", "database.url"},
        {"DATABASE_MAX_CONNS", "database.max_conns"},
        {"DATABASE_MAX_IDLE", "database.max_idle"},
        {"DATABASE_CONN_LIFE", "database.conn_lifetime"},
        {"CB_THRESHOLD", "resilience.policy.default.failure_threshold"},
        {"CB_TIMEOUT", "resilience.policy.default.open_duration"},
        {"RATE_LIMIT_RPS", "resilience.rate_limit.rps"},
        {"BULKHEAD_SIZE", "resilience.policy.default.max_concurrent"},
        {"TRACING_ENDPOINT", "tracing.endpoint"},
        {"TRACING_SAMPLE_RATE", "tracing.sample_rate"},
        {"METRICS_PORT", "admin.port"},
        {"ENABLE_NEW_FEATURE", "features.new_feature"},
        {"INVENTORY_SERVICE_URL", "orders.inventory.url"},
    };
    for (const auto& [variable, target] : aliases) store.addAlias(variable, target);
}

std::string readAdminToken(const std::string& tokenFile) {
    if (tokenFile.empty()) return "";
    std::ifstream in(tokenFile);
    if (!in) throw ConfigError("admin.token_file = \"" + tokenFile + "\": the file cannot be read");
    std::string token;
    std::getline(in, token);
    token = Poco::trim(token);
    if (token.empty()) throw ConfigError("admin.token_file = \"" + tokenFile + "\": the file is empty (expected a token)");
    return token;
}

HostSettings readHostSettings(const ConfigStore& store) {
    const Settings server = store.settings("server");
    const Settings admin = store.settings("admin");
    const Settings log = store.settings("log");
    const Settings plugins = store.settings("plugins");
    HostSettings settings;
    settings.publicListener = ListenerSettings{"public",
                                               true,
                                               server.getString("host"),
                                               static_cast<int>(server.getInt("port")),
                                               static_cast<int>(server.getInt("max_threads")),
                                               static_cast<int>(server.getInt("max_queued"))};
    settings.adminTokenFile = admin.getString("token_file");
    settings.adminListener = ListenerSettings{"admin",
                                              admin.getBool("enabled"),
                                              admin.getString("host"),
                                              static_cast<int>(admin.getInt("port")),
                                              static_cast<int>(admin.getInt("max_threads")),
                                              static_cast<int>(server.getInt("max_queued"))};
    settings.readTimeout = server.getDuration("read_timeout");
    settings.writeTimeout = server.getDuration("write_timeout");
    settings.keepAliveTimeout = server.getDuration("keep_alive_timeout");
    settings.maxKeepAliveRequests = static_cast<int>(server.getInt("max_keep_alive_requests"));
    settings.maxBodySize = static_cast<std::size_t>(server.getInt("max_body_size"));
    settings.shutdownTimeout = server.getDuration("shutdown_timeout");
    settings.shutdownDelay = server.getDuration("shutdown_delay");
    settings.logLevel = log.getString("level");
    settings.logFormat = log.getString("format");
    settings.pluginsDirectory = plugins.getString("dir");
    settings.pluginsRuntimeDirectory = plugins.getString("runtime_dir");
    settings.plugins = splitList(plugins.getString("list"));
    for (const auto& name : splitList(plugins.getString("required"))) settings.requiredPlugins.insert(name);
    settings.drainTimeout = plugins.getDuration("drain_timeout");
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
