#!/usr/bin/env bash
# Starts `strata all` (insert + storage + select in one process) in the
# foreground and prints the URLs to point Prometheus and Grafana at.
set -euo pipefail
bin=${1:?strata binary}
data=${2:-./strata-data}
addr=${3:-:8428}
port=${addr##*:}
mkdir -p "$data"
cat <<MSG
Strata (all roles in one process) on port ${port}, data in ${data}
  Prometheus remote_write url:     http://127.0.0.1:${port}/api/v1/write
  Grafana Prometheus datasource:   http://127.0.0.1:${port}
  Query API:                       http://127.0.0.1:${port}/api/v1/query?query=up
  Self-metrics:                    http://127.0.0.1:${port}/metrics
Stop with Ctrl-C.
MSG
exec "$bin" all -storageDataPath="$data" -httpListenAddr="$addr"
