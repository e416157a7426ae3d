# keel_add_plugin(<name> SOURCES <files...> [OUTPUT_DIRECTORY <dir>] [DEFINITIONS <defs...>])
#
# The one way to build a Keel plugin: a MODULE library named <name>.so that links the SDK,
# hides every symbol but the descriptor and never produces STB_GNU_UNIQUE symbols, so that
# dlclose really unmaps it (see PITFALLS.md).
function(keel_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES;DEFINITIONS" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "keel_add_plugin(${name}): SOURCES is required")
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY)
    set(ARG_OUTPUT_DIRECTORY "${KEEL_PLUGIN_OUTPUT_DIR}")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE keel::sdk)
  target_compile_definitions(${name} PRIVATE ${ARG_DEFINITIONS})
  target_compile_options(${name} PRIVATE -fvisibility=hidden -fvisibility-inlines-hidden -fno-gnu-unique)
  # Unresolved symbols are an error at link time, not a surprise at dlopen.
  target_link_options(${name} PRIVATE -Wl,--no-undefined -Wl,-z,defs)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "${name}"
    LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
endfunction()
