#include "storage/engine/disk_space.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>
#include <prometheus/gauge.h>

#include "common/base/logging.h"

namespace strata::storage {
namespace {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

DiskSpaceGuard::DiskSpaceGuard(DiskSpaceGuardOptions options, prometheus::Gauge* read_only_gauge)
    : options_(std::move(options)), gauge_(read_only_gauge) {
  if (gauge_ != nullptr) gauge_->Set(0);
  // A node that starts on a full disk says so at once (log, gauge).
  if (options_.min_free_bytes > 0) Refresh();
}

absl::StatusOr<uint64_t> DiskSpaceGuard::StatvfsFreeBytes(const std::string& path) {
  struct statvfs st;
  if (::statvfs(path.c_str(), &st) != 0) {
    return absl::UnavailableError(fmt::format("cannot statvfs \"{}\": {}", path, std::strerror(errno)));
  }
  return static_cast<uint64_t>(st.f_bavail) * static_cast<uint64_t>(st.f_frsize);
}

absl::Status DiskSpaceGuard::CheckWritable() {
  if (options_.min_free_bytes == 0) return absl::OkStatus();
  if (SteadyNowNs() >= next_check_ns_.load(std::memory_order_relaxed)) Refresh();
  if (!read_only_.load(std::memory_order_relaxed)) return absl::OkStatus();
  return absl::FailedPreconditionError(fmt::format(
      "storage node is read-only: {} bytes free on the filesystem of \"{}\", below "
      "-storage.minFreeDiskSpaceBytes={}; it takes writes again when space is freed",
      last_free_.load(std::memory_order_relaxed), options_.path, options_.min_free_bytes));
}

void DiskSpaceGuard::Refresh() {
  std::unique_lock lock(refresh_mu_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another writer is looking; use the cached state
  const int64_t now = SteadyNowNs();
  if (now < next_check_ns_.load(std::memory_order_relaxed)) return;
  next_check_ns_.store(now + std::chrono::nanoseconds(options_.check_interval).count(), std::memory_order_relaxed);

  absl::StatusOr<uint64_t> free = options_.free_bytes ? options_.free_bytes(options_.path)
                                                      : StatvfsFreeBytes(options_.path);
  if (!free.ok()) {
    // Keep the last state: a failing statvfs says nothing about the space.
    if (!stat_failed_) STRATA_LOG(Error, "cannot check free disk space: {}", free.status().ToString());
    stat_failed_ = true;
    return;
  }
  stat_failed_ = false;
  last_free_.store(*free, std::memory_order_relaxed);
  const bool now_read_only = *free < options_.min_free_bytes;
  if (now_read_only == read_only_.load(std::memory_order_relaxed)) return;
  read_only_.store(now_read_only, std::memory_order_relaxed);
  if (gauge_ != nullptr) gauge_->Set(now_read_only ? 1 : 0);
  if (now_read_only) {
    STRATA_LOG(Warn,
               "storage node is now read-only: {} bytes free on the filesystem of \"{}\", below "
               "-storage.minFreeDiskSpaceBytes={}; writes are refused (insert nodes send them to other nodes), "
               "reads go on",
               *free, options_.path, options_.min_free_bytes);
  } else {
    STRATA_LOG(Info,
               "storage node takes writes again: {} bytes free on the filesystem of \"{}\" "
               "(-storage.minFreeDiskSpaceBytes={})",
               *free, options_.path, options_.min_free_bytes);
  }
}

}  // namespace strata::storage
