// File: select/fanout/partial.h
//
// -search.denyPartialResponse (VictoriaMetrics' flag of the same name): when
// so many storage nodes failed that data may be missing (R or more with
// replication factor R), the answer is an error instead of a result marked
// isPartial. This trades availability for consistency: a dashboard or an
// alert rule then never sees a silently incomplete answer.
#pragma once

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

}  // namespace strata::select
