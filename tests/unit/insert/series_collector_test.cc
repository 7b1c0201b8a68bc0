#include "insert/ingest/series_collector.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace strata::insert {
namespace {

std::vector<LabelView> Labels(const std::string& instance) {
  return {{"__name__", "node_load1"}, {"instance", instance}, {"job", "node"}};
}

TEST_CASE("series collector rejects the series of a request past its decoded size limit, naming it",
          "[insert][unit]") {
  const std::vector<Sample> samples = {{1000, 1}, {2000, 2}};
  // Room for a few series: each takes its packed labels, two samples and
  // its bookkeeping.
  SeriesCollector collector(TenantId{}, {}, /*metrics=*/nullptr, /*limiter=*/nullptr, /*max_batch_bytes=*/400);
  const std::vector<std::string> instances = {"a:9100", "b:9100", "c:9100", "d:9100", "e:9100",
                                              "f:9100", "g:9100", "h:9100", "i:9100", "j:9100"};
  for (const std::string& instance : instances) {
    std::vector<LabelView> labels = Labels(instance);
    collector.Add(&labels, samples, /*line=*/0);
  }
  const size_t kept = collector.batch().series_count();
  CHECK(kept >= 1);
  CHECK(kept < instances.size());
  // Every series is either stored or counted: nothing is dropped silently.
  CHECK(collector.rejected() == instances.size() - kept);
  CHECK(collector.rejected_samples() == (instances.size() - kept) * samples.size());
  CHECK(collector.batch().bytes() <= 400 + collector.batch().bytes() / kept);
  CHECK(collector.Problems("series").find("more than 400 bytes once decoded") != std::string::npos);
}

}  // namespace
}  // namespace strata::insert
