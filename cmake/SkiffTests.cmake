# skiff_add_gtest(NAME SOURCES... LIBS... LABELS... [ROOT [SERIAL]] [TIMEOUT SECONDS])
#
# Registers every GoogleTest case as its own CTest test, labelled so `ctest -L cgroups`
# runs one area. ROOT tests link a main that skips visibly (exit 77, "Not Run" in CTest)
# when not root, and fails instead when SKIFF_REQUIRE_ROOT=1 or CI is set: a skipped root
# test never counts as passed in CI.
# The cases of one ROOT binary run one at a time (they share its fixtures' names and
# trees), beside other binaries' tests: each binary keeps to its own directories, cgroups
# and ids. SERIAL binaries run alone: they measure the machine (CPU time under a quota)
# or run attacks whose controls act on the host.
include(GoogleTest)

# One precompiled header for every test executable: GoogleTest and nlohmann/json are in
# nearly every test file, and parsing them was most of a test file's compile time.
add_library(skiff_test_pch OBJECT EXCLUDE_FROM_ALL ${CMAKE_CURRENT_LIST_DIR}/test_pch.cpp)
target_link_libraries(skiff_test_pch PRIVATE GTest::gtest nlohmann_json::nlohmann_json)
target_precompile_headers(skiff_test_pch PRIVATE
  <gtest/gtest.h> <nlohmann/json.hpp> <filesystem> <string> <vector>)

function(skiff_add_gtest name)
  cmake_parse_arguments(T "ROOT;SERIAL" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_precompile_headers(${name} REUSE_FROM skiff_test_pch)
  if(T_ROOT)
    target_link_libraries(${name} PRIVATE ${T_LIBS} skiff_test_root_main GTest::gtest)
    set(kind root)
  else()
    target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest_main)
    set(kind unit)
  endif()
  # The label list passes through four unquoted expansions on its way to
  # set_tests_properties (here, gtest_discover_tests' argument parsing, its include file
  # and GoogleTestAddTests), each of which eats one level of escaping.
  string(REPLACE ";" "\\\\\\\\\\\\\\\\;" labels "${kind};${T_LABELS}")
  set(props LABELS "${labels}" SKIP_RETURN_CODE 77)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
    if(T_ROOT)
      set(T_TIMEOUT 120)
    endif()
  endif()
  list(APPEND props TIMEOUT ${T_TIMEOUT})
  if(T_SERIAL)
    list(APPEND props RUN_SERIAL TRUE)
  elseif(T_ROOT)
    list(APPEND props RESOURCE_LOCK ${name})
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES ${props})
endfunction()
