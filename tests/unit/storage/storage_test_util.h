// File: tests/unit/storage/storage_test_util.h
//
// Helpers shared by the storage tests: a self-deleting temp directory,
// batch builders and matcher shorthands.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
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

// Copies the data directory of an engine that is still open, as kill -9
// would leave it (what the page cache holds). RocksDB may still be
// compacting in the background and deleting the files it replaced, which a
// recursive copy meets as a vanished file; a real crash image is taken at
// one instant. So this waits until the directory's listing (names and sizes)
// holds still for 100 ms, then copies, and copies again if a file vanished.
inline void CopyLiveDataDir(const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  auto listing = [&from] {
    std::vector<std::pair<std::string, uintmax_t>> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(from, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      std::error_code size_ec;
      const uintmax_t size = it->is_regular_file(size_ec) ? it->file_size(size_ec) : 0;
      files.emplace_back(it->path().string(), size_ec ? 0 : size);
    }
    std::sort(files.begin(), files.end());
    return files;
  };
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto before = listing();
    for (int still = 0; still < 100; ++still) {  // at most 10 s
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto now = listing();
      if (now == before) break;
      before = std::move(now);
    }
    std::error_code ec;
    fs::remove_all(to, ec);
    fs::copy(from, to, fs::copy_options::recursive, ec);
    if (!ec) return;
  }
  FAIL("cannot copy the live data directory " << from);
}

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
