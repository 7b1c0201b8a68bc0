// File: cmd/strata/storage_engine_flags.h
//
// The storage engine flags and operator routes, shared by `strata storage`
// and `strata all`.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/engine/db.h"

namespace prometheus {
class Registry;
}

namespace strata {

class FlagSet;
class RoleRuntime;

struct StorageEngineFlags {
  std::string data_path = "strata-data";
  std::string wal_fsync = "interval";
  std::chrono::milliseconds wal_fsync_interval{1000};
  std::chrono::milliseconds out_of_order_window{3600 * 1000};
  std::chrono::milliseconds flush_interval{3600 * 1000};
  int64_t cache_size_bytes = int64_t{256} << 20;
  int64_t write_buffer_bytes = int64_t{32} << 20;
  // -retentionPeriod, VictoriaMetrics syntax (storage::ParseRetentionPeriod).
  std::string retention_period = "1";
  int64_t flush_wal_bytes = int64_t{1} << 30;
  int64_t flush_pending_bytes = int64_t{32} << 20;
  // -storage.maxExemplarsPerSeries (storage::DbOptions).
  int64_t max_exemplars_per_series = 100;
  // -storage.minFreeDiskSpaceBytes (storage::DbOptions, disk_space.h).
  int64_t min_free_disk_space_bytes = 10'000'000;
};

void RegisterStorageEngineFlags(FlagSet& flags, StorageEngineFlags* options);

class HttpMux;

// Registers the operator endpoints of a storage engine, as VictoriaMetrics
// has them: /internal/force_flush seals everything acknowledged into the
// persistent store and truncates the WAL; /internal/force_merge also
// compacts the store. Both answer only when done. A persistent engine also
// gets the /snapshot/* endpoints (storage/server/snapshot_routes.h), and
// /metrics its memory gauges (Db::UpdateMemoryGauges). REQUIRES: called
// before runtime.StartHttp.
void RegisterStorageRoutes(RoleRuntime& runtime, storage::Db& db);

// Closes the engine at shutdown (final flush, WAL fsync); logs and returns
// false when that fails.
bool CloseStorageEngine(storage::Db& db);

// Opens (and replays) the engine; InvalidArgument for bad flag values.
absl::StatusOr<std::unique_ptr<storage::Db>> OpenStorageEngine(const StorageEngineFlags& flags,
                                                               prometheus::Registry* registry);

}  // namespace strata
