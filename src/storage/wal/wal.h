// File: storage/wal/wal.h
//
// The storage node's write-ahead log: every acknowledged write batch is one
// CRC32C-protected record in a segment file `<dir>/NNNNNNNN` (8-digit
// sequence numbers, rotated at a size). On open the log is replayed in
// order; a torn tail of the last segment is truncated and a corrupt record in
// the middle is skipped, both counted and logged, never a crash. Byte layout
// and recovery rules: docs/format/wal.md.
//
// Durability (FsyncMode):
//   kAlways   — group commit: concurrent appenders are batched into one
//               write(2) + fdatasync by whichever appender is at the head of
//               the queue; Append returns once its record is on disk.
//   kInterval — Append returns after write(2) reached the page cache (so it
//               survives kill -9 of the process, not a power loss); a
//               background thread fdatasyncs every `fsync_interval`.
//
// No Asio: the WAL is a plain synchronous component with one background
// thread (interval mode only).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace strata::storage {

struct StorageMetrics;

enum class WalFsyncMode { kAlways, kInterval };

struct WalOptions {
  // Directory holding the segment files; created when missing.
  std::string dir;
  // A segment is closed (fsynced) and a new one started when the next record
  // would take it past this size. A record larger than this gets a segment
  // of its own.
  uint64_t segment_size = 128ull << 20;
  WalFsyncMode fsync_mode = WalFsyncMode::kInterval;
  // kInterval only: how often the background thread fdatasyncs.
  std::chrono::milliseconds fsync_interval{1000};
  // Segments numbered below this are already contained in the persistent
  // store (the engine's checkpoint): Open neither replays them nor keeps
  // them (they are deleted), and new segments are numbered from here at
  // least. 0 replays everything.
  uint64_t first_segment = 0;
};

// What replay found; also reflected in the metrics.
struct WalReplayStats {
  uint64_t segments = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;            // payload bytes replayed
  uint64_t corrupt_records = 0;  // bad regions skipped in the middle
  uint64_t torn_tails = 0;       // partial tails truncated (0 or 1)
};

// Thread-safe: Append, Sync and Close may be called from any thread.
class Wal {
 public:
  // Largest payload Append accepts (and replay believes).
  static constexpr uint32_t kMaxRecordSize = 1u << 30;

  // Creates `options.dir` if needed, replays every record of every segment
  // in order through `replay` (the payload view is valid during the call
  // only), repairs a torn tail, and opens a fresh segment for appends.
  // Errors: the directory or a segment cannot be read or written.
  // REQUIRES: `metrics` outlives the Wal.
  static absl::StatusOr<std::unique_ptr<Wal>> Open(const WalOptions& options, StorageMetrics& metrics,
                                                   absl::FunctionRef<void(std::string_view)> replay);

  ~Wal();  // Calls Close() when it was not called.

  // Appends one record holding `payload`. Blocks until the record is durable
  // per the fsync mode (see file comment). Errors: InvalidArgument when the
  // payload is larger than kMaxRecordSize; FailedPrecondition after Close;
  // Unavailable when a write or fsync failed (an fsync failure is sticky: the
  // log refuses every later append, as the kernel may have dropped pages).
  absl::Status Append(std::string_view payload);

  // Makes everything appended so far durable (fdatasync).
  absl::Status Sync();

  // Ends the current segment (fdatasync) and starts the next one, in order
  // with concurrent appends: every Append that returned before Rotate was
  // called is in an earlier segment. Returns the new segment's number.
  // When the current segment is still empty it is kept and its number
  // returned. Errors as for Append.
  absl::StatusOr<uint64_t> Rotate();

  // Deletes every segment numbered below `seq` (they must be contained in
  // the persistent store) and fsyncs the directory. Never deletes the
  // segment being appended to.
  absl::Status DeleteSegmentsBefore(uint64_t seq);

  // Numbers of the segment files present, ascending.
  std::vector<uint64_t> ListSegments() const;

  // Waits for in-flight appends, stops the background thread, syncs and
  // closes the segment. Later Appends fail with FailedPrecondition.
  // Idempotent.
  absl::Status Close();

  const WalReplayStats& replay_stats() const { return replay_stats_; }
  // Sequence number of the segment being appended to.
  uint64_t current_segment() const;

 private:
  struct Waiter;

  Wal(const WalOptions& options, StorageMetrics& metrics);

  absl::Status Submit(Waiter* self);
  absl::Status Replay(absl::FunctionRef<void(std::string_view)> replay);
  absl::Status ReplaySegment(uint64_t seq, bool last, absl::FunctionRef<void(std::string_view)> replay);
  absl::Status OpenSegment(uint64_t seq);
  // Leader only (see Append): writes the group's records, rotating as needed.
  absl::Status WriteGroup(const std::vector<Waiter*>& group);
  // Fsyncs the current segment, opens the next one and returns its sequence
  // number. Leader only, after the buffered frames are written.
  absl::StatusOr<uint64_t> SyncAndOpenNextSegment();
  absl::Status WriteAll(std::string_view data);
  absl::Status SyncFd(int fd);
  void SyncLoop();
  std::string SegmentPath(uint64_t seq) const;

  const WalOptions options_;
  StorageMetrics& metrics_;
  WalReplayStats replay_stats_;

  absl::Mutex mu_;
  std::deque<Waiter*> queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status sticky_error_ ABSL_GUARDED_BY(mu_);

  // Owned by the current group-commit leader (at most one at a time); the
  // fd itself is also read by the sync thread under fd_mu_.
  std::string frame_buf_;
  std::vector<Waiter*> group_;
  uint64_t segment_bytes_ = 0;

  mutable absl::Mutex fd_mu_;
  int fd_ ABSL_GUARDED_BY(fd_mu_) = -1;
  uint64_t segment_seq_ ABSL_GUARDED_BY(fd_mu_) = 0;

  std::atomic<uint64_t> unsynced_bytes_{0};
  std::atomic<bool> fsync_failed_{false};
  absl::Mutex sync_mu_;
  bool stop_sync_ ABSL_GUARDED_BY(sync_mu_) = false;
  std::thread sync_thread_;
};

}  // namespace strata::storage
