#include "insert/ingest/ingest_metrics.h"

#include <string>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "common/base/status.h"

namespace strata::insert {

IngestMetrics::IngestMetrics(prometheus::Registry* registry, std::string_view protocol) {
  if (registry == nullptr) return;
  auto& requests = prometheus::BuildCounter()
                       .Name("strata_insert_requests_total")
                       .Help("Insert requests by protocol and result")
                       .Register(*registry);
  auto req = [&](const char* result) {
    return &requests.Add({{"protocol", std::string(protocol)}, {"result", result}});
  };
  requests_ok_ = req("ok");
  requests_bad_ = req("bad_request");
  requests_overloaded_ = req("overloaded");
  requests_unavailable_ = req("unavailable");
  requests_error_ = req("error");
  samples_ = &prometheus::BuildCounter()
                  .Name("strata_insert_samples_total")
                  .Help("Samples acknowledged by every replica's storage node")
                  .Register(*registry)
                  .Add({});
  rejected_ = &prometheus::BuildCounter()
                   .Name("strata_insert_series_rejected_total")
                   .Help("Series, lines or OTLP data points not stored, by reason")
                   .Register(*registry);
  rejected_samples_ = &prometheus::BuildCounter()
                           .Name("strata_insert_rejected_samples_total")
                           .Help("Samples not stored because their series had invalid labels or broke an ingest "
                                 "limit, by reason")
                           .Register(*registry);
}

void IngestMetrics::CountRequest(int http_status) {
  if (requests_ok_ == nullptr) return;
  switch (http_status) {
    case 200:
    case 204: requests_ok_->Increment(); break;
    case 429: requests_overloaded_->Increment(); break;
    case 503: requests_unavailable_->Increment(); break;
    default: (http_status >= 400 && http_status < 500 ? requests_bad_ : requests_error_)->Increment();
  }
}

void IngestMetrics::CountInvalidSeries(const absl::Status& status, size_t samples) {
  // ValidateAndSortLabels' messages are the only classification it offers.
  std::string_view m = ToStd(status.message());
  std::string_view reason = "other";
  if (m.find("missing metric name") != std::string_view::npos) {
    reason = "missing_metric_name";
  } else if (m.find("empty name") != std::string_view::npos) {
    reason = "empty_label_name";
  } else if (m.find("duplicate label name") != std::string_view::npos) {
    reason = "duplicate_label_name";
  } else if (m.find("UTF-8") != std::string_view::npos) {
    reason = "invalid_utf8";
  }
  CountRejectedSeries(reason, samples);
}

void IngestMetrics::CountRejected(std::string_view reason, size_t count) {
  if (rejected_ == nullptr || count == 0) return;
  rejected_->Add({{"reason", std::string(reason)}}).Increment(static_cast<double>(count));
}

void IngestMetrics::CountRejectedSeries(std::string_view reason, size_t samples) {
  CountRejected(reason);
  if (rejected_samples_ == nullptr || samples == 0) return;
  rejected_samples_->Add({{"reason", std::string(reason)}}).Increment(static_cast<double>(samples));
}

void IngestMetrics::AddSamples(size_t samples) {
  if (samples_ != nullptr) samples_->Increment(static_cast<double>(samples));
}

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return 204;
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded: return 503;
    default: return 500;
  }
}

}  // namespace strata::insert
