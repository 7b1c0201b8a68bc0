// File: tests/e2e/prom_json.h
//
// Parses Prometheus query API responses (from Strata or from a real
// Prometheus) into a form tests can compare: series sorted by labels, points
// as (milliseconds, value string).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace strata::testing {

struct QuerySeries {
  std::map<std::string, std::string> labels;
  std::vector<std::pair<int64_t, std::string>> points;  // (timestamp ms, value as sent)

  // `{a="b", c="d"}` for messages and sorting.
  std::string LabelsText() const;
};

struct QueryResponse {
  std::string status;
  std::string result_type;
  std::string error_type;
  std::string error;
  bool is_partial = false;
  std::vector<std::string> warnings;
  std::vector<QuerySeries> series;  // sorted by LabelsText()
};

absl::StatusOr<QueryResponse> ParseQueryResponse(std::string_view body);

// Percent-encodes a query parameter value (everything but A-Za-z0-9-_.~).
std::string UrlEncode(std::string_view s);

}  // namespace strata::testing
