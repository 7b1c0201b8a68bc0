#include "select/fanout/fanout_delete.h"

#include <string>

#include <fmt/format.h>

#include "common/base/status.h"
#include "select/fanout/call_all.h"

namespace strata::select {

absl::StatusOr<uint64_t> DeleteSeriesOnAllNodes(const std::vector<StorageApi*>& nodes, const TenantId& tenant,
                                                const std::vector<std::vector<Matcher>>& selectors,
                                                std::chrono::steady_clock::time_point deadline) {
  if (nodes.empty()) return absl::UnavailableError("cannot delete series: no storage nodes configured");
  if (selectors.empty()) return uint64_t{0};
  const size_t calls = nodes.size() * selectors.size();
  const RequestContext ctx{deadline};
  std::vector<absl::StatusOr<uint64_t>> results = CallAllAndWait<uint64_t>(
      calls, deadline, "no answer before the deadline (the delete may still complete there)",
      [&](size_t slot, auto done) {
        nodes[slot / selectors.size()]->DeleteSeries(ctx, tenant, selectors[slot % selectors.size()],
                                                     std::move(done));
      });

  uint64_t deleted = 0;
  std::vector<std::string> failures;
  bool all_deadline = true;
  bool all_transient = true;
  for (size_t n = 0; n < nodes.size(); ++n) {
    // One line per node: its first failed selector says enough.
    for (size_t s = 0; s < selectors.size(); ++s) {
      const absl::StatusOr<uint64_t>& r = results[n * selectors.size() + s];
      if (r.ok()) {
        deleted += *r;
        continue;
      }
      const absl::StatusCode code = r.status().code();
      all_deadline &= code == absl::StatusCode::kDeadlineExceeded;
      all_transient &= code == absl::StatusCode::kDeadlineExceeded || code == absl::StatusCode::kUnavailable;
      failures.push_back(fmt::format("storage node {}: {}", nodes[n]->Name(), ToStd(r.status().message())));
      break;
    }
  }
  if (failures.empty()) return deleted;
  std::string message =
      fmt::format("delete_series failed on {} of {} storage nodes; the series may be deleted on some nodes only "
                  "and still be returned by queries: repeat the request once the nodes are healthy (deleting again "
                  "is safe); ",
                  failures.size(), nodes.size());
  for (size_t i = 0; i < failures.size(); ++i) {
    if (i > 0) message += "; ";
    message += failures[i];
  }
  if (all_deadline) return absl::DeadlineExceededError(message);
  if (all_transient) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

}  // namespace strata::select
