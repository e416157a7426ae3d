// Feature flags: the [features] section (`new_feature = true`), read by plugins at request time.
// The host re-reads them on SIGHUP, so a flag can be flipped without a restart or a reload.
//
//   void start(Context& context) override { features_ = &context.features(); }
//   ... if (features_->enabled("new_feature")) { ... }
#pragma once

#include <string>

#include "keel/export.h"

namespace keel {

class KEEL_SDK_API Features {
public:
    virtual ~Features();
    // Whether the flag is on now; a flag nobody configured is off. Lock-free enough to call on
    // every request; valid for as long as the Context that returned this object.
    virtual bool enabled(const std::string& name) const = 0;
};

}  // namespace keel
