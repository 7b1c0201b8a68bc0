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
#include <span>
#include <string>
#include <vector>

#include "common/formats/import_sink.h"
#include "common/model/labels.h"
#include "common/model/tenant.h"
#include "common/net/http.h"
#include "insert/ingest/ingest_limits.h"
#include "insert/ingest/ingest_metrics.h"
#include "insert/router/router.h"

namespace strata::insert {

// Collects one request's series. Thread-compatible (one per request).
class SeriesCollector : public formats::ImportSink {
 public:
  // `extra_labels` (VictoriaMetrics' extra_label=name=value) are set on every
  // series, replacing a label of the same name. `metrics` and `limiter` may
  // be null (no counting, no limits); all must outlive the collector.
  SeriesCollector(TenantId tenant, std::span<const Label> extra_labels, IngestMetrics* metrics,
                  IngestLimiter* limiter = nullptr);

  // Validates and adds one series; `line` 0 when the format has no lines.
  // A series with neither samples nor exemplars is counted and skipped.
  void Add(std::vector<LabelView>* labels, std::span<const Sample> samples, size_t line,
           std::span<const ExemplarView> exemplars = {}, std::span<const LabelView> exemplar_labels = {});

  void OnSeries(formats::ParsedSeries& series) override { Add(&series.labels, series.samples, series.line); }
  void OnError(formats::ParseError error) override;
  void OnSkippedValue(size_t line, std::string_view reason) override;

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
  void Reject(size_t line, std::string message);

  SeriesBatch batch_;
  std::span<const Label> extra_labels_;
  IngestMetrics* metrics_;
  IngestLimiter* limiter_;
  std::array<size_t, kLimitReasonCount> limited_{};
  size_t rejected_samples_ = 0;
  size_t total_ = 0;
  size_t rejected_ = 0;
  size_t skipped_values_ = 0;
  std::string first_problem_;
};

// Builds the response of a finished request: `status`, a human-readable body
// ("" for 204), and the samples stored.
using ReplyBuilder = absl::AnyInvocable<HttpResponse(int status, std::string body, size_t samples_written)>;

// A write that must also succeed before the request is answered (metadata
// after remote_write's samples); it calls its callback exactly once.
using FollowUpWrite = absl::AnyInvocable<void(Router::DoneCallback then)>;

// Sends `batch` through `router`; answers 204 when all of it is stored and
// `problems` is empty, 400 with `problems` when some input was rejected (the
// valid part IS stored), and the Router's failure otherwise (429 with
// Retry-After, 503, 400, 500). With `then` set it runs after the batch is
// stored, and its failure is the request's. Counts the request and the
// samples.
void WriteAndReply(Router& router, SeriesBatch batch, std::string problems, IngestMetrics& metrics,
                   int retry_after_seconds, ReplyBuilder build, HttpResponder respond, FollowUpWrite then = nullptr);

}  // namespace strata::insert
