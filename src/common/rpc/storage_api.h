// File: common/rpc/storage_api.h
//
// The contract between the stateless roles (insert, select) and a storage
// node, in the manner of VictoriaMetrics' lib/vminsertapi and
// lib/vmselectapi. insert and select reach storage only through this
// interface (never through storage headers). It has two implementations:
//   - RpcStorageClient (common/rpc/storage_client.h): one remote storage node
//     over the framed RPC protocol;
//   - InProcessStorage (storage/server/in_process_storage.h): a Db in the
//     same process, used by `strata all` and by tests.
//
// Calls are asynchronous: they return at once and invoke the callback exactly
// once, on an arbitrary thread, when the outcome is known or the deadline
// passes. Callbacks must not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/model/labels.h"
#include "common/model/matcher.h"
#include "common/model/series_batch.h"
#include "common/model/tenant.h"

namespace strata {

// Per-call context: every cross-service call carries a deadline (STYLE.md §5.6).
struct RequestContext {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);

  static RequestContext WithTimeout(std::chrono::milliseconds timeout) {
    return RequestContext{std::chrono::steady_clock::now() + timeout};
  }
};

// Chunk encodings on the wire and in storage. Numbers are stable. Encode and
// decode any of them with common/chunkenc/chunk_codec.h (EncodeBest keeps the
// smallest per chunk); layouts in docs/format/chunk.md.
enum class ChunkEncoding : uint8_t {
  kXor = 1,       // Gorilla: delta-of-delta timestamps, XOR values (common/chunkenc/xor_chunk.h)
  kIntDelta = 2,  // integer values: bit-packed delta or delta-of-delta, exceptions raw
  kDecimal = 3,   // decimal values m * 10^-e with a shared e: mantissas as kIntDelta
  kSplit = 4,     // timestamps in a section of their own (shared on disk), then mantissas or XOR values
};

// True for the numbers above: what a reader accepts from the wire.
inline bool IsKnownChunkEncoding(uint32_t encoding) {
  return encoding >= static_cast<uint32_t>(ChunkEncoding::kXor) &&
         encoding <= static_cast<uint32_t>(ChunkEncoding::kSplit);
}

// One encoded chunk of a series; decoded on the select node. The samples
// of one chunk are sorted by time with unique timestamps, and min_time_ms /
// max_time_ms are its first and last timestamps.
struct ChunkData {
  int64_t min_time_ms = 0;
  int64_t max_time_ms = 0;
  ChunkEncoding encoding = ChunkEncoding::kXor;
  std::string data;
};

// The chunks of one series, ordered by min_time_ms. Chunks may overlap in
// time (a storage node's out-of-order chunks overlap its in-order ones) and
// may hold samples outside the requested range: readers decode them all,
// merge by timestamp, keep the first of equal timestamps and clip to the
// range. A storage node returns each sample it accepted in one chunk only;
// equal timestamps across chunks are rare leftovers (duplicates of sealed
// chunks, replicas).
struct SeriesChunks {
  Labels labels;
  std::vector<ChunkData> chunks;
};

// Selects the series of `tenant` that every matcher accepts and that have
// samples in [min_time_ms, max_time_ms] (both inclusive).
struct SearchRequest {
  TenantId tenant;
  std::vector<Matcher> matchers;
  int64_t min_time_ms = 0;
  int64_t max_time_ms = 0;
  // Stop after this many series (0 = no limit); the result then says truncated.
  uint64_t max_series = 0;
};

struct SearchResult {
  std::vector<SeriesChunks> series;
  bool truncated = false;
};

// For the labels and series APIs (Prometheus's /api/v1/labels,
// /api/v1/label/<name>/values, /api/v1/series): the series of `tenant`
// that every matcher accepts (every series of the tenant when `matchers` is
// empty) and that have data in [min_time_ms, max_time_ms].
struct LabelsRequest {
  TenantId tenant;
  std::vector<Matcher> matchers;
  int64_t min_time_ms = 0;
  int64_t max_time_ms = 0;
  // Answer at most this many names, values or series (0 = no limit); the
  // answer says truncated when there were more. The kept ones are the first
  // in sort order, so merging several nodes' answers stays exact.
  uint64_t limit = 0;
  // The label whose values LabelValues lists; unused by the others.
  std::string label_name;
};

// Sorted, distinct label names or label values.
struct LabelsResult {
  std::vector<std::string> values;
  bool truncated = false;  // `limit` cut the answer short
};

// The label sets of the selected series, sorted, without samples: a search
// that reads only the index (no chunk is read or sent).
struct SeriesLabelsResult {
  std::vector<Labels> series;
  bool truncated = false;  // `limit` cut the answer short
};

// For the cardinality explorer (Prometheus's /api/v1/status/tsdb,
// VictoriaMetrics' cardinality stats): counts over the tenant's series that
// every matcher selects (all series when none) with data in
// [min_time_ms, max_time_ms].
struct TsdbStatusRequest {
  TenantId tenant;
  std::vector<Matcher> matchers;
  int64_t min_time_ms = 0;
  int64_t max_time_ms = 0;
  // Length of every top list. >= 1.
  uint64_t top_n = 10;
  // Label whose values series_count_by_focus_label_value counts ("": none).
  std::string focus_label;
};

// One entry of a top list: a metric name, label name or `name=value` pair.
struct TsdbStatEntry {
  std::string name;
  uint64_t value = 0;
  friend bool operator==(const TsdbStatEntry&, const TsdbStatEntry&) = default;
};

// Every top list is sorted by value, largest first (ties by name), and holds
// at most top_n entries.
struct TsdbStatusResult {
  uint64_t total_series = 0;
  uint64_t total_label_value_pairs = 0;  // sum over series of their labels
  uint64_t distinct_label_pairs = 0;     // distinct name=value pairs
  // In-memory part (Prometheus's headStats): chunks and sample time bounds
  // of the selected series the node still holds in memory. With no such
  // samples min_time_ms > max_time_ms (Prometheus's empty head).
  uint64_t head_chunks = 0;
  int64_t head_min_time_ms = std::numeric_limits<int64_t>::max();
  int64_t head_max_time_ms = std::numeric_limits<int64_t>::min();
  std::vector<TsdbStatEntry> series_count_by_metric_name;
  std::vector<TsdbStatEntry> series_count_by_label_name;
  std::vector<TsdbStatEntry> series_count_by_focus_label_value;
  std::vector<TsdbStatEntry> series_count_by_label_value_pair;
  std::vector<TsdbStatEntry> label_value_count_by_label_name;
  // Sum over the label's values of len(value) * series with it
  // (Prometheus's memoryInBytesByLabelName).
  std::vector<TsdbStatEntry> memory_in_bytes_by_label_name;
};

// The metadata of one metric family, as Prometheus's remote_write sends it
// (MetricMetadata) and its /api/v1/metadata serves it. `type` is the
// remote_write MetricType number (common/model/metric_type.h names them).
struct MetricMetadata {
  std::string metric_family_name;
  uint32_t type = 0;
  std::string help;
  std::string unit;
  friend bool operator==(const MetricMetadata&, const MetricMetadata&) = default;
};

// For /api/v1/metadata: the tenant's stored metadata, of one metric family
// when `metric` is set. At most `limit` metric families (0: no limit), the
// first by name.
struct MetadataRequest {
  TenantId tenant;
  std::string metric;
  uint64_t limit = 0;
};

// Sorted by metric family name, one entry per family (the latest sent).
struct MetadataResult {
  std::vector<MetricMetadata> metadata;
};

// For /api/v1/query_exemplars: the exemplars in [min_time_ms, max_time_ms]
// of the tenant's series that any selector (a conjunction of matchers)
// selects.
struct ExemplarsRequest {
  TenantId tenant;
  std::vector<std::vector<Matcher>> selectors;
  int64_t min_time_ms = 0;
  int64_t max_time_ms = 0;
};

struct Exemplar {
  Labels labels;
  double value = 0;
  int64_t timestamp_ms = 0;
};

// The exemplars of one series, by timestamp.
struct SeriesExemplars {
  Labels series;
  std::vector<Exemplar> exemplars;
};

// Series sorted by labels.
struct ExemplarsResult {
  std::vector<SeriesExemplars> series;
};

class StorageApi {
 public:
  using WriteCallback = absl::AnyInvocable<void(absl::Status)>;
  using SearchCallback = absl::AnyInvocable<void(absl::StatusOr<SearchResult>)>;
  // Gets one result per request, in request order.
  using SearchManyCallback = absl::AnyInvocable<void(absl::StatusOr<std::vector<SearchResult>>)>;
  // Gets how many series the node deleted.
  using DeleteCallback = absl::AnyInvocable<void(absl::StatusOr<uint64_t>)>;
  using LabelsCallback = absl::AnyInvocable<void(absl::StatusOr<LabelsResult>)>;
  using SeriesLabelsCallback = absl::AnyInvocable<void(absl::StatusOr<SeriesLabelsResult>)>;
  using TsdbStatusCallback = absl::AnyInvocable<void(absl::StatusOr<TsdbStatusResult>)>;
  using MetadataCallback = absl::AnyInvocable<void(absl::StatusOr<MetadataResult>)>;
  using ExemplarsCallback = absl::AnyInvocable<void(absl::StatusOr<ExemplarsResult>)>;

  virtual ~StorageApi() = default;

  // Appends an encoded write batch (common/model/write_batch.h). The callback
  // gets OK only after every sample is in the node's WAL (and fsynced when the
  // node runs with -wal.fsync=always). Errors: Unavailable when the node
  // cannot be reached or is shutting down (send the batch to another node),
  // DeadlineExceeded, InvalidArgument for a malformed batch,
  // ResourceExhausted when the node is overloaded.
  virtual void Write(const RequestContext& ctx, std::shared_ptr<const std::string> batch, WriteCallback done) = 0;

  // Appends the series `subset` of `batch` (indexes into batch.series()),
  // with Write's outcomes. `batch` and `subset` need to stay valid only
  // until the call returns. The default encodes them
  // (SeriesBatch::Encode) and calls Write; a storage engine in the same
  // process takes them as they are (InProcessStorage).
  virtual void WriteSeries(const RequestContext& ctx, const SeriesBatch& batch, std::span<const uint32_t> subset,
                           WriteCallback done) {
    Write(ctx, std::make_shared<const std::string>(batch.Encode(subset)), std::move(done));
  }

  // Runs a search. Errors: Unavailable, DeadlineExceeded, InvalidArgument.
  virtual void Search(const RequestContext& ctx, SearchRequest request, SearchCallback done) = 0;

  // Runs several searches as one call: the selectors of one PromQL query,
  // so that a query costs one request and one answer per node. Fails whole
  // when any search fails (errors as Search's). The default runs Search for
  // each request and answers when all have answered.
  virtual void SearchMany(const RequestContext& ctx, std::vector<SearchRequest> requests, SearchManyCallback done);

  // Deletes the series of `tenant` that every matcher accepts, with all
  // their samples (Prometheus's and VictoriaMetrics' delete_series: whole
  // series, all time), and answers how many it deleted. The node flushes
  // first, so the deleted samples do not come back from its WAL; later
  // samples with the same labels start a new series. Errors: InvalidArgument
  // without matchers, FailedPrecondition when the node keeps no persistent
  // index, Unavailable, DeadlineExceeded (the delete may still complete on
  // the node). The default answers Unimplemented, for StorageApis that
  // cannot delete (test fakes).
  virtual void DeleteSeries(const RequestContext& ctx, TenantId tenant, std::vector<Matcher> matchers,
                            DeleteCallback done) {
    (void)ctx;
    (void)tenant;
    (void)matchers;
    done(absl::UnimplementedError("storage node " + Name() + " does not support delete_series"));
  }

  // The label names, the values of label `request.label_name`, and the
  // label sets of the series selected by `request` (see LabelsRequest).
  // Errors: InvalidArgument, Unavailable, DeadlineExceeded. The defaults
  // answer Unimplemented, for StorageApis without an index (test fakes) and
  // for nodes that predate the methods.
  virtual void LabelNames(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) {
    (void)ctx;
    (void)request;
    done(absl::UnimplementedError("storage node " + Name() + " does not support label names"));
  }
  virtual void LabelValues(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) {
    (void)ctx;
    (void)request;
    done(absl::UnimplementedError("storage node " + Name() + " does not support label values"));
  }
  virtual void SeriesLabels(const RequestContext& ctx, LabelsRequest request, SeriesLabelsCallback done) {
    (void)ctx;
    (void)request;
    done(absl::UnimplementedError("storage node " + Name() + " does not support series labels"));
  }

  // Cardinality counts of the series selected by `request` (see
  // TsdbStatusRequest). Errors: InvalidArgument, Unavailable,
  // DeadlineExceeded; the default answers Unimplemented (test fakes, nodes
  // that predate the method).
  virtual void TsdbStatus(const RequestContext& ctx, TsdbStatusRequest request, TsdbStatusCallback done) {
    (void)ctx;
    (void)request;
    done(absl::UnimplementedError("storage node " + Name() + " does not support tsdb status"));
  }

  // Metric metadata (Prometheus remote_write's MetricMetadata): WriteMetadata
  // stores the latest type/help/unit per (tenant, metric family); Metadata
  // reads them back. QueryExemplars reads the exemplars that came inside
  // write batches (write_batch.h, magic 0x58). Errors: InvalidArgument,
  // Unavailable, DeadlineExceeded; FailedPrecondition from a node without a
  // persistent store. The defaults answer Unimplemented (test fakes, nodes
  // that predate the methods).
  virtual void WriteMetadata(const RequestContext& ctx, TenantId tenant, std::vector<MetricMetadata> metadata,
                             WriteCallback done) {
    (void)ctx;
    (void)tenant;
    (void)metadata;
    done(absl::UnimplementedError("storage node " + Name() + " does not support metric metadata"));
  }
  virtual void Metadata(const RequestContext& ctx, MetadataRequest request, MetadataCallback done) {
    (void)ctx;
    (void)request;
    done(absl::UnimplementedError("storage node " + Name() + " does not support metric metadata"));
  }
  virtual void QueryExemplars(const RequestContext& ctx, ExemplarsRequest request, ExemplarsCallback done) {
    (void)ctx;
    (void)request;
    done(absl::UnimplementedError("storage node " + Name() + " does not support exemplars"));
  }

  // A short name for logs and metric labels, e.g. "127.0.0.1:8400".
  virtual std::string Name() const = 0;

  // False while the node is known to be unreachable (its connection is down
  // and in reconnect backoff) or, behind a HealthCheckedStorage, hung or
  // failing (common/rpc/health_checked_storage.h). Calls may still be
  // attempted.
  virtual bool IsHealthy() const { return true; }
};

namespace storage_api_internal {

// The answers of one SearchMany run as separate Searches; the last callback
// to arrive delivers them.
struct SearchManyJoin {
  SearchManyJoin(size_t n, StorageApi::SearchManyCallback callback)
      : pending(n), results(n), done(std::move(callback)) {}

  void Answer(size_t i, absl::StatusOr<SearchResult> result) {
    bool last = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (result.ok()) {
        results[i] = *std::move(result);
      } else if (first_error.ok()) {
        first_error = result.status();
      }
      last = --pending == 0;
    }
    if (!last) return;
    if (!first_error.ok()) {
      done(first_error);
      return;
    }
    done(std::move(results));
  }

  std::mutex mu;
  size_t pending;
  std::vector<SearchResult> results;
  absl::Status first_error;
  StorageApi::SearchManyCallback done;
};

}  // namespace storage_api_internal

// Inline, so that StorageApi keeps no key function and every library that
// implements or calls it needs no extra link dependency.
inline void StorageApi::SearchMany(const RequestContext& ctx, std::vector<SearchRequest> requests,
                                   SearchManyCallback done) {
  if (requests.empty()) {
    done(std::vector<SearchResult>());
    return;
  }
  auto join = std::make_shared<storage_api_internal::SearchManyJoin>(requests.size(), std::move(done));
  for (size_t i = 0; i < requests.size(); ++i) {
    Search(ctx, std::move(requests[i]),
           [join, i](absl::StatusOr<SearchResult> result) { join->Answer(i, std::move(result)); });
  }
}

}  // namespace strata
