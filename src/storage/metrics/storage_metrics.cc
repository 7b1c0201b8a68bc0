#include "storage/metrics/storage_metrics.h"

#include <string>

namespace strata::storage {
namespace {

prometheus::Counter& Counter(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

prometheus::Gauge& Gauge(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

prometheus::Counter& CorruptionCounter(prometheus::Registry& r, const std::string& component) {
  return prometheus::BuildCounter()
      .Name("strata_storage_corruptions_total")
      .Help("Damaged files or records met on disk (component rocksdb: a repaired or unreadable index database "
            "file, a read or write that met a corrupt block; wal: a corrupt WAL record skipped). Each is logged.")
      .Register(r)
      .Add({{"component", component}});
}

prometheus::Gauge& MemoryGauge(prometheus::Registry& r, const std::string& part) {
  return prometheus::BuildGauge()
      .Name("strata_storage_memory_bytes")
      .Help("Memory held by the storage engine's bounded parts, as of the last /metrics scrape: rocksdb_memtables "
            "(bounded by -storage.writeBufferBytes), rocksdb_block_cache (-storage.cacheSizeBytes), "
            "rocksdb_table_readers (index and filter blocks outside the cache), pending_chunks (sealed chunks "
            "waiting for a flush, -storage.flushPendingBytes).")
      .Register(r)
      .Add({{"part", part}});
}

}  // namespace

StorageMetrics::StorageMetrics(prometheus::Registry& r)
    : series(Gauge(r, "strata_storage_series", "Series in the in-memory head.")),
      samples_appended(Counter(r, "strata_storage_samples_appended_total", "Samples appended to the head.")),
      out_of_order(Counter(r, "strata_storage_samples_out_of_order_total",
                           "Samples older than the series' last sample accepted inside the out-of-order window "
                           "(also counted in strata_storage_samples_appended_total).")),
      too_old(Counter(r, "strata_storage_samples_too_old_total",
                      "Samples rejected because they were older than the series' last sample by more than "
                      "the out-of-order window.")),
      duplicates(Counter(r, "strata_storage_samples_duplicate_total",
                         "Samples skipped because a sample with the same timestamp was in the open chunk or "
                         "the out-of-order buffer.")),
      chunks_sealed(Counter(r, "strata_storage_chunks_sealed_total", "Head chunks sealed.")),
      samples_replayed(Counter(r, "strata_storage_samples_replayed_total",
                               "Samples applied to the head from the WAL at startup.")),
      searches(Counter(r, "strata_storage_searches_total", "Search requests served.")),
      wal_records(Counter(r, "strata_wal_records_total", "Records appended to the WAL.")),
      wal_bytes(Counter(r, "strata_wal_bytes_total", "Bytes appended to the WAL, framing included.")),
      wal_fsyncs(Counter(r, "strata_wal_fsyncs_total", "fdatasync calls on WAL segments.")),
      wal_fsync_seconds(prometheus::BuildHistogram()
                            .Name("strata_wal_fsync_duration_seconds")
                            .Help("Latency of fdatasync on WAL segments.")
                            .Register(r)
                            .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                                             0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                                             0.5, 1, 2.5})),
      wal_corrupt_records(Counter(r, "strata_wal_corrupt_records_total",
                                  "Corrupt WAL records skipped during replay.")),
      wal_torn_tails(Counter(r, "strata_wal_torn_tails_truncated_total",
                             "Torn WAL tails (partial last records) truncated during replay.")),
      wal_segments(Gauge(r, "strata_wal_segments", "WAL segment files on disk.")),
      flushes(Counter(r, "strata_storage_flushes_total",
                      "Flushes of the head to RocksDB (background, on close and force_flush).")),
      flush_errors(Counter(r, "strata_storage_flush_errors_total",
                           "Failed flushes; nothing is lost, the WAL is kept until a flush succeeds.")),
      flush_seconds(Counter(r, "strata_storage_flush_seconds_total", "Time spent in flushes.")),
      chunks_persisted(Counter(r, "strata_storage_chunks_persisted_total", "Sealed chunks written to RocksDB.")),
      // Retention and delete_series.
      retention_runs(Counter(r, "strata_storage_retention_runs_total",
                             "Retention checks (at open and after every flush).")),
      retention_errors(Counter(r, "strata_storage_retention_errors_total",
                               "Retention checks that failed; the next one retries.")),
      retention_partitions_dropped(Counter(r, "strata_storage_retention_partitions_dropped_total",
                                           "Day partitions dropped because all their data was older than "
                                           "-retentionPeriod.")),
      retention_bytes_dropped(Counter(r, "strata_storage_retention_bytes_dropped_total",
                                      "Estimated bytes of RocksDB data dropped by retention.")),
      partitions(Gauge(r, "strata_storage_partitions", "Day partitions holding chunks in RocksDB.")),
      series_deleted(Counter(r, "strata_storage_series_deleted_total", "Series removed by delete_series.")),
      rocksdb_corruptions(CorruptionCounter(r, "rocksdb")),
      wal_corruptions(CorruptionCounter(r, "wal")),
      read_only(Gauge(r, "strata_storage_read_only",
                      "1 while free disk space is below -storage.minFreeDiskSpaceBytes and writes are refused.")),
      memory_rocksdb_memtables(MemoryGauge(r, "rocksdb_memtables")),
      memory_rocksdb_block_cache(MemoryGauge(r, "rocksdb_block_cache")),
      memory_rocksdb_table_readers(MemoryGauge(r, "rocksdb_table_readers")),
      memory_pending_chunks(MemoryGauge(r, "pending_chunks")) {}

}  // namespace strata::storage
