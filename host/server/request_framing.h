// Strict RFC 9112 checks Keel adds on top of Boost.Beast's parser, on the raw request head and
// on the framing headers, so that no ambiguous request reaches the dispatcher. Pure functions:
// the front door calls them per request, unit and fuzz tests call them directly.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keel::host {

// The fixed set of reasons a request is refused or abandoned before it reaches a plugin; also the
// `reason` label of keel_http_rejected_total.
enum class RejectReason {
    BadRequest,          // malformed request line or header field, bad percent-encoding
    BadFraming,          // Content-Length / Transfer-Encoding that cannot be read one way only
    UnsupportedCoding,   // a transfer coding other than chunked
    UnsupportedVersion,  // not HTTP/1.0 or HTTP/1.1
    UriTooLong,
    HeadersTooLarge,
    BodyTooLarge,
    HeaderTimeout,
    BodyTimeout,
    WriteTimeout,
    IncompleteHeader,  // the client closed in the middle of the request head
    IncompleteBody,    // EOF before the declared length, a bad chunk, a missing last chunk
    Overloaded,        // every worker busy and the queue full
    ConnectionLimit,
    TlsHandshake,
};

const char* rejectReasonLabel(RejectReason reason);
std::vector<RejectReason> allRejectReasons();

struct HeadLimits {
    std::size_t maxUriLength = 8192;
    std::size_t maxHeaderBytes = 16384;  // every header line after the request line, with CRLFs
    std::size_t maxHeaderCount = 100;
};

struct Rejection {
    int status = 400;
    RejectReason reason = RejectReason::BadRequest;
    std::string detail;  // safe to send to the client: never echoes raw bytes of the request
};

// Where the request head (request line and header fields) ends in `buffered`: the offset just
// past the empty line. nullopt while it has not fully arrived.
std::optional<std::size_t> findHeadEnd(std::string_view buffered);

// Checks a complete request head ("...\r\n\r\n") before the parser sees it: request line syntax
// and length, header lines (no obs-fold, a colon, no whitespace before it, a token name, no
// control characters in values, CRLF line ends), header count and size.
std::optional<Rejection> checkRequestHead(std::string_view head, const HeadLimits& limits);

// Checks an incomplete head that has grown past what the limits allow: 414 when the request line
// alone is too long, 431 otherwise. nullopt while more bytes may still make a valid head.
std::optional<Rejection> checkPartialHead(std::string_view buffered, const HeadLimits& limits);

// The header fields of a head that passed checkRequestHead, as (name, value) with the value's
// surrounding whitespace removed; views into `head`.
std::vector<std::pair<std::string_view, std::string_view>> headFields(std::string_view head);

// The message framing from the header fields, per RFC 9112 section 6: at most one Content-Length
// with one decimal value, Transfer-Encoding only with chunked last and no other coding, never both.
struct BodyFraming {
    bool chunked = false;
    std::optional<unsigned long long> contentLength;
};
// `fields` are the (name, value) pairs as received.
std::optional<Rejection> checkBodyFraming(const std::vector<std::pair<std::string_view, std::string_view>>& fields,
                                          BodyFraming& framing);

// True when every '%' in `target` starts a two-digit hex escape.
bool hasValidPercentEncoding(std::string_view target);

}  // namespace keel::host
