// The host's own configuration keys (declared once here, with type, default and description)
// and the classic environment aliases, plus the typed values the application reads.
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "config_store.h"
#include "http_server.h"

namespace keel::host {

// Declares every host key and alias in `store`.
void declareHostSettings(ConfigStore& store);

struct HostSettings {
    ListenerOptions publicListener;
    ListenerOptions adminListener;
    bool adminEnabled = true;
    std::size_t ioThreads = 0;  // resolved: never 0
    std::string adminTokenFile;
    std::vector<std::string> adminAllowedHosts;
    std::vector<std::string> adminAllowedOrigins;
    std::chrono::milliseconds shutdownTimeout{};
    std::chrono::milliseconds shutdownDelay{};
    std::string instanceId;  // resolved: never empty
    std::string httpClientCaFile;
    std::string logLevel;
    std::string logFormat;
    std::string pluginsDirectory;
    std::string pluginsRuntimeDirectory;
    std::vector<std::string> pluginsAllowedDirectories;  // besides pluginsDirectory, for loads by path
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

// The TLS keys under `prefix` ("server.tls" or "admin.tls").
TlsSettings readTlsSettings(const ConfigStore& store, const std::string& prefix);

// Validates and reads the host keys; throws ConfigError.
HostSettings readHostSettings(const ConfigStore& store);

}  // namespace keel::host
