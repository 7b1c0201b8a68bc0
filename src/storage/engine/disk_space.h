// File: storage/engine/disk_space.h
//
// Keeps a storage node from filling its disk (-storage.minFreeDiskSpaceBytes,
// VictoriaMetrics' flag and default, 10 MB): while the free space of the data
// path's filesystem is below the minimum, the node is read-only. Writes get
// FailedPrecondition ("read-only"), which the insert Router treats like any
// failed node: the replicas go to the next nodes on the ring. Reads go on.
// When space comes back, writes are accepted again at the next check.
//
// Free space is looked up with statvfs(2) when the guard is created, then at
// most once per `check_interval` (1 s), by whichever writer finds the
// interval passed; every other write reads the cached state (one atomic
// load). A node that gets no writes does not look. Each transition is logged once,
// and the state is exported as the gauge strata_storage_read_only (0/1).
//
// The minimum leaves room for what runs while read-only (a flush of the head
// into RocksDB, which lets the WAL shrink); a write that still meets ENOSPC
// fails cleanly (the WAL truncates its partial record, wal.h) and is not
// acknowledged.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace prometheus {
class Gauge;
}  // namespace prometheus

namespace strata::storage {

struct DiskSpaceGuardOptions {
  // A directory on the filesystem to watch (the node's data path).
  std::string path;
  // Below this many free bytes the node is read-only; 0 disables the guard.
  uint64_t min_free_bytes = 10'000'000;
  std::chrono::milliseconds check_interval{1000};
  // Free bytes for an unprivileged user on `path`'s filesystem; statvfs's
  // f_bavail * f_frsize when empty. For tests.
  std::function<absl::StatusOr<uint64_t>(const std::string& path)> free_bytes;
};

// Thread-safe: CheckWritable may be called concurrently from every writer.
class DiskSpaceGuard {
 public:
  // `read_only_gauge` may be null; when set it must outlive the guard.
  DiskSpaceGuard(DiskSpaceGuardOptions options, prometheus::Gauge* read_only_gauge);

  // OK while the node may take writes; FailedPrecondition naming the free
  // space and the flag while it is read-only. Refreshes the free space when
  // the check interval has passed.
  absl::Status CheckWritable();

  bool read_only() const { return read_only_.load(std::memory_order_relaxed); }

  // statvfs(2): free bytes for an unprivileged user on `path`'s filesystem.
  static absl::StatusOr<uint64_t> StatvfsFreeBytes(const std::string& path);

 private:
  void Refresh();

  const DiskSpaceGuardOptions options_;
  prometheus::Gauge* gauge_;
  std::atomic<bool> read_only_{false};
  std::atomic<uint64_t> last_free_{0};
  std::atomic<int64_t> next_check_ns_{0};  // steady_clock
  std::mutex refresh_mu_;                  // one statvfs at a time
  bool stat_failed_ = false;               // guarded by refresh_mu_; logs the first failure only
};

}  // namespace strata::storage
