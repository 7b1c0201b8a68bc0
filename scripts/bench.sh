#!/usr/bin/env bash
# Benchmarks for Strata (`make bench` runs `scripts/bench.sh <build_dir>`):
#   (a) the micro benchmarks (<build_dir>/bench/**/strata_*_bench);
#   (b) the end-to-end ingest comparison: the same pre-encoded remote_write
#       requests replayed into Strata (`strata all`) and VictoriaMetrics
#       single-node, reporting samples/s, server CPU seconds per million
#       samples, peak RSS and disk bytes per sample, with Strata/VM ratios.
# See bench/README.md. Figures are only meaningful from a Release build.
#
# Environment:
#   BENCH_HOSTS=100 BENCH_DURATION=1h   size of the data set (node_exporter hosts x time span)
#   BENCH_CONCURRENCY=4                 sender connections (each sends whole shards, in order)
#   BENCH_SHARDS=4                      remote_write shards in the data set (series hash % shards)
#   BENCH_SYSTEMS="strata vm"           which systems to run, in order
#   BENCH_SKIP_MICRO=1                  skip (a)
#   BENCH_SETTLE=5                      seconds to wait after the force flush
#   BENCH_SEND_TIMEOUT=15m              abort a replay after this long
#   BENCH_KEEP_DATA=1                   keep the servers' data directories
#   VM_BIN=/usr/bin/victoria-metrics    VictoriaMetrics single-node binary
set -euo pipefail

build=${1:?usage: scripts/bench.sh <build_dir>}
build=$(cd "$build" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)

hosts=${BENCH_HOSTS:-100}
duration=${BENCH_DURATION:-1h}
concurrency=${BENCH_CONCURRENCY:-4}
shards=${BENCH_SHARDS:-4}
systems=${BENCH_SYSTEMS:-strata vm}
settle=${BENCH_SETTLE:-5}
send_timeout=${BENCH_SEND_TIMEOUT:-15m}
vm_bin=${VM_BIN:-/usr/bin/victoria-metrics}
strata_bin=$build/src/cmd/strata/strata
loadgen=$build/bench/load/strata_loadgen
snapshot=$repo/bench/load/testdata/node_exporter_snapshot.prom
[[ -f $snapshot ]] || snapshot=/work/shared/bench-data/node_exporter_snapshot.prom

build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
build_type=${build_type:-unknown}
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null) ]]; then commit="$commit+dirty"; fi
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
machine="$(uname -srm), ${cpu_model:-unknown cpu}, $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
clk_tck=$(getconf CLK_TCK)

echo "== Strata benchmarks: commit $commit, build type $build_type"
echo "== machine: $machine"
if [[ $build_type != Release ]]; then
  echo "WARNING: $build is a '$build_type' build; publish figures from Release builds only" \
       "(make bench BUILD_DIR=build-release BUILD_TYPE=Release)."
fi

# ---------------------------------------------------------------- (a) micro
if [[ -z ${BENCH_SKIP_MICRO:-} ]]; then
  echo
  echo "== (a) micro benchmarks"
  # Names declared in the bench CMakeLists, so a missing binary is noticed.
  mapfile -t declared < <(grep -rhoE 'NAME[[:space:]]+strata_[a-z0-9_]+_bench' "$repo/bench" --include=CMakeLists.txt 2>/dev/null |
    awk '{print $2}' | sort -u)
  mapfile -t found < <(find "$build/bench" -type f -perm -u+x -name 'strata_*_bench' 2>/dev/null | sort)
  for name in "${declared[@]}"; do
    if ! printf '%s\n' "${found[@]}" | grep -q "/$name\$"; then
      echo "-- $name: not built, skipped"
    fi
  done
  if [[ ${#found[@]} -eq 0 ]]; then echo "-- no micro benchmark binaries under $build/bench"; fi
  for bin in "${found[@]}"; do
    echo "-- $(basename "$bin")"
    "$bin" --benchmark_min_time=0.2 || echo "-- $(basename "$bin") FAILED (exit $?)"
  done
fi

# ------------------------------------------------------------ (b) end-to-end
echo
echo "== (b) end-to-end ingest: Strata vs VictoriaMetrics"
if [[ ! -x $loadgen ]]; then
  echo "$loadgen is missing; build the strata_loadgen target first" >&2
  exit 1
fi
data_dir=$build/bench-data
run_dir=$build/bench-run
mkdir -p "$data_dir" "$run_dir"
data=$data_dir/node-${hosts}hosts-${duration}.rw
# Regenerate data older than a week: servers may reject samples outside their
# retention or ingestion window, which would measure rejections, not ingest.
# Also regenerate files of an older frame format (format 2 records the shard
# of each frame) or another shard count.
if [[ -s $data.meta ]]; then
  old_end=$(sed -n 's/^end_ms=//p' "$data.meta")
  old_format=$(sed -n 's/^format=//p' "$data.meta")
  old_shards=$(sed -n 's/^shards=//p' "$data.meta")
  if (( ${old_end:-0} / 1000 < $(date +%s) - 7 * 86400 )); then
    echo "-- $data is more than a week old; regenerating"
    rm -f "$data" "$data.meta"
  elif [[ ${old_format:-1} != 2 || ${old_shards:-} != "$shards" ]]; then
    echo "-- $data has frame format ${old_format:-1} with ${old_shards:-no} shards (want format 2, $shards shards);" \
         "regenerating"
    rm -f "$data" "$data.meta"
  fi
fi
if [[ -s $data && -s $data.meta ]]; then
  echo "-- reusing $data"
else
  echo "-- generating $data ($hosts hosts x $duration, 15s interval, $shards shards)"
  "$loadgen" generate -snapshot="$snapshot" -hosts="$hosts" -duration="$duration" -interval=15s \
    -seriesPerRequest=2000 -samplesPerSeries=1 -seed=1 -shards="$shards" -out="$data.tmp"
  mv "$data.tmp.meta" "$data.meta"
  mv "$data.tmp" "$data"
fi
meta() { sed -n "s/^$1=//p" "$data.meta"; }
want_samples=$(meta samples)
want_series=$(meta series)
start_ms=$(meta start_ms)
end_ms=$(meta end_ms)
echo "-- data set: $want_series series, $want_samples samples, $(meta requests) requests" \
     "(per shard: $(meta shard_requests)), $(meta bytes) bytes"

server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" || true; }
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }  # utime+stime
peak_rss_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
# Sum of every sample of metric $2 on the server's /metrics (labels or not),
# or "" when the metric is absent.
metric_sum() {
  curl -s --max-time 30 "http://127.0.0.1:$1/metrics" |
    awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $NF; n++ } END { if (n) printf "%.0f\n", s }'
}
# First number in a Prometheus instant-vector answer, or "" on error.
query_scalar() {
  curl -s --max-time 120 "http://127.0.0.1:$1/api/v1/query" --data-urlencode "query=$2" --data-urlencode "time=$3" |
    sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p'
}

results=()  # "system samples wall_s cpu_s peak_kib disk_bytes stored_ok"
failures=0
for system in $systems; do
  case $system in
    strata) bin=$strata_bin; ready_path=/ready; label=Strata ;;
    vm) bin=$vm_bin; ready_path=/health; label=VictoriaMetrics ;;
    *) echo "unknown system $system (want strata or vm)" >&2; exit 1 ;;
  esac
  echo
  if [[ ! -x $bin ]]; then
    echo "-- $label: $bin not found, skipped"
    continue
  fi
  port=$(free_port)
  dir=$run_dir/$system-data
  log=$run_dir/$system.log
  rm -rf "$dir"
  mkdir -p "$dir"
  if [[ $system == strata ]]; then
    "$bin" all -storageDataPath="$dir" -httpListenAddr="127.0.0.1:$port" >"$log" 2>&1 &
  else
    "$bin" -storageDataPath="$dir" -httpListenAddr="127.0.0.1:$port" -retentionPeriod=100y \
      -search.disableCache >"$log" 2>&1 &
  fi
  server_pid=$!
  echo "-- $label: pid $server_pid, port $port, data $dir, log $log"
  ready=0
  for _ in $(seq 1 300); do
    if [[ $(http_code "http://127.0.0.1:$port$ready_path") == 200 ]]; then ready=1; break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.2
  done
  if [[ $ready != 1 ]]; then
    echo "-- $label did not become ready on $ready_path; last log lines:"
    tail -20 "$log"
    cleanup; server_pid=
    failures=$((failures + 1))
    continue
  fi

  cpu0=$(cpu_ticks "$server_pid")
  send_out=$run_dir/$system.send.txt
  set +e
  "$loadgen" send -in="$data" -url="http://127.0.0.1:$port/api/v1/write" -concurrency="$concurrency" \
    -timeout="$send_timeout" | tee "$send_out"
  send_rc=${PIPESTATUS[0]}
  set -e
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "-- $label exited during the replay; last log lines:"
    tail -20 "$log"
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    failures=$((failures + 1))
    continue
  fi
  cpu1=$(cpu_ticks "$server_pid")
  result=$(grep '^RESULT ' "$send_out" || true)
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
  sent=$(field samples); wall=$(field seconds)
  if [[ $send_rc != 0 || -z $sent ]]; then
    echo "-- $label: send failed (exit $send_rc)"
    failures=$((failures + 1))
  fi

  flush_code=$(http_code "http://127.0.0.1:$port/internal/force_flush")
  if [[ $flush_code == 200 ]]; then echo "-- force_flush: 200"; else echo "-- force_flush: HTTP $flush_code, skipped"; fi
  # Both systems compact on /internal/force_merge and answer when done, so
  # the disk figure is of a settled store.
  merge_code=$(http_code --max-time 600 "http://127.0.0.1:$port/internal/force_merge")
  if [[ $merge_code == 200 ]]; then echo "-- force_merge: 200"; else echo "-- force_merge: HTTP $merge_code, skipped"; fi
  sleep "$settle"
  cpu2=$(cpu_ticks "$server_pid")

  # Guard against silent data loss: ask the server what it stored.
  stored_ok=yes
  if [[ $system == strata ]]; then
    # Strata's query engine cannot evaluate count_over_time yet: read the
    # storage's own counters instead (summed over storage nodes).
    stored=$(metric_sum "$port" strata_storage_samples_appended_total)
    series=$(metric_sum "$port" strata_storage_series)
    ooo=$(metric_sum "$port" strata_storage_samples_out_of_order_total)
    too_old=$(metric_sum "$port" strata_storage_samples_too_old_total)
    dups=$(metric_sum "$port" strata_storage_samples_duplicate_total)
    echo "$label appended ${stored:-?} samples (expected $want_samples) to ${series:-?} series" \
         "(expected $want_series); out of order accepted ${ooo:-?}, too old rejected ${too_old:-?}," \
         "duplicates ${dups:-?} (strata_storage_* on /metrics)"
  else
    t=$((end_ms / 1000 + 60))
    range=$((t - start_ms / 1000 + 60))
    stored=$(query_scalar "$port" "sum(count_over_time({job=\"node\"}[${range}s]))" "$t")
    series=$(query_scalar "$port" 'count({job="node"})' "$t")
    index_count=$(curl -s --max-time 30 "http://127.0.0.1:$port/api/v1/series/count" |
      sed -n 's/.*"data":\[\([0-9]*\)\].*/\1/p')
    echo "$label stored ${stored:-?} samples (expected $want_samples), ${series:-?} series at the end" \
         "(expected $want_series); /api/v1/series/count: ${index_count:-n/a}"
  fi
  if [[ $stored != "$want_samples" || $series != "$want_series" ]]; then
    stored_ok=NO
    echo "-- $label: MISMATCH between sent and stored data"
    failures=$((failures + 1))
  fi

  peak=$(peak_rss_kib "$server_pid")
  disk=$(du -sb "$dir" | cut -f1)
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  [[ -n ${BENCH_KEEP_DATA:-} ]] || rm -rf "$dir"
  echo "-- $label: cpu ticks during send $((cpu1 - cpu0)), incl. flush+merge+settle $((cpu2 - cpu0)) (CLK_TCK $clk_tck)"
  results+=("$label ${sent:-0} ${wall:-0} $(((cpu1 - cpu0))) $((cpu2 - cpu0)) $peak $disk $stored_ok")
done

# ------------------------------------------------------------------ report
if [[ ${#results[@]} -eq 0 ]]; then
  echo "no system was run"
  exit 1
fi
report=$build/bench-results.md
printf '%s\n' "${results[@]}" | awk -v tck="$clk_tck" -v commit="$commit" -v bt="$build_type" \
  -v machine="$machine" -v hosts="$hosts" -v dur="$duration" -v conc="$concurrency" \
  -v date="$(date -u +%Y-%m-%dT%H:%MZ)" -v out="$report" -v nser="$want_series" '
  {
    n++; sys[n] = $1; samples[n] = $2; wall[n] = $3
    rate[n] = $3 > 0 ? $2 / $3 : 0
    cpu[n] = $2 > 0 ? ($4 / tck) / ($2 / 1e6) : 0
    cpuall[n] = $2 > 0 ? ($5 / tck) / ($2 / 1e6) : 0
    rss[n] = $6 / 1024
    disk[n] = $2 > 0 ? $7 / $2 : 0
    ok[n] = $8
    if ($1 == "Strata") s = n
    if ($1 == "VictoriaMetrics") v = n
  }
  function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "n/a" }
  END {
    hdr = sprintf("End-to-end ingest, %s hosts x %s of node_exporter data (%s series), %s sender connections", hosts, dur, nser, conc)
    meta = sprintf("commit %s, build type %s, %s, %s", commit, bt, machine, date)
    printf "\n%s\n%s\n\n", hdr, meta
    printf "%-16s %12s %9s %12s %12s %14s %10s %11s %7s\n", "system", "samples", "wall s", "samples/s", "CPU s/1M", "CPU s/1M+merge", "RSS MiB", "disk B/smp", "stored"
    for (i = 1; i <= n; i++)
      printf "%-16s %12d %9.2f %12.0f %12.3f %14.3f %10.1f %11.3f %7s\n", sys[i], samples[i], wall[i], rate[i], cpu[i], cpuall[i], rss[i], disk[i], ok[i]
    if (s && v) {
      printf "%-16s %12s %9s %12s %12s %14s %10s %11s\n", "Strata/VM", "", ratio(wall[s], wall[v]), ratio(rate[s], rate[v]), ratio(cpu[s], cpu[v]), ratio(cpuall[s], cpuall[v]), ratio(rss[s], rss[v]), ratio(disk[s], disk[v])
    }
    print "# Ingest benchmark results\n" > out
    print hdr ".\n\n" meta ".\n" > out
    print "| system | samples | wall s | samples/s | CPU s per 1M samples | CPU s per 1M incl. flush+merge | peak RSS MiB | disk bytes/sample | stored = sent |" > out
    print "|---|---:|---:|---:|---:|---:|---:|---:|---|" > out
    for (i = 1; i <= n; i++)
      printf "| %s | %d | %.2f | %.0f | %.3f | %.3f | %.1f | %.3f | %s |\n", sys[i], samples[i], wall[i], rate[i], cpu[i], cpuall[i], rss[i], disk[i], ok[i] > out
    if (s && v)
      printf "| **Strata/VM** | | %s | %s | %s | %s | %s | %s | |\n", ratio(wall[s], wall[v]), ratio(rate[s], rate[v]), ratio(cpu[s], cpu[v]), ratio(cpuall[s], cpuall[v]), ratio(rss[s], rss[v]), ratio(disk[s], disk[v]) > out
    print "\nCPU is the server process utime+stime from /proc/PID/stat during the replay (\"incl. flush+merge\" adds force_flush, force_merge and the settle wait); peak RSS is VmHWM; disk is `du -sb` of the data directory after force_flush and force_merge." > out
  }'
echo
echo "-- written $report"
if [[ $failures -gt 0 ]]; then
  echo "-- $failures problem(s) above: the figures are not trustworthy" >&2
  exit 1
fi
