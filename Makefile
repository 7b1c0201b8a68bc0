# Strata: the two commands of the contract are `make run` and `make test`.
# Both install what is missing (scripts/install-deps.sh), then build.
#
#   make run        build and start `strata all` (data in ./strata-data)
#   make cluster    build and start 1 insert, 3 storage (RF=2), 1 select on 127.0.0.1
#   make test       build and run the whole test suite (unit, e2e, slow), then
#                   10 s of each fuzz target (scripts/fuzz.sh, build-fuzz)
#   make test-quick build and run the quick tests only (the inner loop)
#   make bench      build and run the micro benchmarks and the end-to-end comparison
#   make fuzz       run each fuzz target for FUZZ_SECONDS (600) (docs/fuzzing.md)

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
# Benchmarks are only meaningful in a Release build (bench/README.md).
BENCH_BUILD_DIR ?= build-release
JOBS ?= $(shell nproc)
DATA_DIR ?= ./strata-data
HTTP_ADDR ?= :8428
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 600
# ccache keys on relative paths below the checkout and not on the working
# directory (which -g would otherwise add), so a clone in another directory
# (CI) still hits the cache of earlier builds.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
ifeq ($(CI),true)
CMAKE_FLAGS += -DSTRATA_WERROR=ON
endif

.PHONY: all deps configure build server run cluster test test-quick bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS); \
	fi

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# run and cluster build only the server binary, not the tests and benchmarks.
server: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target strata

run: server
	@scripts/run-all.sh $(BUILD_DIR)/src/cmd/strata/strata $(DATA_DIR) $(HTTP_ADDR)

cluster: server
	@scripts/run-cluster.sh $(BUILD_DIR)/src/cmd/strata/strata ./cluster-data

test: build
	@scripts/check-test-names.sh
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600
	@JOBS=$(JOBS) scripts/fuzz.sh 10

test-quick: build
	@scripts/check-test-names.sh
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L quick --timeout 300

bench: deps
	@if [ ! -f $(BENCH_BUILD_DIR)/build.ninja ]; then \
	  cmake -S . -B $(BENCH_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_BUILD_TESTS=OFF $(CMAKE_FLAGS); \
	fi
	@cmake --build $(BENCH_BUILD_DIR) -j $(JOBS)
	@scripts/bench.sh $(BENCH_BUILD_DIR)

fuzz: deps
	@JOBS=$(JOBS) scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR) $(BENCH_BUILD_DIR) build-fuzz
