// File: storage/head/wal_replay.h
//
// Rebuilding the head from the WAL at startup. Samples records
// (wal_record.h) name series by id; an id is resolved from a definition in
// the same or an EARLIER record, else from the persistent index (the
// series was flushed, so its definition left the log with the truncated
// segments), else its samples wait: a definition can also come LATER in the
// log, when two appends raced and the one that defined the series was
// logged second. Each series' samples are applied in log order either way.
//
//   WalReplayer replayer(head, lookup);
//   Wal::Open(..., [&](std::string_view r) { replayer.Replay(r, &stats); });
//   WalReplayer::Leftover lost = replayer.Finish();
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/model/labels.h"
#include "common/model/tenant.h"
#include "storage/head/append_stats.h"
#include "storage/head/head_batch.h"
#include "storage/head/wal_record.h"

namespace strata::storage {

class Head;
struct MemSeries;

// Not thread-safe: one replay, on one thread, before the head serves.
class WalReplayer {
 public:
  // What the persistent index knows about a series id.
  struct StoredSeries {
    TenantId tenant;
    Labels labels;
    int64_t last_t = std::numeric_limits<int64_t>::min();  // newest persisted sample
    bool deleted = false;  // delete_series removed it: its samples are dropped
  };
  // Looks an id up in the persistent index: nullopt when it does not know
  // it; an error when the lookup failed.
  using IdLookup = std::function<absl::StatusOr<std::optional<StoredSeries>>(uint64_t id)>;

  // REQUIRES: `head` outlives the replayer. `lookup` may be empty (a
  // WAL-only engine: every series is defined in the log).
  WalReplayer(Head* head, IdLookup lookup);

  // Applies one WAL record (a samples record, or a whole write batch as
  // older logs hold). DataLoss when it cannot be decoded: nothing of it is
  // applied. Other errors (an index lookup or the chunk store failed) leave
  // the rest of the record applied.
  absl::Status Replay(std::string_view record, AppendStats* stats);

  // Samples whose id no record defined and the index does not know.
  struct Leftover {
    uint64_t series = 0;
    uint64_t samples = 0;
  };
  // Call after the last record: drops the samples still waiting for a
  // definition (their defining record was lost to corruption) and says how
  // many there were. Reserves every id the log named, so that a lost id is
  // never given to a new series (a later replay of the same segments would
  // attach the lost samples to it).
  Leftover Finish();

  // Samples of series deleted from the index, dropped.
  uint64_t deleted_samples() const { return deleted_samples_; }

 private:
  absl::Status ReplaySamplesRecord(std::string_view record, AppendStats* stats);
  // Adds `samples` of `series` to batch_.
  void AddToBatch(MemSeries* series, std::span<const Sample> samples);

  Head* const head_;
  const IdLookup lookup_;
  absl::flat_hash_map<uint64_t, MemSeries*> by_id_;
  // Samples waiting for a definition, per id, in log order.
  absl::flat_hash_map<uint64_t, std::vector<Sample>> pending_;
  uint64_t deleted_samples_ = 0;
  uint64_t max_id_ = 0;  // largest id any record named
  WalRecord record_;
  HeadBatch batch_;
  std::vector<LabelView> views_;
};

}  // namespace strata::storage
