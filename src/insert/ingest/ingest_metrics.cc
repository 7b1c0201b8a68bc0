#include "insert/ingest/ingest_metrics.h"

#include <string>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

namespace strata::insert {

IngestMetrics::IngestMetrics(prometheus::Registry* registry, std::string_view protocol, int ok_status)
    : ok_status_(ok_status) {
  if (registry == nullptr) return;
  auto& requests = prometheus::BuildCounter()
                       .Name("strata_insert_requests_total")
                       .Help("Insert requests by protocol and result")
                       .Register(*registry);
  auto req = [&](const char* result) {
    return &requests.Add({{"protocol", std::string(protocol)}, {"result", result}});
  };
  ok_ = req("ok");
  bad_ = req("bad_request");
  overloaded_ = req("overloaded");
  unavailable_ = req("unavailable");
  error_ = req("error");
  samples_ = &prometheus::BuildCounter()
                  .Name("strata_insert_samples_total")
                  .Help("Samples acknowledged by every replica's storage node")
                  .Register(*registry)
                  .Add({});
}

void IngestMetrics::CountRequest(int http_status) {
  if (ok_ == nullptr) return;
  if (http_status == ok_status_) return ok_->Increment();
  switch (http_status) {
    case 429: overloaded_->Increment(); break;
    case 503: unavailable_->Increment(); break;
    default: (http_status >= 400 && http_status < 500 ? bad_ : error_)->Increment();
  }
}

void IngestMetrics::CountSamples(size_t samples) {
  if (samples_ != nullptr) samples_->Increment(static_cast<double>(samples));
}

}  // namespace strata::insert
