// Thread-local request context. It must live here, not in a plugin: a thread_local defined in an
// unloaded plugin crashes the thread at exit (PITFALLS.md).
#include "keel/request_context.h"

namespace keel {

namespace {
thread_local const RequestContext* currentContext = nullptr;
}

const RequestContext* currentRequestContext() { return currentContext; }

RequestContextScope::RequestContextScope(const RequestContext* context) : previous_(currentContext) {
    currentContext = context;
}

RequestContextScope::~RequestContextScope() { currentContext = previous_; }

}  // namespace keel
