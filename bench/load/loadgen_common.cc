#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>
#include <snappy.h>

#include "bench/load/loadgen.h"
#include "common/base/status.h"
#include "common/encoding/varint.h"

namespace strata::bench {

absl::StatusOr<Flags> Flags::Parse(int argc, char** argv) {
  Flags f;
  for (int i = 0; i < argc; ++i) {
    std::string_view a = argv[i];
    if (!a.starts_with("-")) return absl::InvalidArgumentError(fmt::format("unexpected argument {:?}", a));
    a.remove_prefix(a.starts_with("--") ? 2 : 1);
    size_t eq = a.find('=');
    if (eq == std::string_view::npos) {
      f.values_[std::string(a)] = "true";
    } else {
      f.values_[std::string(a.substr(0, eq))] = std::string(a.substr(eq + 1));
    }
  }
  return f;
}

absl::Status Flags::CheckKnown(std::initializer_list<std::string_view> known) const {
  for (const auto& [name, value] : values_) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == name;
    if (!ok) return absl::InvalidArgumentError(fmt::format("unknown flag -{}", name));
  }
  return absl::OkStatus();
}

std::string Flags::GetString(std::string_view name, std::string_view def) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::string(def) : it->second;
}

absl::StatusOr<int64_t> Flags::GetInt(std::string_view name, int64_t def) const {
  auto it = values_.find(name);
  if (it == values_.end()) return def;
  char* end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0') {
    return absl::InvalidArgumentError(fmt::format("invalid -{}={:?}: want an integer", name, it->second));
  }
  return v;
}

absl::StatusOr<int64_t> Flags::GetDurationMs(std::string_view name, int64_t def_ms) const {
  auto it = values_.find(name);
  if (it == values_.end()) return def_ms;
  absl::StatusOr<int64_t> d = ParseDurationMs(it->second);
  if (!d.ok()) return Annotate(d.status(), fmt::format("invalid -{}", name));
  return d;
}

absl::StatusOr<int64_t> ParseDurationMs(std::string_view s) {
  if (s.empty()) return absl::InvalidArgumentError("empty duration");
  double total = 0;
  std::string str(s);
  const char* p = str.c_str();
  while (*p != '\0') {
    char* end = nullptr;
    double v = std::strtod(p, &end);
    if (end == p || v < 0) return absl::InvalidArgumentError(fmt::format("cannot parse duration {:?}", s));
    p = end;
    double unit;
    if (std::strncmp(p, "ms", 2) == 0) {
      unit = 1;
      p += 2;
    } else if (*p == 's') {
      unit = 1000;
      ++p;
    } else if (*p == 'm') {
      unit = 60'000;
      ++p;
    } else if (*p == 'h') {
      unit = 3'600'000;
      ++p;
    } else if (*p == 'd') {
      unit = 86'400'000;
      ++p;
    } else {
      return absl::InvalidArgumentError(fmt::format("duration {:?} needs a unit (ms, s, m, h, d)", s));
    }
    total += v * unit;
  }
  return static_cast<int64_t>(total);
}

absl::StatusOr<FrameFile> FrameFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return absl::InternalError(fmt::format("cannot stat {}: {}", path, std::strerror(errno)));
  }
  FrameFile f;
  f.size_ = static_cast<size_t>(st.st_size);
  if (f.size_ > 0) {
    f.map_ = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (f.map_ == MAP_FAILED) {
      f.map_ = nullptr;
      ::close(fd);
      return absl::InternalError(fmt::format("cannot mmap {}: {}", path, std::strerror(errno)));
    }
  }
  ::close(fd);
  const char* p = static_cast<const char*>(f.map_);
  if (f.size_ < 12 || std::memcmp(p, kFrameFileMagic, 4) != 0) {
    return absl::FailedPreconditionError(
        fmt::format("{}: not a format-{} frame file (older files have no shard per frame); regenerate it", path,
                    kFrameFileVersion));
  }
  if (LoadFixed32(p + 4) != kFrameFileVersion) {
    return absl::FailedPreconditionError(
        fmt::format("{}: frame file version {}, want {}; regenerate it", path, LoadFixed32(p + 4), kFrameFileVersion));
  }
  f.num_shards_ = LoadFixed32(p + 8);
  if (f.num_shards_ == 0) return absl::DataLossError(fmt::format("{}: zero shards in the header", path));
  size_t off = 12;
  while (off < f.size_) {
    if (f.size_ - off < 8) return absl::DataLossError(fmt::format("{}: truncated frame header at byte {}", path, off));
    uint32_t len = LoadFixed32(p + off);
    uint32_t shard = LoadFixed32(p + off + 4);
    if (shard >= f.num_shards_) {
      return absl::DataLossError(fmt::format("{}: frame at byte {} has shard {} of {}", path, off, shard, f.num_shards_));
    }
    off += 8;
    if (f.size_ - off < len) return absl::DataLossError(fmt::format("{}: truncated frame at byte {}", path, off));
    f.frames_.emplace_back(p + off, len);
    f.shards_.push_back(shard);
    off += len;
  }
  return f;
}

uint32_t ShardOf(const std::vector<LabelView>& labels, uint32_t shards) {
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](std::string_view s) {
    for (char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
    h ^= 0xff;
    h *= 0x100000001b3ULL;
  };
  for (const LabelView& l : labels) {
    mix(l.name);
    mix(l.value);
  }
  return static_cast<uint32_t>(h % shards);
}

FrameFile::FrameFile(FrameFile&& other) noexcept
    : map_(std::exchange(other.map_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      num_shards_(other.num_shards_),
      frames_(std::move(other.frames_)),
      shards_(std::move(other.shards_)) {}

FrameFile::~FrameFile() {
  if (map_ != nullptr) ::munmap(map_, size_);
}

namespace {

// Skips a field of `wire_type`; false when malformed or unsupported.
bool SkipField(ByteReader* r, uint64_t wire_type) {
  uint64_t v;
  std::string_view s;
  switch (wire_type) {
    case 0: return r->GetVarint(&v);
    case 1: return r->GetFixed64(&v);
    case 2: return r->GetLengthPrefixed(&s);
    case 5: {
      uint32_t x;
      return r->GetFixed32(&x);
    }
    default: return false;
  }
}

}  // namespace

absl::StatusOr<FrameCounts> CountFrame(std::string_view snappy_body) {
  thread_local std::string proto;
  proto.clear();
  if (!snappy::Uncompress(snappy_body.data(), snappy_body.size(), &proto)) {
    return absl::DataLossError("cannot uncompress frame: invalid snappy block");
  }
  FrameCounts c;
  ByteReader req(proto);
  while (!req.empty()) {
    uint64_t tag;
    if (!req.GetVarint(&tag)) return absl::DataLossError("malformed WriteRequest");
    if (tag != ((1 << 3) | 2)) {
      if (!SkipField(&req, tag & 7)) return absl::DataLossError("malformed WriteRequest field");
      continue;
    }
    std::string_view ts_bytes;
    if (!req.GetLengthPrefixed(&ts_bytes)) return absl::DataLossError("malformed TimeSeries");
    ++c.series;
    ByteReader ts(ts_bytes);
    while (!ts.empty()) {
      uint64_t t;
      if (!ts.GetVarint(&t) || !SkipField(&ts, t & 7)) return absl::DataLossError("malformed TimeSeries field");
      if (t == ((2 << 3) | 2)) ++c.samples;
    }
  }
  return c;
}

}  // namespace strata::bench
