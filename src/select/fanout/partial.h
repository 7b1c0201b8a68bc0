// File: select/fanout/partial.h
//
// When a fan-out's answer is partial, and -search.denyPartialResponse
// (VictoriaMetrics' flag of the same name): when so many storage nodes
// failed that data may be missing (R or more with replication factor R),
// the answer is an error instead of a result marked isPartial. This trades availability for consistency: a dashboard or an
// alert rule then never sees a silently incomplete answer.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "absl/status/status.h"

namespace strata::select {

// Unavailable (HTTP 503, errorType "unavailable") naming `what` could not
// be answered completely and the node failures (one message per node).
inline absl::Status PartialResponseDenied(std::string_view what, const std::vector<std::string>& failures) {
  return absl::UnavailableError(
      fmt::format("cannot answer {} completely and -search.denyPartialResponse is set: {} storage node(s) failed: {}",
                  what, failures.size(), fmt::join(failures, "; ")));
}

// The rule every fan-out applies to its failed nodes: with R replicas of
// every series, up to R-1 failed nodes lose nothing. From R on data may be
// missing, and the answer becomes partial (`partial` set, one warning per
// failure appended to `warnings`) or, with `deny`, the error above.
inline absl::Status ApplyNodeFailures(std::string_view what, int replication_factor, bool deny,
                                      std::vector<std::string> failures, bool& partial,
                                      std::vector<std::string>& warnings) {
  if (failures.size() < static_cast<size_t>(std::max(1, replication_factor))) return absl::OkStatus();
  if (deny) return PartialResponseDenied(what, failures);
  partial = true;
  for (std::string& f : failures) warnings.push_back(std::move(f));
  return absl::OkStatus();
}

}  // namespace strata::select
