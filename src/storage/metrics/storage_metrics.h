// File: storage/metrics/storage_metrics.h
//
// The storage engine's self-metrics (`strata_storage_*`, `strata_wal_*`) as
// prometheus-cpp objects registered on one Registry. Components hold a
// `StorageMetrics&` and increment once per batch or per fsync, never per
// sample. Only .cc files include this header, so prometheus-cpp stays out of
// the engine's public headers.
//
// Thread-safe: prometheus-cpp metrics are safe to update concurrently.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace strata::storage {

struct StorageMetrics {
  // Registers (or, with the Registry's default Merge behaviour, re-uses) every
  // metric on `registry`. REQUIRES: `registry` outlives this object.
  explicit StorageMetrics(prometheus::Registry& registry);

  // Head.
  prometheus::Gauge& series;                 // strata_storage_series
  prometheus::Counter& samples_appended;     // strata_storage_samples_appended_total
  prometheus::Counter& out_of_order;         // strata_storage_samples_out_of_order_total (accepted)
  prometheus::Counter& too_old;              // strata_storage_samples_too_old_total (rejected)
  prometheus::Counter& duplicates;           // strata_storage_samples_duplicate_total
  prometheus::Counter& chunks_sealed;        // strata_storage_chunks_sealed_total
  prometheus::Counter& samples_replayed;     // strata_storage_samples_replayed_total
  prometheus::Counter& searches;             // strata_storage_searches_total
  // WAL.
  prometheus::Counter& wal_records;          // strata_wal_records_total
  prometheus::Counter& wal_bytes;            // strata_wal_bytes_total
  prometheus::Counter& wal_fsyncs;           // strata_wal_fsyncs_total
  prometheus::Histogram& wal_fsync_seconds;  // strata_wal_fsync_duration_seconds
  prometheus::Counter& wal_corrupt_records;  // strata_wal_corrupt_records_total
  prometheus::Counter& wal_torn_tails;       // strata_wal_torn_tails_truncated_total
  prometheus::Gauge& wal_segments;           // strata_wal_segments
  // Persistent engine (RocksDB).
  prometheus::Counter& flushes;              // strata_storage_flushes_total
  prometheus::Counter& flush_errors;         // strata_storage_flush_errors_total
  prometheus::Counter& flush_seconds;        // strata_storage_flush_seconds_total
  prometheus::Counter& chunks_persisted;     // strata_storage_chunks_persisted_total
  // Retention and delete_series (storage/engine/retention.h).
  prometheus::Counter& retention_runs;                // strata_storage_retention_runs_total
  prometheus::Counter& retention_errors;              // strata_storage_retention_errors_total
  prometheus::Counter& retention_partitions_dropped;  // strata_storage_retention_partitions_dropped_total
  prometheus::Counter& retention_bytes_dropped;       // strata_storage_retention_bytes_dropped_total
  prometheus::Gauge& partitions;                      // strata_storage_partitions
  prometheus::Counter& series_deleted;                // strata_storage_series_deleted_total
  // Corruption met on disk (storage/index/rocks_recovery.h, the WAL replay):
  // strata_storage_corruptions_total{component="rocksdb"|"wal"}. Every count
  // has an Error log line naming the file and what was done about it.
  prometheus::Counter& rocksdb_corruptions;
  prometheus::Counter& wal_corruptions;
  // 1 while free disk space is below -storage.minFreeDiskSpaceBytes and
  // writes are refused (storage/engine/disk_space.h).
  prometheus::Gauge& read_only;  // strata_storage_read_only
  // strata_storage_memory_bytes{part=...}, set by Db::UpdateMemoryGauges
  // (called per /metrics scrape).
  prometheus::Gauge& memory_rocksdb_memtables;
  prometheus::Gauge& memory_rocksdb_block_cache;
  prometheus::Gauge& memory_rocksdb_table_readers;
  prometheus::Gauge& memory_pending_chunks;
};

}  // namespace strata::storage
