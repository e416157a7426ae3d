// Request-head and framing checks; see request_framing.h for why they exist next to Beast's parser.
#include "request_framing.h"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cctype>

namespace keel::host {

namespace {

// RFC 9110 tchar: the characters of a method or a field name.
bool isTokenChar(unsigned char c) {
    if (std::isalnum(c)) return true;
    switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
        case '^': case '_': case '`': case '|': case '~':
            return true;
        default:
            return false;
    }
}

bool isToken(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return isTokenChar(static_cast<unsigned char>(c)); });
}

// A request target is visible ASCII only (RFC 9112 3.2): no spaces, controls or bytes >= 0x7f.
bool isVisibleAscii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte > 0x20 && byte < 0x7f;
    });
}

// Field values: visible characters, SP, HTAB and obs-text; no other controls (NUL, CR, LF, DEL...).
bool isFieldValue(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
    });
}

std::string_view trimOws(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

Rejection reject(int status, RejectReason reason, std::string detail) { return Rejection{status, reason, std::move(detail)}; }

Rejection uriTooLong(const HeadLimits& limits) {
    return reject(414, RejectReason::UriTooLong,
                  "the request target is longer than " + std::to_string(limits.maxUriLength) +
                      " bytes (server.max_uri_length)");
}

Rejection headersTooLarge(const HeadLimits& limits) {
    return reject(431, RejectReason::HeadersTooLarge,
                  "the header fields are larger than " + std::to_string(limits.maxHeaderBytes) +
                      " bytes (server.max_header_size)");
}

// The head's lines without their CRLF and without the final empty line. Lines must end in CRLF:
// a lone CR or LF is a framing attack vector.
std::optional<Rejection> splitHeadLines(std::string_view head, std::vector<std::string_view>& lines) {
    std::size_t start = 0;
    while (start < head.size()) {
        const auto lf = head.find('\n', start);
        if (lf == std::string_view::npos) break;
        if (lf == start || head[lf - 1] != '\r') {
            return reject(400, RejectReason::BadRequest, "a line of the request head does not end in CRLF");
        }
        lines.push_back(head.substr(start, lf - 1 - start));
        start = lf + 1;
    }
    if (lines.empty() || !lines.back().empty()) {
        return reject(400, RejectReason::BadRequest, "the request head does not end with an empty line");
    }
    lines.pop_back();
    if (lines.empty()) return reject(400, RejectReason::BadRequest, "the request line is missing");
    return std::nullopt;
}

// method SP request-target SP HTTP-version (RFC 9112 section 3).
std::optional<Rejection> checkRequestLine(std::string_view requestLine, const HeadLimits& limits) {
    const auto firstSpace = requestLine.find(' ');
    const auto lastSpace = requestLine.rfind(' ');
    if (firstSpace == std::string_view::npos || firstSpace == lastSpace) {
        return reject(400, RejectReason::BadRequest, "the request line is not 'method target HTTP-version'");
    }
    const auto method = requestLine.substr(0, firstSpace);
    const auto target = requestLine.substr(firstSpace + 1, lastSpace - firstSpace - 1);
    const auto version = requestLine.substr(lastSpace + 1);
    if (!isToken(method)) return reject(400, RejectReason::BadRequest, "the request method is not a token");
    if (target.size() > limits.maxUriLength) return uriTooLong(limits);
    if (target.empty() || !isVisibleAscii(target)) {
        return reject(400, RejectReason::BadRequest,
                      "the request target is empty or contains spaces, control characters or non-ASCII bytes");
    }
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !std::isdigit(static_cast<unsigned char>(version[5])) ||
        version[6] != '.' || !std::isdigit(static_cast<unsigned char>(version[7]))) {
        return reject(400, RejectReason::BadRequest, "the request line does not end in an HTTP version");
    }
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        return reject(505, RejectReason::UnsupportedVersion, "only HTTP/1.1 and HTTP/1.0 are served");
    }
    if (target.front() != '/' && target != "*" && target.rfind("http://", 0) != 0 && target.rfind("https://", 0) != 0) {
        return reject(400, RejectReason::BadRequest, "the request target is not an absolute path or an absolute URI");
    }
    if (!hasValidPercentEncoding(target)) {
        return reject(400, RejectReason::BadRequest, "the request target has a '%' that is not followed by two hex digits");
    }
    return std::nullopt;
}

// name ":" OWS value OWS, one per line: no folding, a token name, no control characters.
std::optional<Rejection> checkHeaderLine(std::string_view line, std::size_t number) {
    if (line.front() == ' ' || line.front() == '\t') {
        return reject(400, RejectReason::BadRequest, "obsolete line folding in a header field is not accepted");
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
        return reject(400, RejectReason::BadRequest, "header line " + std::to_string(number) + " has no colon");
    }
    if (!isToken(line.substr(0, colon))) {
        return reject(400, RejectReason::BadRequest,
                      "header line " + std::to_string(number) +
                          " has a field name that is not a token (whitespace before the colon?)");
    }
    if (!isFieldValue(line.substr(colon + 1))) {
        return reject(400, RejectReason::BadRequest,
                      "header line " + std::to_string(number) + " has a control character in its value");
    }
    return std::nullopt;
}

}  // namespace

const char* rejectReasonLabel(RejectReason reason) {
    switch (reason) {
        case RejectReason::BadRequest: return "bad_request";
        case RejectReason::BadFraming: return "bad_framing";
        case RejectReason::UnsupportedCoding: return "unsupported_coding";
        case RejectReason::UnsupportedVersion: return "unsupported_version";
        case RejectReason::UriTooLong: return "uri_too_long";
        case RejectReason::HeadersTooLarge: return "headers_too_large";
        case RejectReason::BodyTooLarge: return "body_too_large";
        case RejectReason::HeaderTimeout: return "header_timeout";
        case RejectReason::BodyTimeout: return "body_timeout";
        case RejectReason::WriteTimeout: return "write_timeout";
        case RejectReason::IncompleteHeader: return "incomplete_header";
        case RejectReason::IncompleteBody: return "incomplete_body";
        case RejectReason::Overloaded: return "overloaded";
        case RejectReason::ConnectionLimit: return "connection_limit";
        case RejectReason::TlsHandshake: return "tls_handshake";
    }
    return "bad_request";
}

std::vector<RejectReason> allRejectReasons() {
    return {RejectReason::BadRequest,      RejectReason::BadFraming,       RejectReason::UnsupportedCoding,
            RejectReason::UnsupportedVersion, RejectReason::UriTooLong,    RejectReason::HeadersTooLarge,
            RejectReason::BodyTooLarge,    RejectReason::HeaderTimeout,    RejectReason::BodyTimeout,
            RejectReason::WriteTimeout,    RejectReason::IncompleteHeader, RejectReason::IncompleteBody,
            RejectReason::Overloaded,      RejectReason::ConnectionLimit,  RejectReason::TlsHandshake};
}

std::optional<std::size_t> findHeadEnd(std::string_view buffered) {
    // Bare-LF heads are refused later by checkRequestHead; finding "\n\n" lets that happen at once
    // instead of waiting for a CRLFCRLF that never comes.
    for (std::size_t at = buffered.find('\n'); at != std::string_view::npos; at = buffered.find('\n', at + 1)) {
        if (at + 1 < buffered.size() && buffered[at + 1] == '\n') return at + 2;
        if (at + 2 < buffered.size() && buffered[at + 1] == '\r' && buffered[at + 2] == '\n') return at + 3;
    }
    return std::nullopt;
}

std::optional<Rejection> checkPartialHead(std::string_view buffered, const HeadLimits& limits) {
    // Request line: method SP target SP HTTP/x.y CRLF; allow the method and version their due.
    const std::size_t maxRequestLine = limits.maxUriLength + 64;
    const auto lineEnd = buffered.find('\n');
    if (lineEnd == std::string_view::npos) {
        if (buffered.size() > maxRequestLine) return uriTooLong(limits);
        return std::nullopt;
    }
    if (lineEnd > maxRequestLine) return uriTooLong(limits);
    if (buffered.size() - lineEnd - 1 > limits.maxHeaderBytes + 2) return headersTooLarge(limits);
    return std::nullopt;
}

std::optional<Rejection> checkRequestHead(std::string_view head, const HeadLimits& limits) {
    std::vector<std::string_view> lines;
    if (auto rejection = splitHeadLines(head, lines)) return rejection;
    if (auto rejection = checkRequestLine(lines.front(), limits)) return rejection;
    const std::size_t headerCount = lines.size() - 1;
    if (headerCount > limits.maxHeaderCount) {
        return reject(431, RejectReason::HeadersTooLarge,
                      "more than " + std::to_string(limits.maxHeaderCount) + " header fields (server.max_header_count)");
    }
    std::size_t headerBytes = 0;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        headerBytes += lines[i].size() + 2;
        if (auto rejection = checkHeaderLine(lines[i], i)) return rejection;
    }
    if (headerBytes > limits.maxHeaderBytes) return headersTooLarge(limits);
    return std::nullopt;
}

std::vector<std::pair<std::string_view, std::string_view>> headFields(std::string_view head) {
    std::vector<std::pair<std::string_view, std::string_view>> fields;
    std::size_t start = head.find('\n');
    while (start != std::string_view::npos && start + 1 < head.size()) {
        const auto lineStart = start + 1;
        const auto lf = head.find('\n', lineStart);
        if (lf == std::string_view::npos || lf <= lineStart + 1) break;  // the empty line ends the head
        const auto line = head.substr(lineStart, lf - 1 - lineStart);
        const auto colon = line.find(':');
        if (colon != std::string_view::npos) fields.emplace_back(line.substr(0, colon), trimOws(line.substr(colon + 1)));
        start = lf;
    }
    return fields;
}

std::optional<Rejection> checkBodyFraming(const std::vector<std::pair<std::string_view, std::string_view>>& fields,
                                          BodyFraming& framing) {
    framing = BodyFraming{};
    int contentLengthFields = 0;
    std::vector<std::string_view> codings;
    bool sawTransferEncoding = false;
    for (const auto& [name, rawValue] : fields) {
        const auto value = trimOws(rawValue);
        if (boost::beast::iequals(name, "Content-Length")) {
            ++contentLengthFields;
            if (value.empty() || value.size() > 18 ||
                !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
                return reject(400, RejectReason::BadFraming, "Content-Length is not one decimal number");
            }
            framing.contentLength = std::stoull(std::string(value));
        } else if (boost::beast::iequals(name, "Transfer-Encoding")) {
            sawTransferEncoding = true;
            std::size_t start = 0;
            while (start <= value.size()) {
                auto comma = value.find(',', start);
                if (comma == std::string_view::npos) comma = value.size();
                const auto coding = trimOws(value.substr(start, comma - start));
                if (!coding.empty()) codings.push_back(coding);
                start = comma + 1;
            }
        }
    }
    if (contentLengthFields > 1) return reject(400, RejectReason::BadFraming, "more than one Content-Length field");
    if (!sawTransferEncoding) return std::nullopt;
    if (framing.contentLength) {
        return reject(400, RejectReason::BadFraming, "both Content-Length and Transfer-Encoding are present");
    }
    if (codings.empty()) return reject(400, RejectReason::BadFraming, "Transfer-Encoding is empty");
    if (!boost::beast::iequals(codings.back(), "chunked")) {
        // RFC 9112 6.3: without chunked last the body length cannot be known.
        return reject(400, RejectReason::BadFraming, "the last transfer coding is not chunked");
    }
    for (std::size_t i = 0; i + 1 < codings.size(); ++i) {
        if (boost::beast::iequals(codings[i], "chunked")) {
            return reject(400, RejectReason::BadFraming, "chunked is applied more than once");
        }
    }
    if (codings.size() > 1) {
        return reject(501, RejectReason::UnsupportedCoding, "only the chunked transfer coding is supported");
    }
    framing.chunked = true;
    return std::nullopt;
}

bool hasValidPercentEncoding(std::string_view target) {
    for (std::size_t i = 0; i < target.size(); ++i) {
        if (target[i] != '%') continue;
        if (i + 2 >= target.size()) return false;
        if (!std::isxdigit(static_cast<unsigned char>(target[i + 1])) ||
            !std::isxdigit(static_cast<unsigned char>(target[i + 2]))) {
            return false;
        }
        i += 2;
    }
    return true;
}

}  // namespace keel::host
