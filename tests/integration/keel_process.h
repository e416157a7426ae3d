// Runs the real keel binary for integration tests: free loopback ports, output captured to a
// file, readiness awaited with a deadline, SIGTERM and a bounded wait for the exit code.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace keel::testing {

struct HttpResult {
    int status = 0;  // 0: no connection (refused or reset)
    std::string body;
    std::map<std::string, std::string> headers;
    std::string error;
    // The header's value, "" when absent.
    std::string header(const std::string& name) const {
        const auto found = headers.find(name);
        return found == headers.end() ? "" : found->second;
    }
};

// One request on a fresh connection to 127.0.0.1:port, bounded by `timeout`.
HttpResult httpRequest(int port, const std::string& method, const std::string& target, const std::string& body = "",
                       const std::string& contentType = "",
                       std::chrono::milliseconds timeout = std::chrono::seconds(10),
                       const std::map<std::string, std::string>& headers = {});

// A port that was free a moment ago, outside the range the kernel takes source ports from.
int freePort();

// The value of the sample `series` (name and labels as /metrics prints them, e.g.
// `keel_http_rejected_total{listener="public",reason="bad_framing"}`) in a /metrics text; -1
// when it is absent.
double metricSample(const std::string& metrics, const std::string& series);

// Any program, output captured to a file, killed (SIGKILL) if still running when destroyed.
class ChildProcess {
public:
    // `inheritedFds` become descriptors 3, 4, ... of the child (as systemd passes sockets).
    ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& environment = {},
                 const std::vector<int>& inheritedFds = {});
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    void signal(int signal);
    bool running();
    // Waits for the exit; returns the exit code, or -1 on timeout / death by signal.
    int waitForExit(std::chrono::milliseconds timeout);
    std::string output() const;
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    bool exited_ = false;
    int exitCode_ = -1;
    std::string outputFile_;
};

class KeelProcess {
public:
    // Starts keel with `arguments`; with `chooseListeners`, free loopback ports for the public and
    // admin listeners are added as --define (which overrides every other source).
    explicit KeelProcess(std::vector<std::string> arguments, std::map<std::string, std::string> environment = {},
                         bool chooseListeners = true);

    // Polls /live on the public listener until it answers 200; false after `timeout`.
    bool waitUntilLive(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    void signal(int signal);
    // Waits for the exit; returns the exit code, or -1 on timeout / death by signal.
    int waitForExit(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    std::string output() const { return child_->output(); }
    pid_t pid() const { return child_->pid(); }
    int publicPort() const { return publicPort_; }
    int adminPort() const { return adminPort_; }

private:
    int publicPort_ = 0;
    int adminPort_ = 0;
    std::unique_ptr<ChildProcess> child_;
};

// Arguments that load `plugins` (names from the build's plugin directory, plus the test probe by
// path) followed by `extra`.
std::vector<std::string> withPlugins(const std::string& plugins, std::vector<std::string> extra = {});

// Polls `predicate` until it holds; false after `timeout`.
template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (predicate()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

// Runs a shell command; returns what it printed (stdout and stderr), trailing newlines removed.
std::string shellOutput(const std::string& command);

// --define arguments that give etc/production.ini stand-ins for the files only an installation
// has (database.password_file, auth.jwt.public_key_file, admin.token_file): made once per test process, removed at exit.
std::vector<std::string> productionStandInDefines();

// Runs keel to completion (for --check-config and friends); returns exit code and output.
std::pair<int, std::string> runKeel(const std::vector<std::string>& arguments);

}  // namespace keel::testing
