// Process and HTTP plumbing for integration tests.
#include "keel_process.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace keel::testing {

HttpResult httpRequest(int port, const std::string& method, const std::string& target, const std::string& body,
                       const std::string& contentType, std::chrono::milliseconds timeout,
                       const std::map<std::string, std::string>& headers) {
    HttpResult result;
    try {
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
        session.setTimeout(Poco::Timespan(std::chrono::microseconds(timeout).count()));
        Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
        if (!contentType.empty()) request.setContentType(contentType);
        for (const auto& [name, value] : headers) request.set(name, value);
        if (!body.empty() || method == "POST") request.setContentLength(static_cast<std::streamsize>(body.size()));
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        auto& in = session.receiveResponse(response);
        Poco::StreamCopier::copyToString(in, result.body);
        result.status = response.getStatus();
        for (const auto& [name, value] : response) result.headers[name] = value;
    } catch (const Poco::Exception& error) {
        result.error = error.displayText();
    }
    return result;
}

namespace {

// The lowest port the kernel takes source ports of outgoing connections from.
int lowestEphemeralPort() {
    std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
    int low = 0;
    return range >> low && low > 0 ? low : 32768;
}

bool canListenOn(int port) {
    try {
        Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
        return true;
    } catch (const Poco::Exception&) {
        return false;
    }
}

}  // namespace

int freePort() {
    // Chosen below the ephemeral range: a port from port 0 comes from that range, so between
    // this probe and Keel's bind it could become the source port of any outgoing connection
    // (tests running beside this one open thousands), and Keel would fail with "Address
    // already in use". Each process walks from its own starting point, so two test processes
    // rarely probe the same ports.
    constexpr int kLowest = 10000;
    const int highest = lowestEphemeralPort() - 1;
    if (highest - kLowest >= 1000) {
        static std::atomic<unsigned> next{static_cast<unsigned>(::getpid()) * 7919u};
        const auto span = static_cast<unsigned>(highest - kLowest + 1);
        for (int attempt = 0; attempt < 200; ++attempt) {
            const int port = kLowest + static_cast<int>(next.fetch_add(1) % span);
            if (canListenOn(port)) return port;
        }
    }
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    return socket.address().port();
}

double metricSample(const std::string& metrics, const std::string& series) {
    // Anchored at a line start, so that `x_total{...}` does not match inside `other_x_total{...}`.
    const auto at = metrics.find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::stod(metrics.substr(at + series.size() + 2));
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& environment,
                           const std::vector<int>& inheritedFds) {
    static std::atomic<int> sequence{0};
    outputFile_ = "/tmp/keel-it-" + std::to_string(::getpid()) + "-" + std::to_string(++sequence) + ".log";
    std::vector<std::string> arguments = argv;
    std::vector<char*> rawArgv;
    for (auto& argument : arguments) rawArgv.push_back(argument.data());
    rawArgv.push_back(nullptr);

    std::vector<std::string> env;
    for (char** entry = environ; *entry != nullptr; ++entry) env.emplace_back(*entry);
    for (const auto& [name, value] : environment) env.push_back(name + "=" + value);
    std::vector<char*> rawEnv;
    for (auto& entry : env) rawEnv.push_back(entry.data());
    rawEnv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, outputFile_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    for (std::size_t i = 0; i < inheritedFds.size(); ++i) {
        posix_spawn_file_actions_adddup2(&actions, inheritedFds[i], 3 + static_cast<int>(i));
    }
    // The child must not inherit a blocked signal mask from the test runner.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
    const int error = posix_spawn(&pid_, rawArgv[0], &actions, &attributes, rawArgv.data(), rawEnv.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (error != 0) throw std::runtime_error("cannot start " + argv.front());
}

ChildProcess::~ChildProcess() {
    if (!exited_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    ::unlink(outputFile_.c_str());
}

void ChildProcess::signal(int signal) {
    if (!exited_) ::kill(pid_, signal);
}

bool ChildProcess::running() {
    if (exited_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return !exited_;
}

int ChildProcess::waitForExit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return exitCode_;
}

std::string ChildProcess::output() const {
    std::ifstream in(outputFile_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

KeelProcess::KeelProcess(std::vector<std::string> arguments, std::map<std::string, std::string> environment,
                         bool chooseListeners) {
    publicPort_ = freePort();
    adminPort_ = freePort();
    while (adminPort_ == publicPort_) adminPort_ = freePort();
    std::vector<std::string> argv{KEEL_BINARY};
    if (chooseListeners) {
        argv.insert(argv.end(), {"--define", "server.host=127.0.0.1", "--define",
                                 "server.port=" + std::to_string(publicPort_), "--define",
                                 "admin.port=" + std::to_string(adminPort_), "--define", "server.max_threads=32"});
    }
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    child_ = std::make_unique<ChildProcess>(argv, environment);
}

bool KeelProcess::waitUntilLive(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (httpRequest(publicPort_, "GET", "/live", "", "", std::chrono::seconds(2)).status == 200) return true;
        if (!child_->running()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

void KeelProcess::signal(int signal) { child_->signal(signal); }

int KeelProcess::waitForExit(std::chrono::milliseconds timeout) { return child_->waitForExit(timeout); }

std::string shellOutput(const std::string& command) {
    std::string output;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    char buffer[4096];
    while (pipe != nullptr && std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
    if (pipe != nullptr) ::pclose(pipe);
    while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
    return output;
}

std::vector<std::string> withPlugins(const std::string& plugins, std::vector<std::string> extra) {
    // The test plugins' tree is trusted for loads by path (reload tests name its sub-directories).
    std::vector<std::string> arguments{"--define", std::string("plugins.dir=") + KEEL_PLUGIN_DIR, "--define",
                                       "plugins.list=" + plugins + ", " + KEEL_TEST_PLUGIN_DIR + "/probe.so",
                                       "--define", std::string("plugins.allowed_dirs=") + KEEL_TEST_PLUGIN_DIR};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return arguments;
}

std::vector<std::string> productionStandInDefines() {
    struct StandIns {
        std::string directory = "/tmp/keel-production-" + std::to_string(::getpid());
        StandIns() {
            shellOutput("mkdir -p " + directory + " && printf 'db-pass\\n' > " + directory + "/db.password && chmod 600 " +
                        directory + "/db.password && printf 'admin-token-0123456789abcdef0123456789\\n' > " + directory +
                        "/admin.token && chmod 600 " + directory + "/admin.token && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
                        "2>/dev/null | openssl pkey -pubout -out " + directory + "/issuer.pem");
        }
        ~StandIns() { shellOutput("rm -rf " + directory); }
    };
    static const StandIns files;
    return {"--define", "database.password_file=" + files.directory + "/db.password", "--define",
            "auth.jwt.public_key_file=" + files.directory + "/issuer.pem", "--define",
            "admin.token_file=" + files.directory + "/admin.token"};
}

std::pair<int, std::string> runKeel(const std::vector<std::string>& arguments) {
    KeelProcess process(arguments, {}, false);
    const int code = process.waitForExit(std::chrono::seconds(30));
    return {code, process.output()};
}

}  // namespace keel::testing
