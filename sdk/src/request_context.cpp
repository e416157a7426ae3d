// Thread-local request context. It must live here, not in a plugin: a thread_local defined in an
// unloaded plugin crashes the thread at exit (docs/design-notes.md).
#include "keel/request_context.h"

namespace keel {

namespace {
thread_local RequestContext* currentContext = nullptr;
}

RequestContext* currentRequestContext() { return currentContext; }

RequestContextScope::RequestContextScope(RequestContext* context) : previous_(currentContext) {
    currentContext = context;
}

RequestContextScope::~RequestContextScope() { currentContext = previous_; }

}  // namespace keel
