// TLS settings of one listener (server.tls.* or admin.tls.*) and the OpenSSL context built from
// them. A context is immutable once built; SIGHUP builds a new one for new connections while
// established connections keep the one they were accepted with.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace keel::host {

enum class ClientAuth { None, Optional, Require };

struct TlsSettings {
    std::string certFile;  // empty: the listener speaks plain HTTP
    std::string keyFile;
    std::string clientCaFile;
    ClientAuth clientAuth = ClientAuth::None;
    std::string ciphers;  // TLS 1.2 cipher list (TLS 1.3 suites are OpenSSL's defaults)

    bool enabled() const { return !certFile.empty(); }
};

ClientAuth parseClientAuth(const std::string& text);

// Builds a server context: TLS 1.2 minimum, the configured ciphers, certificate chain and key
// (checked to match), client verification as configured. Throws std::runtime_error naming the
// `keyPrefix` key ("server.tls") and file that is wrong.
std::shared_ptr<boost::asio::ssl::context> makeServerTlsContext(const TlsSettings& settings, const std::string& keyPrefix);

// The subject of the verified client certificate on `ssl` in RFC 2253 form ("CN=alice,O=Example"),
// or "" when the client sent none or it did not verify.
std::string verifiedClientSubject(SSL* ssl);

}  // namespace keel::host
