#!/usr/bin/env bash
# Installs every Debian package Strata needs to build, test and benchmark.
# Idempotent and fast when everything is present: it asks dpkg first and only
# runs apt-get for the packages that are missing.
#
# Usage: scripts/install-deps.sh            (build + test + bench dependencies)
#        STRATA_DEPS=build scripts/install-deps.sh   (build only)
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost-dev libboost-system-dev
  libsnappy-dev libzstd-dev zlib1g-dev
  libprotobuf-dev protobuf-compiler
  libabsl-dev libxxhash-dev librocksdb-dev prometheus-cpp-dev
  catch2 libbenchmark-dev
  libre2-dev libsimdjson-dev libfmt-dev libspdlog-dev
  libssl-dev
)

# Real peers used by the end-to-end tests and the benchmark harness.
test_packages=(
  prometheus victoria-metrics prometheus-alertmanager prometheus-node-exporter
  curl procps clang-14 libclang-rt-14-dev
  openssl
)

wanted=("${build_packages[@]}")
if [[ "${STRATA_DEPS:-all}" != "build" ]]; then
  wanted+=("${test_packages[@]}")
  # Node.js and npm run the OpenTelemetry JS SDK in the OTLP end-to-end test.
  # Any node >= 18.19 with its npm will do: a machine with NodeSource's
  # nodejs (which bundles npm and conflicts with Debian's npm package) keeps
  # it; otherwise Debian's packages are installed.
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    wanted+=(nodejs npm)
  fi
fi

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's packages start their services on install; the tests run their own
# instances on ephemeral ports, so stop the system ones to free the default ports.
if command -v systemctl >/dev/null 2>&1; then
  for svc in prometheus victoria-metrics prometheus-alertmanager prometheus-node-exporter; do
    $SUDO systemctl stop "$svc" >/dev/null 2>&1 || true
  done
fi
echo "install-deps: done"
