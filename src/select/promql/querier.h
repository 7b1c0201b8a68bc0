// File: select/promql/querier.h
//
// The engine's only window onto data, after Prometheus storage/interface.go
// (Querier, SeriesSet, SelectHints). The PromQL engine never sees RPC, chunks
// or storage nodes: it asks a Querier for the decoded samples of the series
// that match a selector in a time range. Implementations:
//   - select/fanout/fanout_querier.h: every storage node, merged and deduped;
//   - select/promql/memory_querier.h: an in-memory store for tests and the
//     PromQL conformance runner.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/labels.h"
#include "common/model/matcher.h"
#include "common/model/sample.h"

namespace strata::promql {

// What the engine is about to read; implementations may use it to prune.
struct SelectHints {
  int64_t min_time_ms = 0;  // inclusive
  int64_t max_time_ms = 0;  // inclusive
};

// One series with its decoded float samples, sorted by timestamp with unique
// timestamps. Stale markers (IsStaleNaN) are included: the engine needs them.
//
// `start_timestamps` are the samples' start ("created") timestamps in ms, as
// OpenTelemetry and Prometheus 3 carry them: empty when the source has none
// (storage does not keep them yet), otherwise one per sample, 0 meaning
// unknown. They live beside `samples` rather than in Sample so that the
// common series without them costs nothing.
struct SeriesSamples {
  Labels labels;
  std::vector<Sample> samples;
  std::vector<int64_t> start_timestamps;  // empty, or samples.size() entries
};

struct SeriesSet {
  std::vector<SeriesSamples> series;  // any order
  // True when some data may be missing (storage nodes unreachable); the API
  // then answers with "isPartial": true.
  bool partial = false;
  std::vector<std::string> warnings;
};

// One selector of a query with its time range, for SelectMany.
struct SelectRequest {
  SelectHints hints;
  std::span<const Matcher> matchers;
};

// Thread safety is the implementation's; the engine calls Select from one
// thread at a time per query.
class Querier {
 public:
  virtual ~Querier() = default;

  // Returns every series that all `matchers` accept, with its samples in
  // [hints.min_time_ms, hints.max_time_ms]. Series without samples in the
  // range may be omitted. May block (the engine runs on a worker thread).
  // Errors: InvalidArgument (bad request), Unavailable (no data source
  // answered), DeadlineExceeded, ResourceExhausted (limits).
  virtual absl::StatusOr<SeriesSet> Select(const SelectHints& hints, std::span<const Matcher> matchers) = 0;

  // Selects every selector of a query at once, answers in request order. A
  // Querier over remote nodes sends them all before waiting for any answer,
  // so a query costs one round trip however many selectors it has. The
  // default selects one after the other. Errors as Select's.
  virtual absl::StatusOr<std::vector<SeriesSet>> SelectMany(std::span<const SelectRequest> requests) {
    std::vector<SeriesSet> out;
    out.reserve(requests.size());
    for (const SelectRequest& r : requests) {
      absl::StatusOr<SeriesSet> set = Select(r.hints, r.matchers);
      if (!set.ok()) return set.status();
      out.push_back(*std::move(set));
    }
    return out;
  }
};

}  // namespace strata::promql
