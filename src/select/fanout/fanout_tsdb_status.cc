#include "select/fanout/fanout_tsdb_status.h"

#include <algorithm>

#include <fmt/format.h>

#include "absl/container/flat_hash_map.h"
#include "common/base/status.h"
#include "common/rpc/tsdb_status_top.h"
#include "select/fanout/call_all.h"
#include "select/fanout/partial.h"

namespace strata::select {
namespace {

uint64_t DivideUp(uint64_t v, uint64_t r) { return v / r + (v % r != 0 ? 1 : 0); }

std::vector<TsdbStatEntry> MergeList(const std::vector<TsdbStatusResult>& answers,
                                     std::vector<TsdbStatEntry> TsdbStatusResult::*list, uint64_t divisor,
                                     size_t top_n) {
  absl::flat_hash_map<std::string_view, uint64_t> sums;
  for (const TsdbStatusResult& a : answers) {
    for (const TsdbStatEntry& e : a.*list) sums[e.name] += e.value;
  }
  TsdbTopN top(top_n);
  for (const auto& [name, sum] : sums) top.Push(name, DivideUp(sum, divisor));
  return top.Take();
}

}  // namespace

TsdbStatusResult MergeTsdbStatus(const std::vector<TsdbStatusResult>& answers, int replication_factor,
                                 size_t top_n) {
  const uint64_t r = static_cast<uint64_t>(std::max(1, replication_factor));
  TsdbStatusResult out;
  for (const TsdbStatusResult& a : answers) {
    out.total_series += a.total_series;
    out.total_label_value_pairs += a.total_label_value_pairs;
    out.distinct_label_pairs += a.distinct_label_pairs;
    out.head_chunks += a.head_chunks;
    out.head_min_time_ms = std::min(out.head_min_time_ms, a.head_min_time_ms);
    out.head_max_time_ms = std::max(out.head_max_time_ms, a.head_max_time_ms);
  }
  out.total_series = DivideUp(out.total_series, r);
  out.total_label_value_pairs = DivideUp(out.total_label_value_pairs, r);
  out.distinct_label_pairs = DivideUp(out.distinct_label_pairs, r);
  for (auto list : {&TsdbStatusResult::series_count_by_metric_name, &TsdbStatusResult::series_count_by_label_name,
                    &TsdbStatusResult::series_count_by_focus_label_value,
                    &TsdbStatusResult::series_count_by_label_value_pair,
                    &TsdbStatusResult::label_value_count_by_label_name,
                    &TsdbStatusResult::memory_in_bytes_by_label_name}) {
    out.*list = MergeList(answers, list, r, top_n);
  }
  return out;
}

absl::StatusOr<TsdbStatusAnswer> TsdbStatusOnAllNodes(const std::vector<StorageApi*>& nodes,
                                                      const TsdbStatusRequest& request, int replication_factor,
                                                      std::chrono::steady_clock::time_point deadline) {
  if (nodes.empty()) return absl::UnavailableError("cannot read tsdb status: no storage nodes configured");
  const RequestContext ctx{deadline};
  std::vector<absl::StatusOr<TsdbStatusResult>> results = CallAllAndWait<TsdbStatusResult>(
      nodes.size(), deadline, "no answer before the query deadline",
      [&](size_t n, auto done) { nodes[n]->TsdbStatus(ctx, request, std::move(done)); });
  std::vector<TsdbStatusResult> answered;
  std::vector<std::string> failures;
  absl::Status first_error;
  for (size_t n = 0; n < nodes.size(); ++n) {
    absl::StatusOr<TsdbStatusResult>& r = results[n];
    if (r.ok()) {
      answered.push_back(*std::move(r));
      continue;
    }
    if (r.status().code() == absl::StatusCode::kInvalidArgument) {
      return absl::InvalidArgumentError(
          fmt::format("storage node {}: {}", nodes[n]->Name(), ToStd(r.status().message())));
    }
    if (first_error.ok()) first_error = r.status();
    failures.push_back(fmt::format("cannot fetch tsdb status from storage node {}: {}", nodes[n]->Name(),
                                   ToStd(r.status().message())));
  }
  if (answered.empty()) {
    return absl::UnavailableError(fmt::format("cannot fetch tsdb status from any of {} storage nodes; first error: {}",
                                              nodes.size(), ToStd(first_error.message())));
  }
  TsdbStatusAnswer answer;
  answer.status = MergeTsdbStatus(answered, replication_factor, static_cast<size_t>(request.top_n));
  // Counts are estimates anyway: -search.denyPartialResponse does not apply.
  STRATA_RETURN_IF_ERROR(ApplyNodeFailures("tsdb status", replication_factor, /*deny=*/false, std::move(failures),
                                           answer.partial, answer.warnings));
  return answer;
}

}  // namespace strata::select
