# Third-party packages, all from Debian 12. Works around the packaging traps in docs/design-notes.md.
find_package(PostgreSQL REQUIRED)
# Poco::DataPostgreSQL links PostgreSQL::client, which nothing defines (docs/design-notes.md).
if(NOT TARGET PostgreSQL::client)
  add_library(PostgreSQL::client INTERFACE IMPORTED)
  target_link_libraries(PostgreSQL::client INTERFACE PostgreSQL::PostgreSQL)
endif()
find_package(Poco 1.11 REQUIRED COMPONENTS Foundation Net NetSSL Crypto JWT Util JSON Data DataPostgreSQL DataSQLite Redis)
find_package(spdlog 1.10 REQUIRED)
find_package(fmt REQUIRED)
find_package(prometheus-cpp REQUIRED COMPONENTS core)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(Systemd REQUIRED IMPORTED_TARGET libsystemd)
# libelf reads a plugin's descriptor section from the file before the file is ever mapped.
pkg_check_modules(Elf REQUIRED IMPORTED_TARGET libelf)
