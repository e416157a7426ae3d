// The host's own configuration keys (declared once here, with type, default and description)
// and the classic environment aliases, plus the typed values the application reads.
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "config_store.h"

namespace keel::host {

// Declares every host key and alias in `store`.
void declareHostSettings(ConfigStore& store);

struct ListenerSettings {
    std::string name;
    bool enabled = true;
    std::string host;
    int port = 0;
    int maxThreads = 0;
    int maxQueued = 0;
};

struct HostSettings {
    ListenerSettings publicListener;
    ListenerSettings adminListener;
    std::string adminTokenFile;
    std::chrono::milliseconds readTimeout{};
    std::chrono::milliseconds writeTimeout{};
    std::chrono::milliseconds keepAliveTimeout{};
    int maxKeepAliveRequests = 0;
    std::size_t maxBodySize = 0;
    std::chrono::milliseconds shutdownTimeout{};
    std::chrono::milliseconds shutdownDelay{};
    std::string logLevel;
    std::string logFormat;
    std::string pluginsDirectory;
    std::string pluginsRuntimeDirectory;
    std::vector<std::string> plugins;
    std::set<std::string> requiredPlugins;
    std::chrono::milliseconds drainTimeout{};
    std::chrono::milliseconds stopTimeout{};
    std::string tracingEndpoint;
    double tracingSampleRate = 0.1;
    std::string tracingServiceName;
    std::size_t tracingQueueSize = 0;
    std::size_t tracingBatchSize = 0;
    std::chrono::milliseconds tracingExportInterval{};
    std::chrono::milliseconds tracingExportTimeout{};
};

// The admin token from admin.token_file ("" when none is configured). Throws ConfigError naming
// the key when the file cannot be read or is empty.
std::string readAdminToken(const std::string& tokenFile);

// Validates and reads the host keys; throws ConfigError.
HostSettings readHostSettings(const ConfigStore& store);

// "a, b ,c" -> {"a","b","c"}; empty items dropped.
std::vector<std::string> splitList(const std::string& text);

}  // namespace keel::host
