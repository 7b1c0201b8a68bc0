#!/usr/bin/env bash
# Benchmarks for Strata (`make bench` runs `scripts/bench.sh <build_dir>`):
#   (a) the micro benchmarks (<build_dir>/bench/**/strata_*_bench);
#   (b) the end-to-end ingest comparison: the same pre-encoded remote_write
#       requests replayed into Strata (`strata all`), VictoriaMetrics
#       single-node and Prometheus, reporting samples/s, server CPU seconds
#       per million samples, peak RSS and disk bytes per sample, with the
#       Strata/VM and Strata/Prometheus ratios;
#   (c) query latency: after each system has settled, the host-dashboard
#       queries of scripts/bench_queries.txt as Grafana range queries over
#       1h, 6h and 24h ending at the end of the data, medians per range and
#       the Strata/VM and Strata/Prometheus ratios.
# See bench/README.md. Figures are only meaningful from a Release build.
#
# Environment:
#   BENCH_HOSTS=100 BENCH_DURATION=1h   size of the data set (node_exporter hosts x time span);
#                                       the issue's target size is BENCH_DURATION=24h
#   BENCH_RUNS=1                        repeat (b) this many times; with more than one, medians too
#   BENCH_CONCURRENCY=4                 sender connections (each sends whole shards, in order)
#   BENCH_SHARDS=4                      remote_write shards in the data set (series hash % shards)
#   BENCH_MAX_SKEW=300                  seconds of data time the fastest connection may run ahead of
#                                       the slowest (strata_loadgen send -maxLead); 0 = unbounded
#   BENCH_SYSTEMS="strata vm prometheus" which systems to run, in order
#   BENCH_SKIP_MICRO=1                  skip (a)
#   BENCH_SETTLE=5                      seconds to wait after the flush/merge/snapshot
#   BENCH_SEND_TIMEOUT=15m              abort a replay after this long (use 60m for 24h)
#   BENCH_QUERY_TIMEOUT=600             seconds allowed to each stored-data check query
#   BENCH_KEEP_DATA=1                   keep the servers' data directories
#   BENCH_QUERY_RANGES="1h 6h 24h"      (c) query-latency ranges (each capped at the data span)
#   BENCH_QUERY_REPEAT=5                (c) runs of each query per range; the median is kept
#   BENCH_SKIP_QUERIES=1                skip (c)
#   VM_BIN=/usr/bin/victoria-metrics    VictoriaMetrics single-node binary
#   PROM_BIN=/usr/bin/prometheus        Prometheus server binary (2.42 on Debian 12)
set -euo pipefail

build=${1:?usage: scripts/bench.sh <build_dir>}
build=$(cd "$build" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)

hosts=${BENCH_HOSTS:-100}
duration=${BENCH_DURATION:-1h}
concurrency=${BENCH_CONCURRENCY:-4}
shards=${BENCH_SHARDS:-4}
systems=${BENCH_SYSTEMS:-strata vm prometheus}
runs=${BENCH_RUNS:-1}
max_skew=${BENCH_MAX_SKEW:-300}
settle=${BENCH_SETTLE:-5}
send_timeout=${BENCH_SEND_TIMEOUT:-15m}
query_timeout=${BENCH_QUERY_TIMEOUT:-600}
vm_bin=${VM_BIN:-/usr/bin/victoria-metrics}
prom_bin=${PROM_BIN:-/usr/bin/prometheus}
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
echo "== (b) end-to-end ingest: Strata vs VictoriaMetrics vs Prometheus"
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
steps=$(meta steps)
interval_ms=$(meta interval_ms)
requests=$(meta requests)
echo "-- data set: $want_series series, $want_samples samples, $requests requests" \
     "(per shard: $(meta shard_requests)), $(meta bytes) bytes, $steps steps of ${interval_ms} ms"
# The sender keeps its connections within BENCH_MAX_SKEW seconds of data time
# of each other, as the shards of a live remote_write queue are (they all send
# "now"). The file is in time order across shards, so that is a window of
# frames: frames per step x steps in the skew. Prometheus needs it: it rejects
# a whole request as out of bounds once one sample is older than its head
# (the newest sample minus an hour, or the last block cut), and without the
# window one connection drifts hours ahead of another in a 24 h replay.
max_lead=0
if (( max_skew > 0 )); then
  max_lead=$(( (max_skew * 1000 / interval_ms * requests + steps - 1) / steps ))
  (( max_lead >= 2 * shards )) || max_lead=$((2 * shards))
fi
echo "-- sender lead window: $max_lead frames (BENCH_MAX_SKEW=${max_skew}s of data time)"

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
    awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $NF; n++ } END { if (n) printf "%.0f\n", s }' || true
}
# First number in a Prometheus instant-vector answer, or "" on error. The
# answers end without a newline, hence the echo.
query_scalar() {
  { curl -s --max-time "$query_timeout" "http://127.0.0.1:$1/api/v1/query" --data-urlencode "query=$2" \
      --data-urlencode "time=$3"; echo; } |
    sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p'
}
# Samples stored in Prometheus, by count_over_time over the whole data set.
# Prometheus drops the metric name from the result of count_over_time and then
# refuses series that differ only by name ("vector cannot contain metrics with
# the same labelset"), so it counts one metric name at a time.
prom_count_samples() {
  local port=$1 t=$2 range=$3 names n c total=0
  names=$( { curl -s -G --max-time 60 "http://127.0.0.1:$port/api/v1/label/__name__/values" \
               --data-urlencode 'match[]={job="node"}'; echo; } |
           sed -n 's/.*"data":\[\(.*\)\].*/\1/p' | tr ',' '\n' | tr -d '"')
  [[ -n $names ]] || return 0
  while read -r n; do
    c=$(query_scalar "$port" "sum(count_over_time({__name__=\"$n\",job=\"node\"}[${range}s]))" "$t")
    [[ -n $c ]] || { echo "-- count_over_time failed for $n" >&2; return 0; }
    total=$((total + c))
  done <<<"$names"
  echo "$total"
}

# Writes a Prometheus config without scrape jobs: the server only receives
# remote writes, so the TSDB holds the benchmark's series and nothing else.
prom_config=$run_dir/prometheus.yml
cat >"$prom_config" <<'YAML'
# Written by scripts/bench.sh: no scrape jobs; data arrives by remote write.
global:
  scrape_interval: 15s
scrape_configs: []
YAML

results=()  # "run label samples wall_s cpu_send cpu_all peak_kib disk_bytes stored_ok"
failures=0
t_end=$((end_ms / 1000 + 60))
range=$((t_end - start_ms / 1000 + 60))

query_ranges=${BENCH_QUERY_RANGES:-1h 6h 24h}
query_repeat=${BENCH_QUERY_REPEAT:-5}
query_file=$(dirname "$0")/bench_queries.txt
query_results=()  # "run label range median_ms errors"

# "24h", "90m", "30s", "2d" -> seconds.
duration_seconds() {
  local n=${1%[smhd]}
  case ${1: -1} in s) echo "$n" ;; m) echo $((n * 60)) ;; h) echo $((n * 3600)) ;; d) echo $((n * 86400)) ;; *) echo "$1" ;; esac
}

# Grafana's step for a ~1000 px panel, rounded to a whole number of seconds
# and at least the 15 s scrape interval.
grafana_step() { local s=$(( $1 / 1000 )); (( s >= 15 )) || s=15; echo "$s"; }

# wait_vm_merges PORT DIR: until VictoriaMetrics reports no active merges
# (vm_active_merges summed over its types) and DIR's size held still for
# two checks 2 s apart; at most 15 minutes.
wait_vm_merges() {
  local port=$1 dir=$2 last=-1 still=0 start=$SECONDS merges size
  while (( SECONDS - start < 900 )); do
    merges=$(curl -s --max-time 10 "http://127.0.0.1:$port/metrics" |
             awk '/^vm_active_merges[{ ]/ {n += $2} END {print n + 0}')
    size=$(du -sb "$dir" | cut -f1)
    if [[ $merges == 0 && $size == "$last" ]]; then
      still=$((still + 1))
      if (( still >= 2 )); then
        echo "-- VictoriaMetrics merges settled after $((SECONDS - start)) s"
        return 0
      fi
    else
      still=0
    fi
    last=$size
    sleep 2
  done
  echo "-- VictoriaMetrics merges still running after 900 s; the disk figure may include replaced parts"
}

# run_queries RUN LABEL PORT: (c) for one settled server. Each query runs
# $query_repeat times per range; the per-range figure is the median over
# every query of its median latency.
run_queries() {
  local run=$1 label=$2 port=$3 r range_s step start end q i ms errors med
  for r in $query_ranges; do
    range_s=$(duration_seconds "$r")
    (( range_s <= t_end - start_ms / 1000 )) || range_s=$(( t_end - start_ms / 1000 ))
    step=$(grafana_step "$range_s")
    end=$(( (end_ms / 1000) / step * step ))
    start=$(( end - range_s ))
    local medians=() errors=0
    while IFS= read -r q; do
      [[ -z $q || $q == \#* ]] && continue
      local times=()
      for i in $(seq 1 "$query_repeat"); do
        local out code
        out=$(curl -s -o "$run_dir/query.out" -w '%{http_code} %{time_total}' --max-time "$query_timeout" \
                "http://127.0.0.1:$port/api/v1/query_range" --data-urlencode "query=$q" \
                --data-urlencode "start=$start" --data-urlencode "end=$end" --data-urlencode "step=$step" || true)
        code=${out%% *}
        if [[ $code != 200 ]] || ! grep -q '"status":"success"' "$run_dir/query.out"; then
          errors=$((errors + 1))
          [[ $i == 1 ]] && echo "-- $label: query failed (HTTP $code): $q: $(head -c 300 "$run_dir/query.out")"
          continue
        fi
        times+=("$(awk -v t="${out#* }" 'BEGIN { printf "%.3f", t * 1000 }')")
      done
      (( ${#times[@]} > 0 )) && medians+=("$(printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')")
    done <"$query_file"
    med=$(printf '%s\n' "${medians[@]:-0}" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
    echo "-- $label: queries over $r (step ${step}s): median of per-query medians $med ms, ${#medians[@]} queries, $errors failed runs"
    (( errors == 0 )) || failures=$((failures + 1))
    query_results+=("$run $label $r $med $errors")
  done
}

# run_system RUN SYSTEM: one replay into a fresh server; appends to results.
run_system() {
  local run=$1 system=$2 bin ready_path label port dir log send_out send_rc cpu0 cpu1 cpu2 result sent wall
  local stored series stored_ok peak disk code extra=""
  case $system in
    strata) bin=$strata_bin; ready_path=/ready; label=Strata ;;
    vm) bin=$vm_bin; ready_path=/health; label=VictoriaMetrics ;;
    prometheus | prom) bin=$prom_bin; ready_path=/-/ready; label=Prometheus ;;
    *) echo "unknown system $system (want strata, vm or prometheus)" >&2; exit 1 ;;
  esac
  echo
  if [[ ! -x $bin ]]; then
    echo "-- $label: $bin not found, skipped"
    return 0
  fi
  port=$(free_port)
  dir=$run_dir/$system-data
  log=$run_dir/$system.log
  rm -rf "$dir"
  mkdir -p "$dir"
  case $label in
    Strata) "$bin" all -storageDataPath="$dir" -httpListenAddr="127.0.0.1:$port" -retentionPeriod=100y >"$log" 2>&1 & ;;
    VictoriaMetrics)
      "$bin" -storageDataPath="$dir" -httpListenAddr="127.0.0.1:$port" -retentionPeriod=100y \
        -search.disableCache >"$log" 2>&1 & ;;
    Prometheus)
      # Retention far beyond the data, so no block is dropped; the admin API
      # for the snapshot; a query timeout for count_over_time over 24 h.
      "$bin" --config.file="$prom_config" --storage.tsdb.path="$dir" --storage.tsdb.retention.time=100y \
        --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver --web.enable-admin-api \
        --query.timeout="${query_timeout}s" >"$log" 2>&1 & ;;
  esac
  server_pid=$!
  echo "-- $label (run $run): pid $server_pid, port $port, data $dir, log $log"
  local ready=0
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
    return 0
  fi

  cpu0=$(cpu_ticks "$server_pid")
  send_out=$run_dir/$system.send.txt
  set +e
  "$loadgen" send -in="$data" -url="http://127.0.0.1:$port/api/v1/write" -concurrency="$concurrency" \
    -timeout="$send_timeout" -maxLead="$max_lead" | tee "$send_out"
  send_rc=${PIPESTATUS[0]}
  set -e
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "-- $label exited during the replay; last log lines:"
    tail -20 "$log"
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    failures=$((failures + 1))
    return 0
  fi
  cpu1=$(cpu_ticks "$server_pid")
  result=$(grep '^RESULT ' "$send_out" || true)
  sent=$(sed -n 's/.* samples=\([^ ]*\).*/\1/p' <<<"$result")
  wall=$(sed -n 's/.* seconds=\([^ ]*\).*/\1/p' <<<"$result")
  if [[ $send_rc != 0 || -z $sent ]]; then
    echo "-- $label: send failed (exit $send_rc)"
    failures=$((failures + 1))
  fi

  local snap_dir=
  if [[ $label == Prometheus ]]; then
    # Prometheus has no force_flush/force_merge. A snapshot hard-links the
    # blocks it already cut and writes the in-memory head (the last 1-3 h)
    # as one more block, so the snapshot is all the data in the compressed
    # block format, without the WAL: the settled figure.
    local snap
    snap=$( { curl -s -XPOST --max-time "$query_timeout" \
                "http://127.0.0.1:$port/api/v1/admin/tsdb/snapshot"; echo; } |
            sed -n 's/.*"name":"\([^"]*\)".*/\1/p')
    if [[ -n $snap && -d $dir/snapshots/$snap ]]; then
      snap_dir=$dir/snapshots/$snap
      echo "-- snapshot: $snap_dir"
    else
      echo "-- snapshot failed; the disk figure is the data directory"
    fi
  else
    # Strata answers both only when done, which takes minutes for 24 h of
    # data.
    code=$(http_code --max-time 1800 "http://127.0.0.1:$port/internal/force_flush")
    if [[ $code == 200 ]]; then echo "-- force_flush: 200"; else echo "-- force_flush: HTTP $code, skipped"; fi
    # Both compact on /internal/force_merge, so the disk figure is of a
    # settled store.
    code=$(http_code --max-time 1800 "http://127.0.0.1:$port/internal/force_merge")
    if [[ $code == 200 ]]; then echo "-- force_merge: 200"; else echo "-- force_merge: HTTP $code, skipped"; fi
    # VictoriaMetrics answers force_merge at once and merges in the
    # background: measured right away, its disk held old and new parts
    # (1.73 against 1.04 bytes/sample on the same data in two runs).
    if [[ $label == VictoriaMetrics ]]; then wait_vm_merges "$port" "$dir"; fi
  fi
  sleep "$settle"
  cpu2=$(cpu_ticks "$server_pid")
  peak=$(peak_rss_kib "$server_pid")

  # Guard against silent data loss: ask the server what it stored.
  stored_ok=yes
  case $label in
    Strata)
      # Strata's query engine cannot evaluate count_over_time yet: read the
      # storage's own counters instead (summed over storage nodes).
      stored=$(metric_sum "$port" strata_storage_samples_appended_total)
      # Series: what an instant query at the end returns (the head holds
      # only recently written series; the rest come from the index).
      series=$( { curl -s --max-time "$query_timeout" -G "http://127.0.0.1:$port/api/v1/query" \
        --data-urlencode 'query={job="node"}' --data-urlencode "time=$t_end"; echo; } | grep -o '"metric":' | wc -l)
      echo "$label appended ${stored:-?} samples (expected $want_samples) to ${series:-?} series" \
           "(expected $want_series); out of order accepted $(metric_sum "$port" strata_storage_samples_out_of_order_total)," \
           "too old rejected $(metric_sum "$port" strata_storage_samples_too_old_total)," \
           "duplicates $(metric_sum "$port" strata_storage_samples_duplicate_total) (strata_storage_* on /metrics)"
      ;;
    VictoriaMetrics)
      stored=$(query_scalar "$port" "sum(count_over_time({job=\"node\"}[${range}s]))" "$t_end")
      series=$(query_scalar "$port" 'count({job="node"})' "$t_end")
      local index_count
      index_count=$( { curl -s --max-time 30 "http://127.0.0.1:$port/api/v1/series/count"; echo; } |
        sed -n 's/.*"data":\[\([0-9]*\)\].*/\1/p')
      echo "$label stored ${stored:-?} samples (expected $want_samples), ${series:-?} series at the end" \
           "(expected $want_series); /api/v1/series/count: ${index_count:-n/a}"
      ;;
    Prometheus)
      local t0=$SECONDS snap_samples="n/a"
      stored=$(prom_count_samples "$port" "$t_end" "$range")
      series=$(query_scalar "$port" 'count({job="node"})' "$t_end")
      # Cross-check: the blocks of the snapshot state how many samples they hold.
      if [[ -n $snap_dir ]]; then
        snap_samples=$(cat "$snap_dir"/*/meta.json 2>/dev/null |
          sed -n 's/.*"numSamples": *\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }' || true)
        [[ $snap_samples == "$want_samples" ]] || stored_ok=NO
      fi
      echo "$label stored ${stored:-?} samples by count_over_time ($((SECONDS - t0)) s), $snap_samples in the" \
           "snapshot's blocks (expected $want_samples), ${series:-?} series at the end (expected $want_series);" \
           "rejected: out of bounds $(metric_sum "$port" prometheus_tsdb_out_of_bound_samples_total)," \
           "out of order $(metric_sum "$port" prometheus_tsdb_out_of_order_samples_total)," \
           "too old $(metric_sum "$port" prometheus_tsdb_too_old_samples_total);" \
           "compactions $(metric_sum "$port" prometheus_tsdb_compactions_total)"
      ;;
  esac
  if [[ $stored != "$want_samples" || $series != "$want_series" || $stored_ok != yes ]]; then
    stored_ok=NO
    echo "-- $label: MISMATCH between sent and stored data"
    failures=$((failures + 1))
  fi

  [[ -n ${BENCH_SKIP_QUERIES:-} ]] || run_queries "$run" "$label" "$port"

  if [[ -n $snap_dir ]]; then
    disk=$(du -sb "$snap_dir" | cut -f1)
    extra=", live data dir without the snapshot (blocks+wal+chunks_head) $(du -sb --exclude=snapshots "$dir" | cut -f1) bytes"
  else
    disk=$(du -sb "$dir" | cut -f1)
  fi
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  [[ -n ${BENCH_KEEP_DATA:-} ]] || rm -rf "$dir"
  echo "-- $label: cpu ticks during send $((cpu1 - cpu0)), incl. flush+merge+settle $((cpu2 - cpu0))" \
       "(CLK_TCK $clk_tck); peak RSS $peak KiB; disk $disk bytes$extra; load: $(cut -d' ' -f1-3 /proc/loadavg)"
  results+=("$run $label ${sent:-0} ${wall:-0} $((cpu1 - cpu0)) $((cpu2 - cpu0)) ${peak:-0} $disk $stored_ok")
}

for run in $(seq 1 "$runs"); do
  (( runs == 1 )) || { echo; echo "== run $run of $runs"; }
  for system in $systems; do
    run_system "$run" "$system"
  done
done

# ------------------------------------------------------------------ report
if [[ ${#results[@]} -eq 0 ]]; then
  echo "no system was run"
  exit 1
fi
report=$build/bench-results.md
printf '%s\n' "${results[@]}" | awk -v tck="$clk_tck" -v commit="$commit" -v bt="$build_type" \
  -v machine="$machine" -v hosts="$hosts" -v dur="$duration" -v conc="$concurrency" -v runs="$runs" \
  -v date="$(date -u +%Y-%m-%dT%H:%MZ)" -v out="$report" -v nser="$want_series" -v skew="$max_skew" \
  -v load="$(cut -d' ' -f1-3 /proc/loadavg)" '
  # Rows: run, system, then the figures f[1..7]: wall s, samples/s, CPU s/1M,
  # CPU s/1M incl. flush, RSS MiB, disk B/sample (samples kept apart).
  {
    n++; run[n] = $1; sys[n] = $2; samples[n] = $3
    f[n, 1] = $4
    f[n, 2] = $4 > 0 ? $3 / $4 : 0
    f[n, 3] = $3 > 0 ? ($5 / tck) / ($3 / 1e6) : 0
    f[n, 4] = $3 > 0 ? ($6 / tck) / ($3 / 1e6) : 0
    f[n, 5] = $7 / 1024
    f[n, 6] = $3 > 0 ? $8 / $3 : 0
    ok[n] = $9
    row[$1, $2] = n
  }
  function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "n/a" }
  function median(arr, m,    i, j, t) {
    for (i = 2; i <= m; i++) for (j = i; j > 1 && arr[j - 1] > arr[j]; j--) { t = arr[j]; arr[j] = arr[j - 1]; arr[j - 1] = t }
    return m % 2 ? arr[(m + 1) / 2] : (arr[m / 2] + arr[m / 2 + 1]) / 2
  }
  function fmtrow(name, r, vals, okv, md) {
    # vals: the 6 figures; md: markdown or text
    if (md) return sprintf("| %s | %s | %s | %.2f | %.0f | %.3f | %.3f | %.1f | %.3f | %s |", r, name, samplesv, vals[1], vals[2], vals[3], vals[4], vals[5], vals[6], okv)
    return sprintf("%-4s %-16s %12s %9.2f %12.0f %10.3f %14.3f %9.1f %11.3f %7s", r, name, samplesv, vals[1], vals[2], vals[3], vals[4], vals[5], vals[6], okv)
  }
  function ratiorow(name, r, a, b, md,    k, rs) {
    rs = ""
    for (k = 1; k <= 6; k++) {
      rv[k] = ratio(f[a, k], f[b, k])
      if (!md && rv[k] != "n/a") rsum[name, k, ++rcount[name, k]] = rv[k] + 0
    }
    if (md) return sprintf("| %s | **%s** | | %s | %s | %s | %s | %s | %s | |", r, name, rv[1], rv[2], rv[3], rv[4], rv[5], rv[6])
    return sprintf("%-4s %-16s %12s %9s %12s %10s %14s %9s %11s", r, name, "", rv[1], rv[2], rv[3], rv[4], rv[5], rv[6])
  }
  function emit(line, md) { if (md) print line > out; else print line }
  END {
    hdr = sprintf("End-to-end ingest, %s hosts x %s of node_exporter data (%s series), %s sender connections (within %s s of data time of each other), %d run(s)", hosts, dur, nser, conc, skew, runs)
    meta = sprintf("commit %s, build type %s, %s, %s, load average at the end %s", commit, bt, machine, date, load)
    printf "\n%s\n%s\n\n", hdr, meta
    print "# Ingest benchmark results\n" > out
    print hdr ".\n\n" meta ".\n" > out
    th = sprintf("%-4s %-16s %12s %9s %12s %10s %14s %9s %11s %7s", "run", "system", "samples", "wall s", "samples/s", "CPU s/1M", "CPU s/1M+flush", "RSS MiB", "disk B/smp", "stored")
    print th
    print "| run | system | samples | wall s | samples/s | CPU s per 1M samples | CPU s per 1M incl. flush/merge/snapshot | peak RSS MiB | disk bytes/sample | stored = sent |" > out
    print "|---|---|---:|---:|---:|---:|---:|---:|---:|---|" > out
    nsys = split("Strata VictoriaMetrics Prometheus", names, " ")
    for (r = 1; r <= runs; r++) {
      for (k = 1; k <= nsys; k++) {
        i = row[r, names[k]]
        if (!i) continue
        for (j = 1; j <= 6; j++) v[j] = f[i, j]
        samplesv = samples[i]
        for (md = 0; md <= 1; md++) emit(fmtrow(names[k], r, v, ok[i], md), md)
        nv = ++cnt[names[k]]
        for (j = 1; j <= 6; j++) col[names[k], j, nv] = f[i, j]
        msamples[names[k]] = samples[i]
        if (ok[i] != "yes") bad[names[k]] = 1
      }
      s = row[r, "Strata"]; vm = row[r, "VictoriaMetrics"]; p = row[r, "Prometheus"]
      for (md = 0; md <= 1; md++) {
        if (s && vm) emit(ratiorow("Strata/VM", r, s, vm, md), md)
        if (s && p) emit(ratiorow("Strata/Prom", r, s, p, md), md)
      }
    }
    if (runs > 1) {
      print "\nMedians over " runs " runs (ratio rows: median of the per-run ratios):"
      print "\nMedians over " runs " runs (ratio rows: median of the per-run ratios):\n" > out
      print "| | system | samples | wall s | samples/s | CPU s per 1M samples | CPU s per 1M incl. flush/merge/snapshot | peak RSS MiB | disk bytes/sample | stored = sent |" > out
      print "|---|---|---:|---:|---:|---:|---:|---:|---:|---|" > out
      for (k = 1; k <= nsys; k++) {
        nm = names[k]
        if (!cnt[nm]) continue
        for (j = 1; j <= 6; j++) { delete a; for (q = 1; q <= cnt[nm]; q++) a[q] = col[nm, j, q]; v[j] = median(a, cnt[nm]) }
        samplesv = msamples[nm]
        for (md = 0; md <= 1; md++) emit(fmtrow(nm, "med", v, bad[nm] ? "NO" : "yes", md), md)
      }
      split("Strata/VM Strata/Prom", rn, " ")
      for (k = 1; k <= 2; k++) {
        if (!rcount[rn[k], 1]) continue
        for (j = 1; j <= 6; j++) {
          delete a; m = rcount[rn[k], j]
          for (q = 1; q <= m; q++) a[q] = rsum[rn[k], j, q]
          rv[j] = m ? sprintf("%.2f", median(a, m)) : "n/a"
        }
        printf "%-4s %-16s %12s %9s %12s %10s %14s %9s %11s\n", "med", rn[k], "", rv[1], rv[2], rv[3], rv[4], rv[5], rv[6]
        printf "| med | **%s** | | %s | %s | %s | %s | %s | %s | |\n", rn[k], rv[1], rv[2], rv[3], rv[4], rv[5], rv[6] > out
      }
    }
    print "\nCPU is the server process utime+stime from /proc/PID/stat during the replay (\"incl. flush\" adds force_flush and force_merge, or for Prometheus the snapshot, and the settle wait); peak RSS is VmHWM; disk is `du -sb` of the data directory after force_flush and force_merge (Strata, VictoriaMetrics) or of a TSDB snapshot, i.e. all blocks plus the head written as a block (Prometheus)." > out
  }'
if (( ${#query_results[@]} > 0 )); then
  printf '%s\n' "${query_results[@]}" | awk -v out="$report" -v reps="$query_repeat" '
    { key = $3; ms[$1, $2, key] = $4; err[$1, $2, key] = $5; if (!(key in seen)) { seen[key] = 1; order[++nr] = key } ; runs[$1] = 1 }
    END {
      print "\nQuery latency: median over the queries of scripts/bench_queries.txt of each query'"'"'s median of " reps " runs, in ms" 
      print "\n## Query latency\n\nMedian over the queries of `scripts/bench_queries.txt` of each query'"'"'s median of " reps " runs, in ms.\n" >> out
      print "| run | range | Strata | VictoriaMetrics | Prometheus | Strata/VM | Strata/Prom |" >> out
      print "|---|---|---:|---:|---:|---:|---:|" >> out
      for (r in runs) for (i = 1; i <= nr; i++) {
        k = order[i]; s = ms[r, "Strata", k]; v = ms[r, "VictoriaMetrics", k]; p = ms[r, "Prometheus", k]
        sv = s == "" ? "n/a" : s; vv = v == "" ? "n/a" : v; pv = p == "" ? "n/a" : p
        rv = (s != "" && v > 0) ? sprintf("%.2f", s / v) : "n/a"; rp = (s != "" && p > 0) ? sprintf("%.2f", s / p) : "n/a"
        printf "run %s %-4s Strata %8s ms  VM %8s ms  Prometheus %8s ms  Strata/VM %s  Strata/Prom %s\n", r, k, sv, vv, pv, rv, rp
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", r, k, sv, vv, pv, rv, rp >> out
      }
    }'
fi
echo
echo "-- written $report"
if [[ $failures -gt 0 ]]; then
  echo "-- $failures problem(s) above: the figures are not trustworthy" >&2
  exit 1
fi
