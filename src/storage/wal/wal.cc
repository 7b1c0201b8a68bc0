#include "storage/wal/wal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "common/base/logging.h"
#include "common/base/status.h"
#include "common/encoding/crc32c.h"
#include "common/encoding/varint.h"
#include "storage/metrics/storage_metrics.h"
#include "storage/wal/wal_format.h"

namespace strata::storage {

using wal_format::kHeaderSize;
using wal_format::kRecordMagic;

struct Wal::Waiter {
  std::string_view payload;
  absl::Status status;
  bool done = false;
  // A rotation request rather than a record; the leader stores the new
  // segment's number in `segment`.
  bool rotate = false;
  uint64_t segment = 0;
};

namespace {

// One group commit writes at most this much (plus one record) so that a
// flood of appenders does not make the leader's latency unbounded.
constexpr size_t kMaxGroupBytes = 8u << 20;

absl::Status ErrnoStatus(std::string_view what, const std::string& path, int err) {
  return absl::UnavailableError(fmt::format("cannot {} \"{}\": {}", what, path, std::strerror(err)));
}

uint32_t RecordCrc(const char* len_bytes, std::string_view payload) {
  return Crc32cExtend(Crc32cExtend(0, len_bytes, 4), payload.data(), payload.size());
}

void AppendFrame(std::string* out, std::string_view payload) {
  PutFixed32(out, kRecordMagic);
  char len[4];
  uint32_t n = static_cast<uint32_t>(payload.size());
  std::memcpy(len, &n, 4);
  out->append(len, 4);
  PutFixed32(out, RecordCrc(len, payload));
  out->append(payload);
}

// Length of the valid record at `pos`, or 0 when there is none.
size_t ValidRecordAt(std::string_view data, size_t pos) {
  if (data.size() - pos < kHeaderSize) return 0;
  const char* p = data.data() + pos;
  if (LoadFixed32(p) != kRecordMagic) return 0;
  uint32_t len = LoadFixed32(p + 4);
  if (len > Wal::kMaxRecordSize || data.size() - pos - kHeaderSize < len) return 0;
  if (LoadFixed32(p + 8) != RecordCrc(p + 4, std::string_view(p + kHeaderSize, len))) return 0;
  return kHeaderSize + len;
}

// First position after `from` where a valid record starts, or npos.
size_t FindNextRecord(std::string_view data, size_t from) {
  char magic[4];
  uint32_t m = kRecordMagic;
  std::memcpy(magic, &m, 4);
  while (from < data.size()) {
    const void* hit = memmem(data.data() + from, data.size() - from, magic, 4);
    if (hit == nullptr) return std::string_view::npos;
    size_t pos = static_cast<size_t>(static_cast<const char*>(hit) - data.data());
    if (ValidRecordAt(data, pos) != 0) return pos;
    from = pos + 1;
  }
  return std::string_view::npos;
}

bool ParseSegmentName(const std::string& name, uint64_t* seq) {
  if (name.size() != wal_format::kSegmentNameDigits) return false;
  uint64_t v = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *seq = v;
  return true;
}

absl::Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open WAL directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus("fsync WAL directory", dir, err);
  return absl::OkStatus();
}

}  // namespace

Wal::Wal(const WalOptions& options, StorageMetrics& metrics) : options_(options), metrics_(metrics) {}

Wal::~Wal() {
  absl::Status st = Close();
  if (!st.ok()) STRATA_LOG(Error, "cannot close WAL in {}: {}", options_.dir, st.ToString());
}

std::string Wal::SegmentPath(uint64_t seq) const { return fmt::format("{}/{:08d}", options_.dir, seq); }

uint64_t Wal::current_segment() const {
  absl::MutexLock l(&fd_mu_);
  return segment_seq_;
}

absl::StatusOr<std::unique_ptr<Wal>> Wal::Open(const WalOptions& options, StorageMetrics& metrics,
                                               absl::FunctionRef<void(std::string_view)> replay) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return absl::UnavailableError(fmt::format("cannot create WAL directory \"{}\": {}", options.dir, ec.message()));
  std::unique_ptr<Wal> wal(new Wal(options, metrics));
  STRATA_RETURN_IF_ERROR(wal->Replay(replay));
  if (options.fsync_mode == WalFsyncMode::kInterval) {
    wal->sync_thread_ = std::thread([w = wal.get()] { w->SyncLoop(); });
  }
  return wal;
}

std::vector<uint64_t> Wal::ListSegments() const {
  std::vector<uint64_t> seqs;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec)) {
    uint64_t seq;
    if (entry.is_regular_file() && ParseSegmentName(entry.path().filename().string(), &seq)) seqs.push_back(seq);
  }
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

absl::Status Wal::Replay(absl::FunctionRef<void(std::string_view)> replay) {
  std::vector<uint64_t> all = ListSegments();
  // Segments below the checkpoint are in the persistent store already; a
  // crash after the store's sync but before their deletion leaves them here.
  std::vector<uint64_t> seqs;
  bool deleted = false;
  for (uint64_t seq : all) {
    if (seq >= options_.first_segment) {
      seqs.push_back(seq);
      continue;
    }
    const std::string path = SegmentPath(seq);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("delete WAL segment", path, errno);
    STRATA_LOG(Info, "deleted WAL segment \"{}\": below the checkpoint {}", path, options_.first_segment);
    deleted = true;
  }
  if (deleted) STRATA_RETURN_IF_ERROR(SyncDir(options_.dir));
  for (size_t i = 0; i < seqs.size(); ++i) {
    STRATA_RETURN_IF_ERROR(ReplaySegment(seqs[i], i + 1 == seqs.size(), replay));
  }
  replay_stats_.segments = seqs.size();
  if (!seqs.empty()) {
    STRATA_LOG(Info, "replayed WAL {}: {} segments, {} records, {} bytes, {} corrupt records skipped, {} torn tails truncated",
               options_.dir, seqs.size(), replay_stats_.records, replay_stats_.bytes, replay_stats_.corrupt_records,
               replay_stats_.torn_tails);
  }
  // Always append to a fresh segment: the old ones stay exactly as replayed.
  uint64_t next = std::max<uint64_t>(seqs.empty() ? 1 : seqs.back() + 1, options_.first_segment);
  STRATA_RETURN_IF_ERROR(OpenSegment(next));
  metrics_.wal_segments.Set(static_cast<double>(seqs.size() + 1));
  return absl::OkStatus();
}

absl::Status Wal::ReplaySegment(uint64_t seq, bool last, absl::FunctionRef<void(std::string_view)> replay) {
  const std::string path = SegmentPath(seq);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open WAL segment", path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus("stat WAL segment", path, err);
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return absl::OkStatus();
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return ErrnoStatus("mmap WAL segment", path, errno);
  std::string_view data(static_cast<const char*>(map), size);
  ::madvise(map, size, MADV_SEQUENTIAL);

  size_t pos = 0;
  size_t truncate_at = std::string_view::npos;
  while (pos < size) {
    size_t n = ValidRecordAt(data, pos);
    if (n != 0) {
      std::string_view payload = data.substr(pos + kHeaderSize, n - kHeaderSize);
      replay(payload);
      ++replay_stats_.records;
      replay_stats_.bytes += payload.size();
      pos += n;
      continue;
    }
    size_t next = FindNextRecord(data, pos + 1);
    if (next == std::string_view::npos) {
      if (last) {
        // Nothing valid follows: the process died mid-write. Everything
        // acknowledged precedes this point.
        STRATA_LOG(Warn, "WAL segment \"{}\": torn tail of {} bytes at offset {}; truncating", path, size - pos, pos);
        ++replay_stats_.torn_tails;
        metrics_.wal_torn_tails.Increment();
        truncate_at = pos;
      } else {
        STRATA_LOG(Error, "WAL segment \"{}\": {} corrupt bytes at offset {} up to the end of a sealed segment; skipped",
                   path, size - pos, pos);
        ++replay_stats_.corrupt_records;
        metrics_.wal_corrupt_records.Increment();
        metrics_.wal_corruptions.Increment();
      }
      break;
    }
    STRATA_LOG(Error, "WAL segment \"{}\": corrupt record at offset {} ({} bytes up to the next good record); skipped",
               path, pos, next - pos);
    ++replay_stats_.corrupt_records;
    metrics_.wal_corrupt_records.Increment();
    metrics_.wal_corruptions.Increment();
    pos = next;
  }
  ::munmap(map, size);
  if (truncate_at != std::string_view::npos) {
    if (::truncate(path.c_str(), static_cast<off_t>(truncate_at)) != 0) {
      return ErrnoStatus("truncate torn tail of WAL segment", path, errno);
    }
    int tfd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (tfd >= 0) {
      ::fdatasync(tfd);
      ::close(tfd);
    }
  }
  return absl::OkStatus();
}

absl::Status Wal::OpenSegment(uint64_t seq) {
  const std::string path = SegmentPath(seq);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("create WAL segment", path, errno);
  STRATA_RETURN_IF_ERROR(SyncDir(options_.dir));
  int old_fd;
  {
    absl::MutexLock l(&fd_mu_);
    old_fd = fd_;
    fd_ = fd;
    segment_seq_ = seq;
  }
  if (old_fd >= 0) ::close(old_fd);
  segment_bytes_ = 0;
  return absl::OkStatus();
}

absl::Status Wal::SyncFd(int fd) {
  auto start = std::chrono::steady_clock::now();
  int rc = ::fdatasync(fd);
  int err = errno;
  metrics_.wal_fsyncs.Increment();
  metrics_.wal_fsync_seconds.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (rc != 0) {
    fsync_failed_.store(true);
    return ErrnoStatus("fdatasync WAL segment in", options_.dir, err);
  }
  return absl::OkStatus();
}

absl::Status Wal::WriteAll(std::string_view data) {
  int fd;
  {
    absl::MutexLock l(&fd_mu_);
    fd = fd_;
  }
  const uint64_t start = segment_bytes_;
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      // Drop the partial record so the segment stays a clean sequence.
      if (::ftruncate(fd, static_cast<off_t>(start)) != 0) {
        STRATA_LOG(Error, "cannot truncate partial WAL write in {}: {}", options_.dir, std::strerror(errno));
      }
      ::lseek(fd, static_cast<off_t>(start), SEEK_SET);
      segment_bytes_ = start;
      return ErrnoStatus("write WAL segment in", options_.dir, err);
    }
    data.remove_prefix(static_cast<size_t>(n));
    segment_bytes_ += static_cast<uint64_t>(n);
    unsynced_bytes_.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Wal::SyncAndOpenNextSegment() {
  // The finished segment is made durable before the next one exists, so
  // replay never sees a hole followed by newer records.
  int fd;
  uint64_t seq;
  {
    absl::MutexLock l(&fd_mu_);
    fd = fd_;
    seq = segment_seq_;
  }
  STRATA_RETURN_IF_ERROR(SyncFd(fd));
  STRATA_RETURN_IF_ERROR(OpenSegment(seq + 1));
  metrics_.wal_segments.Increment();
  return seq + 1;
}

absl::Status Wal::WriteGroup(const std::vector<Waiter*>& group) {
  frame_buf_.clear();
  uint64_t pending = 0;  // bytes in frame_buf_
  size_t records = 0;
  for (Waiter* w : group) {
    if (w->rotate) {
      STRATA_RETURN_IF_ERROR(WriteAll(frame_buf_));
      frame_buf_.clear();
      pending = 0;
      if (segment_bytes_ > 0) {
        STRATA_ASSIGN_OR_RETURN(w->segment, SyncAndOpenNextSegment());
      } else {
        absl::MutexLock l(&fd_mu_);
        w->segment = segment_seq_;  // still empty: it serves as the new segment
      }
      continue;
    }
    ++records;
    uint64_t frame = kHeaderSize + w->payload.size();
    if (segment_bytes_ + pending + frame > options_.segment_size && segment_bytes_ + pending > 0) {
      STRATA_RETURN_IF_ERROR(WriteAll(frame_buf_));
      frame_buf_.clear();
      pending = 0;
      STRATA_RETURN_IF_ERROR(SyncAndOpenNextSegment().status());
    }
    AppendFrame(&frame_buf_, w->payload);
    pending += frame;
  }
  STRATA_RETURN_IF_ERROR(WriteAll(frame_buf_));
  metrics_.wal_records.Increment(static_cast<double>(records));
  metrics_.wal_bytes.Increment(static_cast<double>(frame_buf_.size()));
  if (options_.fsync_mode == WalFsyncMode::kAlways) {
    int fd;
    {
      absl::MutexLock l(&fd_mu_);
      fd = fd_;
    }
    unsynced_bytes_.store(0, std::memory_order_relaxed);
    STRATA_RETURN_IF_ERROR(SyncFd(fd));
  }
  if (frame_buf_.capacity() > 4 * kMaxGroupBytes) std::string().swap(frame_buf_);
  return absl::OkStatus();
}

absl::Status Wal::Append(std::string_view payload) {
  if (payload.size() > kMaxRecordSize) {
    return absl::InvalidArgumentError(
        fmt::format("cannot append WAL record of {} bytes: the limit is {}", payload.size(), kMaxRecordSize));
  }
  Waiter self;
  self.payload = payload;
  return Submit(&self);
}

absl::StatusOr<uint64_t> Wal::Rotate() {
  Waiter self;
  self.rotate = true;
  STRATA_RETURN_IF_ERROR(Submit(&self));
  return self.segment;
}

absl::Status Wal::DeleteSegmentsBefore(uint64_t seq) {
  const uint64_t current = current_segment();
  bool deleted = false;
  for (uint64_t s : ListSegments()) {
    if (s >= seq || s >= current) break;
    const std::string path = SegmentPath(s);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("delete WAL segment", path, errno);
    deleted = true;
  }
  if (deleted) {
    STRATA_RETURN_IF_ERROR(SyncDir(options_.dir));
    metrics_.wal_segments.Set(static_cast<double>(ListSegments().size()));
  }
  return absl::OkStatus();
}

absl::Status Wal::Submit(Waiter* self_ptr) {
  Waiter& self = *self_ptr;
  absl::MutexLock l(&mu_);
  if (closed_) return absl::FailedPreconditionError("cannot append to WAL: it is closed");
  if (!sticky_error_.ok()) return sticky_error_;
  queue_.push_back(&self);
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return self.done || queue_.front() == &self; };
  mu_.Await(absl::Condition(&ready));
  if (self.done) return self.status;

  // This appender leads a group commit for everyone queued behind it.
  group_.clear();
  size_t bytes = 0;
  for (Waiter* w : queue_) {
    if (!group_.empty() && bytes + w->payload.size() > kMaxGroupBytes) break;
    group_.push_back(w);
    bytes += w->payload.size();
  }
  absl::Status st;
  if (!sticky_error_.ok()) {
    st = sticky_error_;
  } else {
    mu_.Unlock();
    st = WriteGroup(group_);
    mu_.Lock();
    // An fsync failure may have lost pages silently: refuse all later writes.
    if (!st.ok() && fsync_failed_.load()) sticky_error_ = st;
  }
  for (Waiter* w : group_) {
    queue_.pop_front();
    w->status = st;
    w->done = true;
  }
  return self.status;
}

absl::Status Wal::Sync() {
  // A dup keeps the file open even if a rotation closes fd_ meanwhile.
  int fd;
  {
    absl::MutexLock l(&fd_mu_);
    fd = fd_ >= 0 ? ::dup(fd_) : -1;
  }
  if (fd < 0) return absl::OkStatus();
  unsynced_bytes_.store(0, std::memory_order_relaxed);
  absl::Status st = SyncFd(fd);
  ::close(fd);
  return st;
}

void Wal::SyncLoop() {
  absl::MutexLock l(&sync_mu_);
  while (!stop_sync_) {
    sync_mu_.AwaitWithTimeout(absl::Condition(&stop_sync_), absl::FromChrono(options_.fsync_interval));
    if (stop_sync_) break;
    if (unsynced_bytes_.exchange(0, std::memory_order_relaxed) == 0) continue;
    // Sync a dup of the fd so a concurrent rotation can close the original.
    int fd;
    {
      absl::MutexLock fl(&fd_mu_);
      fd = fd_ >= 0 ? ::dup(fd_) : -1;
    }
    if (fd < 0) continue;
    sync_mu_.Unlock();
    absl::Status st = SyncFd(fd);
    ::close(fd);
    sync_mu_.Lock();
    if (!st.ok()) {
      STRATA_LOG(Error, "WAL background fsync failed: {}", st.ToString());
      absl::MutexLock ml(&mu_);
      sticky_error_ = st;
    }
  }
}

absl::Status Wal::Close() {
  {
    absl::MutexLock l(&mu_);
    if (closed_) return absl::OkStatus();
    closed_ = true;
    auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return queue_.empty(); };
    mu_.Await(absl::Condition(&drained));
  }
  if (sync_thread_.joinable()) {
    {
      absl::MutexLock l(&sync_mu_);
      stop_sync_ = true;
    }
    sync_thread_.join();
  }
  absl::Status st = Sync();
  absl::MutexLock l(&fd_mu_);
  if (fd_ >= 0 && ::close(fd_) != 0 && st.ok()) st = ErrnoStatus("close WAL segment in", options_.dir, errno);
  fd_ = -1;
  return st;
}

}  // namespace strata::storage
