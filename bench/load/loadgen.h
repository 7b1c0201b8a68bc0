// File: bench/load/loadgen.h
//
// Shared pieces of strata_loadgen, the remote_write load generator used by
// scripts/bench.sh: Go-style `-name=value` flags, and the frame file it
// writes and replays.
//
// Frame file (format 2): a header `"SLGF" | u32le version=2 | u32le shards`,
// then frames `u32le length | u32le shard | body`, where each body is one
// snappy-compressed prometheus.WriteRequest exactly as it goes on the wire.
// Like a Prometheus remote_write queue, the generator puts every series in
// one shard (hash of its labels) and writes each shard's frames in time
// order; `send` gives every shard to one connection so that each series
// arrives in order. A sidecar `<file>.meta` holds `key=value` lines (format,
// shards, series, samples, requests, start_ms, end_ms, ...) that the
// benchmark script reads.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/labels.h"

namespace strata::bench {

// Parsed `-name=value` / `--name=value` arguments. Thread-compatible.
class Flags {
 public:
  static absl::StatusOr<Flags> Parse(int argc, char** argv);

  // InvalidArgument naming the first flag not in `known`.
  absl::Status CheckKnown(std::initializer_list<std::string_view> known) const;

  bool Has(std::string_view name) const { return values_.find(name) != values_.end(); }
  std::string GetString(std::string_view name, std::string_view def) const;
  absl::StatusOr<int64_t> GetInt(std::string_view name, int64_t def) const;
  // Go-style durations ("2h", "1h30m", "15s", "500ms"), in milliseconds.
  absl::StatusOr<int64_t> GetDurationMs(std::string_view name, int64_t def_ms) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

absl::StatusOr<int64_t> ParseDurationMs(std::string_view s);

// A read-only view of a frame file (mmap). Thread-safe after Open.
class FrameFile {
 public:
  static absl::StatusOr<FrameFile> Open(const std::string& path);
  FrameFile(FrameFile&& other) noexcept;
  FrameFile& operator=(FrameFile&&) = delete;
  ~FrameFile();

  const std::vector<std::string_view>& frames() const { return frames_; }
  // The shard of each frame, parallel to frames(); each < num_shards().
  const std::vector<uint32_t>& shards() const { return shards_; }
  uint32_t num_shards() const { return num_shards_; }
  size_t size_bytes() const { return size_; }

 private:
  FrameFile() = default;
  void* map_ = nullptr;
  size_t size_ = 0;
  uint32_t num_shards_ = 0;
  std::vector<std::string_view> frames_;
  std::vector<uint32_t> shards_;
};

inline constexpr char kFrameFileMagic[4] = {'S', 'L', 'G', 'F'};
inline constexpr uint32_t kFrameFileVersion = 2;

// The shard of a series (FNV-1a over its sorted labels, mod `shards`), fixed
// so that generated files do not depend on the platform's std::hash.
uint32_t ShardOf(const std::vector<LabelView>& labels, uint32_t shards);

// Walks one compressed WriteRequest and counts its TimeSeries and samples.
struct FrameCounts {
  uint64_t series = 0;
  uint64_t samples = 0;
};
absl::StatusOr<FrameCounts> CountFrame(std::string_view snappy_body);

int RunGenerate(const Flags& flags);
int RunSend(const Flags& flags);
int RunInspect(const Flags& flags);

}  // namespace strata::bench
