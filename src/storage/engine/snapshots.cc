#include "storage/engine/snapshots.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "common/base/logging.h"
#include "common/base/status.h"
#include "storage/index/rocks_store.h"

namespace strata::storage {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTmpSuffix = ".tmp";

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

absl::Status FsError(std::string_view what, const std::string& path, const std::error_code& ec) {
  return absl::UnavailableError(fmt::format("cannot {} \"{}\": {}", what, path, ec.message()));
}

void FsyncPath(const std::string& path, bool dir) {
  int fd = ::open(path.c_str(), (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// Copies the first bytes of `from` present now; the WAL keeps appending to
// its open segment meanwhile, and a record cut at the end is a torn tail
// that replay truncates.
absl::Status CopyFile(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return FsError("copy WAL segment to", to, ec);
  FsyncPath(to, false);
  return absl::OkStatus();
}

}  // namespace

SnapshotManager::SnapshotManager(std::string data_path, RocksStore* store, std::string wal_dir,
                                 std::function<absl::Status()> flush)
    : dir_(std::move(data_path) + "/snapshots"), store_(store), wal_dir_(std::move(wal_dir)), flush_(std::move(flush)) {}

bool SnapshotManager::IsValidName(std::string_view name) {
  // ^[0-9]{14}-[0-9A-Fa-f]+$, as VictoriaMetrics validates snapshot names.
  if (name.size() < 16 || name[14] != '-' || !AllDigits(name.substr(0, 14))) return false;
  return std::all_of(name.begin() + 15, name.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::string SnapshotManager::NewName() {
  static std::atomic<uint64_t> counter{static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count())};
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
  return fmt::format("{}-{:016X}", stamp, counter.fetch_add(1) + 1);
}

std::string SnapshotManager::PathOf(std::string_view name) const { return fmt::format("{}/{}", dir_, name); }

absl::Status SnapshotManager::CopyWal(const std::string& to, uint64_t first_segment) const {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return FsError("create", to, ec);
  std::vector<std::pair<uint64_t, std::string>> segments;
  for (const fs::directory_entry& e : fs::directory_iterator(wal_dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || !AllDigits(name) || name.size() > 19) continue;
    const uint64_t seq = std::stoull(name);
    if (seq >= first_segment) segments.emplace_back(seq, name);
  }
  if (ec) return FsError("list WAL directory", wal_dir_, ec);
  std::sort(segments.begin(), segments.end());
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string from = wal_dir_ + "/" + segments[i].second;
    const std::string dst = to + "/" + segments[i].second;
    // The newest segment is still appended to: a link would let the
    // snapshot change after it was taken, so copy it. Finished segments
    // never change: link them.
    if (i + 1 < segments.size()) {
      fs::create_hard_link(from, dst, ec);
      if (!ec) continue;
    }
    if (!fs::exists(from)) continue;  // a concurrent flush deleted it: the store holds it now
    absl::Status st = CopyFile(from, dst);
    if (!st.ok() && fs::exists(from)) return st;
  }
  FsyncPath(to, true);
  return absl::OkStatus();
}

absl::StatusOr<std::string> SnapshotManager::Create() {
  absl::MutexLock l(&mu_);
  if (store_ == nullptr) {
    return absl::FailedPreconditionError("cannot create snapshot: the storage engine is not persistent");
  }
  const auto start = std::chrono::steady_clock::now();
  if (absl::Status st = flush_(); !st.ok()) {
    return absl::UnavailableError(fmt::format("cannot create snapshot: flush failed: {}", ToStd(st.message())));
  }
  const std::string name = NewName();
  const std::string tmp = PathOf(name) + std::string(kTmpSuffix);
  std::error_code ec;
  fs::create_directories(tmp, ec);
  if (ec) return FsError("create snapshot directory", tmp, ec);
  auto fail = [&](absl::Status st) {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
    return absl::UnavailableError(fmt::format("cannot create snapshot {}: {}", name, ToStd(st.message())));
  };
  // The WAL first, from the checkpoint as of now: a flush running between
  // the two steps only moves the store's checkpoint forward (the store then
  // holds what the older segments had, and replay skips them), so the pair
  // is always complete. The other order could miss segments a flush
  // deleted in between.
  const uint64_t checkpoint = store_->wal_checkpoint();
  if (absl::Status st = CopyWal(tmp + "/wal", checkpoint); !st.ok()) return fail(st);
  if (absl::Status st = store_->CreateCheckpoint(tmp + "/db"); !st.ok()) return fail(st);
  const std::string final_path = PathOf(name);
  fs::rename(tmp, final_path, ec);
  if (ec) return fail(FsError("rename snapshot to", final_path, ec));
  FsyncPath(dir_, true);
  STRATA_LOG(Info, "created snapshot \"{}\" in {:.3f} s (WAL from segment {})", final_path,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), checkpoint);
  return name;
}

absl::StatusOr<std::vector<std::string>> SnapshotManager::List() const {
  absl::MutexLock l(&mu_);
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return names;
  for (const fs::directory_entry& e : fs::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory() && IsValidName(name)) names.push_back(name);
  }
  if (ec) return FsError("list snapshots in", dir_, ec);
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status SnapshotManager::Delete(std::string_view name) {
  if (!IsValidName(name)) {
    return absl::InvalidArgumentError(fmt::format(
        "invalid snapshot name \"{}\": it must match ^[0-9]{{14}}-[0-9A-Fa-f]+$", name));
  }
  absl::MutexLock l(&mu_);
  const std::string path = PathOf(name);
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return absl::NotFoundError(fmt::format("cannot find snapshot \"{}\"", name));
  fs::remove_all(path, ec);
  if (ec) return FsError("delete snapshot", path, ec);
  FsyncPath(dir_, true);
  STRATA_LOG(Info, "deleted snapshot \"{}\"", path);
  return absl::OkStatus();
}

absl::Status SnapshotManager::DeleteAll() {
  absl::MutexLock l(&mu_);
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return absl::OkStatus();
  std::vector<std::string> doomed;
  for (const fs::directory_entry& e : fs::directory_iterator(dir_, ec)) {
    std::string name = e.path().filename().string();
    const bool tmp = name.size() > kTmpSuffix.size() && name.ends_with(kTmpSuffix) &&
                     IsValidName(std::string_view(name).substr(0, name.size() - kTmpSuffix.size()));
    if (e.is_directory() && (IsValidName(name) || tmp)) doomed.push_back(e.path().string());
  }
  if (ec) return FsError("list snapshots in", dir_, ec);
  for (const std::string& path : doomed) {
    fs::remove_all(path, ec);
    if (ec) return FsError("delete snapshot", path, ec);
    STRATA_LOG(Info, "deleted snapshot \"{}\"", path);
  }
  FsyncPath(dir_, true);
  return absl::OkStatus();
}

}  // namespace strata::storage
