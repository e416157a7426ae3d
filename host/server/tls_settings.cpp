// OpenSSL contexts for the listeners, through Asio's wrapper.
#include "tls_settings.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdexcept>

namespace keel::host {

namespace {

// Mozilla's "intermediate" list: forward secrecy and AEAD only.
constexpr const char* kDefaultCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string openSslError() {
    const unsigned long code = ERR_get_error();
    if (code == 0) return "unknown OpenSSL error";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    return text;
}

}  // namespace

ClientAuth parseClientAuth(const std::string& text) {
    if (text == "optional") return ClientAuth::Optional;
    if (text == "require") return ClientAuth::Require;
    return ClientAuth::None;
}

std::shared_ptr<boost::asio::ssl::context> makeServerTlsContext(const TlsSettings& settings, const std::string& keyPrefix) {
    namespace ssl = boost::asio::ssl;
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = context->native_handle();
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    // No renegotiation: a client could use it to make the server do expensive work repeatedly.
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    const std::string ciphers = settings.ciphers.empty() ? kDefaultCiphers : settings.ciphers;
    if (SSL_CTX_set_cipher_list(native, ciphers.c_str()) != 1) {
        throw std::runtime_error(keyPrefix + ".ciphers = \"" + ciphers + "\": no usable cipher (" + openSslError() + ")");
    }
    if (SSL_CTX_use_certificate_chain_file(native, settings.certFile.c_str()) != 1) {
        throw std::runtime_error(keyPrefix + ".cert_file = \"" + settings.certFile +
                                 "\": cannot read a PEM certificate chain (" + openSslError() + ")");
    }
    if (settings.keyFile.empty()) {
        throw std::runtime_error(keyPrefix + ".key_file is empty but " + keyPrefix + ".cert_file is set");
    }
    if (SSL_CTX_use_PrivateKey_file(native, settings.keyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
        throw std::runtime_error(keyPrefix + ".key_file = \"" + settings.keyFile + "\": cannot read a PEM private key (" +
                                 openSslError() + ")");
    }
    if (SSL_CTX_check_private_key(native) != 1) {
        throw std::runtime_error(keyPrefix + ".key_file = \"" + settings.keyFile + "\" does not match the certificate in " +
                                 keyPrefix + ".cert_file");
    }
    if (settings.clientAuth != ClientAuth::None) {
        if (settings.clientCaFile.empty()) {
            throw std::runtime_error(keyPrefix + ".client_auth needs " + keyPrefix +
                                     ".client_ca_file (the CA that signs client certificates)");
        }
        if (SSL_CTX_load_verify_locations(native, settings.clientCaFile.c_str(), nullptr) != 1) {
            throw std::runtime_error(keyPrefix + ".client_ca_file = \"" + settings.clientCaFile +
                                     "\": cannot read PEM CA certificates (" + openSslError() + ")");
        }
        // Tells clients which CAs we accept, so they pick the right certificate.
        if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(settings.clientCaFile.c_str())) {
            SSL_CTX_set_client_CA_list(native, names);
        }
        int mode = SSL_VERIFY_PEER;
        if (settings.clientAuth == ClientAuth::Require) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        SSL_CTX_set_verify(native, mode, nullptr);
    }
    return context;
}

std::string verifiedClientSubject(SSL* ssl) {
    X509* certificate = SSL_get1_peer_certificate(ssl);
    if (certificate == nullptr) return "";
    std::string subject;
    if (SSL_get_verify_result(ssl) == X509_V_OK) {
        if (BIO* out = BIO_new(BIO_s_mem())) {
            X509_NAME_print_ex(out, X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
            char* data = nullptr;
            const long length = BIO_get_mem_data(out, &data);
            if (length > 0) subject.assign(data, static_cast<std::size_t>(length));
            BIO_free(out);
        }
    }
    X509_free(certificate);
    return subject;
}

}  // namespace keel::host
