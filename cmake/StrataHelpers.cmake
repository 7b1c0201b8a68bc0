# Helpers in the style of abseil's absl_cc_library: every library is a small
# named target with explicit dependencies, so the dependency graph is visible
# in the build files.

# strata_cc_library(NAME n SRCS a.cc b.cc DEPS x y)
function(strata_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS})
endfunction()

# strata_cc_test(NAME n SRCS a_test.cc DEPS x y [HAS_SLOW | ONLY_SLOW])
# One binary per module; every TEST_CASE becomes a CTest entry labelled
# "quick". With HAS_SLOW, the cases tagged [.slow] (hidden from a plain run of
# the binary) are registered too, labelled "slow": `make test` runs both,
# `make test-quick` only the quick ones. ONLY_SLOW: every case is [.slow].
function(strata_cc_test)
  cmake_parse_arguments(ARG "HAS_SLOW;ONLY_SLOW" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${ARG_NAME} PRIVATE strata_catch_main ${ARG_DEPS})
  if(NOT ARG_ONLY_SLOW)
    catch_discover_tests(${ARG_NAME}
      TEST_PREFIX "${ARG_NAME}:"
      PROPERTIES LABELS "quick"
      EXTRA_ARGS --rng-seed 7)
  endif()
  if(ARG_HAS_SLOW OR ARG_ONLY_SLOW)
    catch_discover_tests(${ARG_NAME}
      TEST_SPEC "[.slow]"
      TEST_PREFIX "${ARG_NAME}:slow:"
      PROPERTIES LABELS "slow"
      EXTRA_ARGS --rng-seed 7)
  endif()
endfunction()

# strata_cc_bench(NAME n SRCS a_bench.cc DEPS x y)
function(strata_cc_bench)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/bench)
  target_link_libraries(${ARG_NAME} PRIVATE benchmark::benchmark_main ${ARG_DEPS})
endfunction()
