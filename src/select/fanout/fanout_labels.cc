#include "select/fanout/fanout_labels.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/base/status.h"
#include "select/fanout/call_all.h"
#include "select/fanout/partial.h"

namespace strata::select {
namespace {

std::vector<std::string>& Items(LabelsResult& r) { return r.values; }
std::vector<Labels>& Items(SeriesLabelsResult& r) { return r.series; }

// Calls `call(node, request, callback)` on every node for every selector (one
// call with no matchers when there is none) and merges the answers.
template <typename Result, typename Item, typename Call>
absl::StatusOr<MetadataAnswer<Item>> FanOut(const std::vector<StorageApi*>& nodes, const MetadataQuery& query,
                                            std::string_view what, std::string_view label_name, Call call) {
  if (nodes.empty()) return absl::UnavailableError(fmt::format("cannot read {}: no storage nodes configured", what));
  const size_t selectors = std::max<size_t>(1, query.selectors.size());
  const size_t calls = nodes.size() * selectors;
  const RequestContext ctx{query.deadline};
  std::vector<absl::StatusOr<Result>> results = CallAllAndWait<Result>(
      calls, query.deadline, "no answer before the query deadline", [&](size_t slot, auto done) {
        const size_t n = slot / selectors;
        const size_t s = slot % selectors;
        LabelsRequest request;
        request.tenant = query.tenant;
        if (!query.selectors.empty()) request.matchers = query.selectors[s];
        request.min_time_ms = query.min_time_ms;
        request.max_time_ms = query.max_time_ms;
        request.limit = query.limit;
        request.label_name = std::string(label_name);
        call(*nodes[n], ctx, std::move(request), std::move(done));
      });

  MetadataAnswer<Item> answer;
  std::vector<std::string> failures;
  absl::Status first_error;
  for (size_t n = 0; n < nodes.size(); ++n) {
    // A node that failed any selector may miss items of that selector: it
    // counts as failed, named once by its first error.
    bool node_failed = false;
    for (size_t s = 0; s < selectors; ++s) {
      absl::StatusOr<Result>& r = results[n * selectors + s];
      if (r.ok()) {
        answer.truncated |= r->truncated;
        std::vector<Item>& items = Items(*r);
        answer.items.insert(answer.items.end(), std::make_move_iterator(items.begin()),
                            std::make_move_iterator(items.end()));
        continue;
      }
      const absl::StatusCode code = r.status().code();
      if (code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kResourceExhausted) {
        return absl::Status(code, fmt::format("storage node {}: {}", nodes[n]->Name(), ToStd(r.status().message())));
      }
      if (node_failed) continue;
      node_failed = true;
      if (first_error.ok()) first_error = r.status();
      failures.push_back(fmt::format("cannot fetch {} from storage node {}: {}", what, nodes[n]->Name(),
                                     ToStd(r.status().message())));
    }
  }
  if (failures.size() == nodes.size()) {
    return absl::UnavailableError(fmt::format("cannot fetch {} from any of {} storage nodes; first error: {}", what,
                                              nodes.size(), ToStd(first_error.message())));
  }
  STRATA_RETURN_IF_ERROR(ApplyNodeFailures(what, query.replication_factor, query.deny_partial, std::move(failures),
                                           answer.partial, answer.warnings));
  std::sort(answer.items.begin(), answer.items.end());
  answer.items.erase(std::unique(answer.items.begin(), answer.items.end()), answer.items.end());
  // Every node kept its first `limit` items, so the first `limit` of the
  // union are exact; more than `limit` in the union means more exist.
  if (query.limit > 0 && answer.items.size() > query.limit) {
    answer.items.resize(static_cast<size_t>(query.limit));
    answer.truncated = true;
  }
  return answer;
}

}  // namespace

absl::StatusOr<MetadataAnswer<std::string>> LabelNamesOnAllNodes(const std::vector<StorageApi*>& nodes,
                                                                 const MetadataQuery& query) {
  return FanOut<LabelsResult, std::string>(
      nodes, query, "label names", "",
      [](StorageApi& node, const RequestContext& ctx, LabelsRequest request, StorageApi::LabelsCallback done) {
        node.LabelNames(ctx, std::move(request), std::move(done));
      });
}

absl::StatusOr<MetadataAnswer<std::string>> LabelValuesOnAllNodes(const std::vector<StorageApi*>& nodes,
                                                                  std::string_view label_name,
                                                                  const MetadataQuery& query) {
  return FanOut<LabelsResult, std::string>(
      nodes, query, "label values", label_name,
      [](StorageApi& node, const RequestContext& ctx, LabelsRequest request, StorageApi::LabelsCallback done) {
        node.LabelValues(ctx, std::move(request), std::move(done));
      });
}

absl::StatusOr<MetadataAnswer<Labels>> SeriesOnAllNodes(const std::vector<StorageApi*>& nodes,
                                                        const MetadataQuery& query) {
  return FanOut<SeriesLabelsResult, Labels>(
      nodes, query, "series", "",
      [](StorageApi& node, const RequestContext& ctx, LabelsRequest request, StorageApi::SeriesLabelsCallback done) {
        node.SeriesLabels(ctx, std::move(request), std::move(done));
      });
}

}  // namespace strata::select
