#!/usr/bin/env bash
# Starts a local cluster on 127.0.0.1: 3 storage nodes, 1 insert node and
# 1 select node with replicationFactor=2, each a separate process, logs under
# <data>/logs. Ctrl-C stops them all.
set -euo pipefail
bin=${1:?strata binary}
data=${2:-./cluster-data}
mkdir -p "$data/logs"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

insert_nodes=()
select_nodes=()
for i in 0 1 2; do
  http=$((8482 + i * 10)); ins=$((8400 + i * 10)); sel=$((8401 + i * 10))
  "$bin" storage -storageDataPath="$data/storage-$i" -httpListenAddr=127.0.0.1:$http \
    -insertListenAddr=127.0.0.1:$ins -selectListenAddr=127.0.0.1:$sel >"$data/logs/storage-$i.log" 2>&1 &
  pids+=($!)
  insert_nodes+=("127.0.0.1:$ins")
  select_nodes+=("127.0.0.1:$sel")
done
join() { local IFS=,; echo "$*"; }
"$bin" insert -httpListenAddr=127.0.0.1:8480 -storageNode="$(join "${insert_nodes[@]}")" \
  -replicationFactor=2 >"$data/logs/insert.log" 2>&1 &
pids+=($!)
"$bin" select -httpListenAddr=127.0.0.1:8481 -storageNode="$(join "${select_nodes[@]}")" \
  -replicationFactor=2 >"$data/logs/select.log" 2>&1 &
pids+=($!)
cat <<MSG
Strata cluster: 3 storage (replicationFactor=2), 1 insert, 1 select. Logs in $data/logs
  Prometheus remote_write url:     http://127.0.0.1:8480/insert/0/prometheus/api/v1/write
  Grafana Prometheus datasource:   http://127.0.0.1:8481/select/0/prometheus
  Storage nodes (HTTP):            http://127.0.0.1:8482 :8492 :8502
Stop with Ctrl-C.
MSG
wait
