# Third-party packages, all from Debian 12. Works around the packaging traps in PITFALLS.md.
find_package(Poco 1.11 REQUIRED COMPONENTS Foundation Net Util JSON)
find_package(spdlog 1.10 REQUIRED)
find_package(fmt REQUIRED)
find_package(prometheus-cpp REQUIRED COMPONENTS core)
find_package(Threads REQUIRED)
