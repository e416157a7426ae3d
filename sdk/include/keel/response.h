// An HTTP response being built by middleware and a handler; the host sends it after the pipeline
// returns. Same ownership and threading as keel::Request.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>

#include "keel/export.h"
#include "keel/headers.h"

namespace keel {

class KEEL_SDK_API Response {
public:
    int status() const { return status_; }
    // Sets the status and its standard reason phrase.
    void setStatus(int status);
    const std::string& reason() const { return reason_; }

    const Headers& headers() const { return headers_; }
    Headers& headers() { return headers_; }
    void setHeader(const std::string& name, std::string value) { headers_.set(name, std::move(value)); }

    const std::string& body() const { return body_; }
    void setBody(std::string body, const std::string& contentType);

    // Shorthands: a status and a body of the given media type.
    void send(int status, std::string body, const std::string& contentType = "text/plain; charset=utf-8");
    void sendJson(int status, std::string json) { send(status, std::move(json), "application/json"); }
    // The object or array as compact JSON text (keel::toJsonText), application/json.
    void sendJson(int status, const Poco::JSON::Object& body);
    void sendJson(int status, const Poco::JSON::Array& body);

    // Resets status, headers and body, e.g. before the recovery middleware writes a 500.
    void clear();

private:
    int status_ = 200;
    std::string reason_ = "OK";
    Headers headers_;
    std::string body_;
};

// The standard reason phrase of a status code ("Created" for 201), "" when unknown.
KEEL_SDK_API const char* reasonPhrase(int status);

}  // namespace keel
