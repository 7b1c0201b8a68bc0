// Fuzzes the OTLP metrics converter (ConvertOtlpMetrics: protobuf
// ExportMetricsServiceRequest -> series). Invariants: the rejection counts
// add up and a rejection comes with a reason; every series has samples and
// labels the insert handler can validate; the partial-success reply encodes.
#include <cstdint>
#include <numeric>
#include <string>

#include "common/formats/otlp_metrics.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  using namespace strata::fuzz;
  absl::StatusOr<OtlpConversion> c = ConvertOtlpMetrics(AsView(data, size), OtlpConvertOptions{.now_ms = 1700000000000});
  if (!c.ok()) {
    FUZZ_CHECK(!c.status().message().empty(), "an error without a message");
    return 0;
  }
  int64_t by_reason = std::accumulate(c->rejected_by_reason.begin(), c->rejected_by_reason.end(), int64_t{0});
  FUZZ_CHECK(by_reason == c->points_rejected, "rejections by reason do not add up");
  FUZZ_CHECK(c->points_accepted >= 0 && c->points_rejected >= 0, "negative point counts");
  FUZZ_CHECK((c->points_rejected == 0) || !c->first_problem.empty(), "a rejection without a reason");
  for (const OtlpSeries& s : c->series) {
    FUZZ_CHECK(!s.samples.empty(), "a series without samples");
    std::vector<LabelView> views;
    for (const Label& l : s.labels) views.push_back({l.name, l.value});
    absl::Status valid = ValidateAndSortLabels(&views);
    FUZZ_CHECK(valid.ok(), "a converted series has invalid labels: " + valid.ToString());
  }
  FUZZ_CHECK(!EncodeOtlpMetricsResponse(c->points_rejected, c->first_problem).empty() || c->points_rejected == 0,
             "a partial-success reply encodes to nothing");
  return 0;
}
