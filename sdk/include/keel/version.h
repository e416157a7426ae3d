// SDK version, ABI number and the build fingerprint a plugin must share with the host.
#pragma once

#include <Poco/Version.h>

// SemVer of the SDK headers and libkeel-sdk.
#define KEEL_SDK_VERSION_MAJOR 0
#define KEEL_SDK_VERSION_MINOR 8
#define KEEL_SDK_VERSION_PATCH 0
#define KEEL_SDK_VERSION_STRING "0.8.0"

// Changes on any binary-incompatible change of an SDK type. The host refuses a plugin whose
// descriptor carries another number. Overridable only so a test can build a mismatching plugin.
#ifndef KEEL_SDK_ABI_VERSION
#define KEEL_SDK_ABI_VERSION 6
#endif

#define KEEL_STRINGIFY_DETAIL(x) #x
#define KEEL_STRINGIFY(x) KEEL_STRINGIFY_DETAIL(x)

#if defined(__clang__)
#define KEEL_COMPILER_ID "clang-" KEEL_STRINGIFY(__clang_major__)
#elif defined(__GNUC__)
#define KEEL_COMPILER_ID "gcc-" KEEL_STRINGIFY(__GNUC__)
#else
#define KEEL_COMPILER_ID "unknown"
#endif

// Everything that makes C++ objects incompatible although the ABI number matches: the compiler
// family and major version, the libstdc++ string ABI and the Poco version the SDK types embed.
#ifndef KEEL_BUILD_FINGERPRINT
#define KEEL_BUILD_FINGERPRINT \
    KEEL_COMPILER_ID ";cxx11abi=" KEEL_STRINGIFY(_GLIBCXX_USE_CXX11_ABI) ";poco=" KEEL_STRINGIFY(POCO_VERSION)
#endif
