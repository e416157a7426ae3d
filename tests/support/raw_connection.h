// A TCP client that sends exactly the bytes a test gives it, for hostile-client tests of the
// front door: half-closes, stalls, dribbles, and reads whatever comes back within a deadline.
#pragma once

#include <chrono>
#include <string>

namespace keel::testing {

class RawConnection {
public:
    // Connects to 127.0.0.1:port; connected() is false when that was refused.
    explicit RawConnection(int port);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    bool connected() const { return fd_ >= 0; }
    // errno text of a failed connect ("Connection refused").
    const std::string& connectError() const { return connectError_; }
    // False when the peer has closed or reset the connection.
    bool send(const std::string& bytes);
    // Stops sending (the server reads EOF); reading still works.
    void closeSending();
    // Reads until the peer closes or `timeout` passes.
    std::string readAll(std::chrono::milliseconds timeout);
    // Reads until `bytes` contains `marker` `count` times, the peer closes, or `timeout` passes.
    std::string readUntil(const std::string& marker, int count, std::chrono::milliseconds timeout);
    // True when the peer closed (EOF or reset) within `timeout`, after discarding what it sent.
    bool closedWithin(std::chrono::milliseconds timeout);

private:
    enum class Received { Data, Closed, Timeout };
    // One recv() within what is left until `deadline`, appended to `into`.
    Received receiveBefore(std::chrono::steady_clock::time_point deadline, std::string& into);

    int fd_ = -1;
    std::string connectError_;
};

// The status code of the first response in `bytes` (0 when there is none).
int statusOf(const std::string& bytes);

// Raises this process's soft open-files limit to the hard limit (for tests holding many sockets).
void raiseOpenFileLimit();

}  // namespace keel::testing
