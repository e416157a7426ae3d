// Symbol visibility for the SDK: plugins are built with -fvisibility=hidden, so every SDK type
// whose typeinfo or functions cross the host/plugin boundary is marked KEEL_SDK_API.
#pragma once

#define KEEL_SDK_API __attribute__((visibility("default")))
// The one symbol a plugin exports: its descriptor.
#define KEEL_PLUGIN_EXPORT __attribute__((visibility("default"))) __attribute__((used))
