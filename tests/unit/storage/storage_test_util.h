// File: tests/unit/storage/storage_test_util.h
//
// Helpers shared by the storage tests: a self-deleting temp directory,
// batch builders and matcher shorthands.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "common/model/matcher.h"
#include "common/model/write_batch.h"
#include "storage/index/rocks_store.h"

namespace strata::storage::testing {

// A retention (DbOptions::retention_ms) that keeps the 1969-1970 timestamps
// most storage tests write: the default month would drop them at Open.
inline constexpr int64_t kKeepForeverMs = 100LL * 365 * 86'400'000;

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() /
             ("strata_storage_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++)))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Opens (creating) a RocksStore at `path`; the test stops when it cannot.
inline std::unique_ptr<RocksStore> MustOpenStore(const std::string& path) {
  auto store = RocksStore::Open({.path = path});
  REQUIRE(store.ok());
  return std::move(store).value();
}

// A chunk with the given time bounds and (opaque) bytes.
inline ChunkData MakeChunk(int64_t mint, int64_t maxt, std::string data) {
  ChunkData c;
  c.min_time_ms = mint;
  c.max_time_ms = maxt;
  c.data = std::move(data);
  return c;
}

// One batch with one series `{__name__=name, extra...}` and the samples.
inline std::string OneSeriesBatch(TenantId tenant, std::vector<LabelView> labels, const std::vector<Sample>& samples) {
  WriteBatchBuilder b(tenant);
  b.AddSeries(labels, samples);
  return b.Finish();
}

inline Matcher M(MatchType type, std::string name, std::string value) {
  auto m = Matcher::Create(type, std::move(name), std::move(value));
  REQUIRE(m.ok());
  return *m;
}

}  // namespace strata::storage::testing
