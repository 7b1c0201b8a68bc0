#include "select/fanout/fanout_exemplars.h"

#include <algorithm>
#include <bit>
#include <map>

#include <fmt/format.h>

#include "common/base/status.h"
#include "select/fanout/call_all.h"

namespace strata::select {
namespace {

// Calls `call(node, callback)` on every node and waits for the answers.
template <typename Result, typename Call>
std::vector<absl::StatusOr<Result>> CallAll(const std::vector<StorageApi*>& nodes,
                                            std::chrono::steady_clock::time_point deadline, Call call) {
  return CallAllAndWait<Result>(nodes.size(), deadline, "no answer before the deadline",
                                [&](size_t n, auto done) { call(*nodes[n], std::move(done)); });
}

// Splits node answers into the good ones and warnings; the error when the
// call as a whole fails.
template <typename Result>
absl::Status Triage(const std::vector<StorageApi*>& nodes, std::vector<absl::StatusOr<Result>>& results,
                    std::string_view what, std::vector<Result>* good, std::vector<std::string>* warnings) {
  absl::Status last;
  size_t answered = 0;
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (results[n].ok()) {
      ++answered;
      good->push_back(std::move(*results[n]));
      continue;
    }
    const absl::Status& st = results[n].status();
    // A node older than the methods has stored nothing of the kind.
    if (st.code() == absl::StatusCode::kUnimplemented) {
      ++answered;
      continue;
    }
    if (st.code() == absl::StatusCode::kInvalidArgument) return st;
    last = st;
    warnings->push_back(fmt::format("storage node {} failed to answer {}: {}", nodes[n]->Name(), what,
                                    ToStd(st.message())));
  }
  if (answered == 0) {
    return absl::UnavailableError(fmt::format("cannot read {}: no storage node answered; the last error: {}", what,
                                              nodes.empty() ? "no storage nodes configured" : ToStd(last.message())));
  }
  return absl::OkStatus();
}

bool SameExemplar(const Exemplar& a, const Exemplar& b) {
  return a.timestamp_ms == b.timestamp_ms && std::bit_cast<uint64_t>(a.value) == std::bit_cast<uint64_t>(b.value) &&
         a.labels == b.labels;
}

}  // namespace

absl::StatusOr<FanoutAnswer<MergedMetadata>> MetadataOnAllNodes(const std::vector<StorageApi*>& nodes,
                                                                 const MetadataRequest& request,
                                                                 std::chrono::steady_clock::time_point deadline) {
  auto results = CallAll<MetadataResult>(nodes, deadline, [&](StorageApi& node, auto done) {
    node.Metadata(RequestContext{deadline}, request, std::move(done));
  });
  FanoutAnswer<MergedMetadata> answer;
  std::vector<MetadataResult> good;
  STRATA_RETURN_IF_ERROR(Triage(nodes, results, "metric metadata", &good, &answer.warnings));
  std::map<std::string, std::vector<MetricMetadata>> families;
  for (MetadataResult& r : good) {
    for (MetricMetadata& m : r.metadata) {
      std::vector<MetricMetadata>& entries = families[m.metric_family_name];
      if (std::find(entries.begin(), entries.end(), m) == entries.end()) entries.push_back(std::move(m));
    }
  }
  for (auto& [name, entries] : families) answer.result.families.emplace_back(name, std::move(entries));
  return answer;
}

absl::StatusOr<FanoutAnswer<ExemplarsResult>> ExemplarsOnAllNodes(const std::vector<StorageApi*>& nodes,
                                                                  const ExemplarsRequest& request,
                                                                  std::chrono::steady_clock::time_point deadline) {
  auto results = CallAll<ExemplarsResult>(nodes, deadline, [&](StorageApi& node, auto done) {
    node.QueryExemplars(RequestContext{deadline}, request, std::move(done));
  });
  FanoutAnswer<ExemplarsResult> answer;
  std::vector<ExemplarsResult> good;
  STRATA_RETURN_IF_ERROR(Triage(nodes, results, "exemplars", &good, &answer.warnings));
  std::map<Labels, std::vector<Exemplar>> by_series;
  for (ExemplarsResult& r : good) {
    for (SeriesExemplars& s : r.series) {
      std::vector<Exemplar>& all = by_series[s.series];
      for (Exemplar& e : s.exemplars) all.push_back(std::move(e));
    }
  }
  for (auto& [labels, exemplars] : by_series) {
    std::stable_sort(exemplars.begin(), exemplars.end(),
                     [](const Exemplar& a, const Exemplar& b) { return a.timestamp_ms < b.timestamp_ms; });
    std::vector<Exemplar> unique;
    for (Exemplar& e : exemplars) {
      // Replicas give equal exemplars; equal ones sit within one timestamp run.
      bool seen = false;
      for (auto it = unique.rbegin(); it != unique.rend() && it->timestamp_ms == e.timestamp_ms; ++it) {
        seen = seen || SameExemplar(*it, e);
      }
      if (!seen) unique.push_back(std::move(e));
    }
    answer.result.series.push_back(SeriesExemplars{labels, std::move(unique)});
  }
  return answer;
}

}  // namespace strata::select
