#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz (clang-14, ASan + UBSan, only the
# fuzzers and the libraries they link) and runs each for a while. See
# docs/fuzzing.md.
#
#   scripts/fuzz.sh [seconds-per-target] [target ...]
#
# Default: 10 s for every target (what `make test` runs); `make fuzz` runs
# FUZZ_SECONDS (600) per target. Prints `<target>: N runs, OK|CRASH` per
# target and `N passed, N failed`; exits 1 on any crash, leak, timeout or
# out-of-memory. The input that failed is saved in build-fuzz/crashes/<target>/.
# New interesting inputs go to build-fuzz/corpus/<target>/ (kept between runs;
# the seeds in tests/fuzz/corpus/<target>/ are only read).
set -u
cd "$(dirname "$0")/.."

seconds=${1:-10}
shift $(( $# > 0 ? 1 : 0 ))
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${JOBS:-$(nproc)}

# Largest input per target: a few times the largest real request each
# parser sees in a test, small enough to keep runs fast.
declare -A max_len=(
  [remote_write]=65536 [compression]=65536 [json_lines]=8192 [prometheus_text]=8192
  [csv]=4096 [influx_line]=4096 [otlp]=16384 [promql]=2048 [rpc_frame]=16384
  [storage_wire]=16384 [write_batch]=16384 [chunk]=16384
)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(remote_write compression json_lines prometheus_text csv influx_line otlp promql rpc_frame
           storage_wire write_batch chunk)
fi

# The same ccache settings as the Makefile, so that a clone elsewhere hits.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_WERROR=ON -DSTRATA_FUZZ=ON \
    -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 >/dev/null || exit 1
fi
cmake --build "$build" -j "$jobs" --target strata_fuzz || exit 1

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# One target per core at a time; each writes its verdict to a file, printed
# in target order at the end.
run_target() {
  local t=$1
  local bin="$build/tests/fuzz/${t}_fuzz"
  local result="$build/logs/$t.result"
  if [ ! -x "$bin" ]; then
    echo "FAIL $t: no such fuzz target ($bin)" >"$result"
    return
  fi
  local corpus="$build/corpus/$t"
  local crashes="$build/crashes/$t"
  local log="$build/logs/$t.log"
  mkdir -p "$corpus" "$crashes"
  local dict=()
  [ -f "tests/fuzz/dict/$t.dict" ] && dict=(-dict="tests/fuzz/dict/$t.dict")
  "$bin" -max_total_time="$seconds" -max_len="${max_len[$t]:-4096}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$crashes/" "${dict[@]}" "$corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1
  local rc=$?
  local runs
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $rc -eq 0 ]; then
    echo "OK $t: ${runs:-0} runs, OK" >"$result"
  else
    {
      echo "FAIL $t: ${runs:-?} runs, CRASH (exit $rc; log $log; input in $crashes/)"
      grep -m 12 -E 'ERROR|FUZZ_CHECK|runtime error|SUMMARY|#[0-9]+ 0x.* in strata' "$log" | sed 's/^/    /'
    } >"$result"
  fi
}

mkdir -p "$build/logs"
for t in "${targets[@]}"; do
  rm -f "$build/logs/$t.result"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  run_target "$t" &
done
wait

passed=0
failed=0
for t in "${targets[@]}"; do
  result="$build/logs/$t.result"
  if [ -f "$result" ] && head -1 "$result" | grep -q '^OK '; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
  if [ -f "$result" ]; then
    sed '1s/^[A-Z]* //' "$result"
  else
    echo "$t: no result"
  fi
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
