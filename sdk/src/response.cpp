// Response building and the reason phrases Poco would get wrong ("201 OK", see docs/design-notes.md).
#include "keel/response.h"

#include "keel/json.h"

namespace keel {

const char* reasonPhrase(int status) {
    switch (status) {
        case 100: return "Continue";
        case 101: return "Switching Protocols";
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 204: return "No Content";
        case 206: return "Partial Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 307: return "Temporary Redirect";
        case 308: return "Permanent Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 406: return "Not Acceptable";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 410: return "Gone";
        case 411: return "Length Required";
        case 412: return "Precondition Failed";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 415: return "Unsupported Media Type";
        case 417: return "Expectation Failed";
        case 421: return "Misdirected Request";
        case 422: return "Unprocessable Content";
        case 428: return "Precondition Required";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        case 505: return "HTTP Version Not Supported";
        default: return "";
    }
}

void Response::setStatus(int status) {
    status_ = status;
    reason_ = reasonPhrase(status);
}

void Response::setBody(std::string body, const std::string& contentType) {
    body_ = std::move(body);
    headers_.set("Content-Type", contentType);
}

void Response::send(int status, std::string body, const std::string& contentType) {
    setStatus(status);
    setBody(std::move(body), contentType);
}

void Response::sendJson(int status, const Poco::JSON::Object& body) { sendJson(status, toJsonText(body)); }

void Response::sendJson(int status, const Poco::JSON::Array& body) { sendJson(status, toJsonText(body)); }

void Response::clear() {
    setStatus(200);
    headers_ = Headers();
    body_.clear();
}

}  // namespace keel
