// File: insert/ingest/series_collector.h
//
// The part every ingest handler shares between decoding a body and routing
// it: each decoded series gets the request's extra labels, is validated and
// sorted (ValidateAndSortLabels), checked against the ingest limits
// (IngestLimiter: label count and lengths, per-tenant series per hour/day),
// and goes into one SeriesBatch; every series or line that cannot be stored
// is counted by reason and the first problem kept for the reply (nothing is
// dropped silently). WriteAndReply then sends
// the batch through the Router and answers the HTTP request.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "common/formats/import_sink.h"
#include "common/model/labels.h"
#include "common/model/tenant.h"
#include "common/net/http.h"
#include "common/rpc/storage_api.h"
#include "insert/ingest/ingest_limits.h"
#include "insert/ingest/ingest_metrics.h"
#include "insert/router/router.h"

namespace strata::insert {

// How far past the wall clock a sample may lie. Prometheus's receiver
// allows 10 minutes, VictoriaMetrics 2 days (-futureRetention); the wider
// bound keeps clients with skewed clocks working while a sample at, say,
// INT64_MAX (a sender bug) is refused with a message instead of being
// stored where no query reaches it and no retention removes it.
inline constexpr int64_t kMaxFutureTimestampMs = int64_t{2} * 24 * 3600 * 1000;

// How large one request's SeriesBatch may grow. Decoded labels can be far
// larger than the body (remote_write 2.0 and OTLP repeat shared strings by
// reference), so the body limit alone does not bound it; past this the
// request's remaining series are rejected with a message instead of
// exhausting memory (or the batch's 32-bit offsets).
inline constexpr size_t kMaxSeriesBatchBytes = size_t{1} << 30;

// Collects one request's series. Thread-compatible (one per request).
class SeriesCollector : public formats::ImportSink {
 public:
  // `extra_labels` (VictoriaMetrics' extra_label=name=value) are set on every
  // series, replacing a label of the same name. `metrics` and `limiter` may
  // be null (no counting, no limits); all must outlive the collector.
  // Series past `max_batch_bytes` of SeriesBatch::bytes() are rejected.
  SeriesCollector(TenantId tenant, std::span<const Label> extra_labels, IngestMetrics* metrics,
                  IngestLimiter* limiter = nullptr, size_t max_batch_bytes = kMaxSeriesBatchBytes);

  // Validates and adds one series; `line` 0 when the format has no lines.
  // A series with neither samples nor exemplars is counted and skipped; one
  // with a sample more than kMaxFutureTimestampMs ahead is rejected whole.
  void Add(std::vector<LabelView>* labels, std::span<const Sample> samples, size_t line,
           std::span<const ExemplarView> exemplars = {}, std::span<const LabelView> exemplar_labels = {});

  void OnSeries(formats::ParsedSeries& series) override { Add(&series.labels, series.samples, series.line); }
  void OnError(formats::ParseError error) override;
  void OnSkippedValue(size_t line, std::string_view reason) override;
  // `# TYPE`, `# HELP` and `# UNIT` lines each set their field of the
  // family's entry in metadata().
  void OnMetadata(const formats::MetadataLine& line) override;

  // Sets every field of `family`'s metadata entry (remote_write; the last
  // call for a family wins).
  void SetMetadata(std::string_view family, uint32_t type, std::string_view help, std::string_view unit);
  // One entry per metric family, in order of first mention; for
  // Router::WriteMetadata.
  std::vector<MetricMetadata> TakeMetadata() { return std::move(metadata_); }

  // "" when everything decoded was stored; otherwise a sentence with the
  // counts and the first problem, e.g. "rejected 1 of 3 lines; the first:
  // line 2: cannot parse value \"x\"". Limit rejections are named with
  // their counts and flags: "rejected 3 of 9 series (2 over
  // -maxLabelsPerTimeseries=30, 1 over -storage.maxHourlySeries=1000); the
  // first: ...".
  std::string Problems(std::string_view unit) const;
  size_t rejected() const { return rejected_; }
  // Samples of the series Add rejected (invalid labels or a limit).
  size_t rejected_samples() const { return rejected_samples_; }
  SeriesBatch& batch() { return batch_; }

 private:
  // Counts a rejection; `message` is called only for the first one (the
  // reply names only that one).
  void Reject(size_t line, absl::FunctionRef<std::string()> message);
  // The request's metadata entry of `family`, created empty on first use.
  MetricMetadata& MetadataOf(std::string_view family);

  SeriesBatch batch_;
  std::span<const Label> extra_labels_;
  int64_t max_timestamp_ms_;  // now + kMaxFutureTimestampMs, fixed per request
  size_t max_batch_bytes_;
  IngestMetrics* metrics_;
  IngestLimiter* limiter_;
  std::array<size_t, kLimitReasonCount> limited_{};
  size_t rejected_samples_ = 0;
  size_t total_ = 0;
  size_t rejected_ = 0;
  size_t skipped_values_ = 0;
  std::string first_problem_;
  std::vector<MetricMetadata> metadata_;
  absl::flat_hash_map<std::string, size_t> metadata_index_;  // family -> metadata_ index
};

// Builds the response of a finished request: `status`, a human-readable body
// ("" for 204), and the samples stored.
using ReplyBuilder = absl::AnyInvocable<HttpResponse(int status, std::string body, size_t samples_written)>;

// A write that must also succeed before the request is answered (metadata
// after remote_write's samples); it calls its callback exactly once.
using FollowUpWrite = absl::AnyInvocable<void(Router::DoneCallback then)>;

// The follow-up that stores `metadata` on every storage node
// (Router::WriteMetadata) once the samples are stored; null when there is
// none. `router` must outlive the request.
FollowUpWrite WriteMetadataAfter(Router& router, TenantId tenant, std::vector<MetricMetadata> metadata);

// Sends `batch` through `router`; answers 204 when all of it is stored and
// `problems` is empty, 400 with `problems` when some input was rejected (the
// valid part IS stored), and the Router's failure otherwise (429 with
// Retry-After, 503, 400, 500). With `then` set it runs after the batch is
// stored, and its failure is the request's. Counts the request and the
// samples.
void WriteAndReply(Router& router, SeriesBatch batch, std::string problems, IngestMetrics& metrics,
                   int retry_after_seconds, ReplyBuilder build, HttpResponder respond, FollowUpWrite then = nullptr);

}  // namespace strata::insert
