// File: select/api/labels_api.h
//
// The handlers of Prometheus's metadata endpoints, as plain functions from
// HttpRequest to HttpResponse (no sockets; they block while the storage
// nodes answer through fanout/fanout_labels.h):
//   GET|POST /api/v1/series              match[] (required, repeated), start, end, limit
//   GET|POST /api/v1/labels              match[] (optional), start, end, limit
//   GET|POST /api/v1/label/<name>/values match[] (optional), start, end, limit
// Parameters, answers and error texts are Prometheus 3's (web/api/v1/api.go):
//   - start/end: parseTimeParam (params.h's ParseTimeMs), defaulting to
//     MinTime/MaxTime (all time), errors `invalid parameter "start":
//     Invalid time value for 'start': cannot parse "x" to a valid timestamp`;
//   - limit: Go's strconv.Atoi, `invalid parameter "limit": limit must be
//     non-negative`; 0 means none. With more results than `limit`, the first
//     `limit` are answered with the warning `results truncated due to limit`;
//   - match[]: series selectors (a union); /series without one answers
//     `no match[] parameter provided`; a bad one is `invalid parameter
//     "match[]": ...` for /series and the bare parser error for the others;
//   - <name>: percent-decoded by the server, then Prometheus 3's `U__`
//     value-encoding escape is undone (UnescapeLabelName); any non-empty
//     valid UTF-8 name is accepted, else `invalid label name: "<name>"`;
//   - answers: {"status":"success","data":[...]} with sorted names/values,
//     or label-set objects sorted by labels for /series; when storage nodes
//     were missing beyond the replication factor, "isPartial":true and a
//     warning per missing node (VictoriaMetrics' convention), as queries do.
// -search.maxSeries caps /series like it caps queries: an answer with more
// series than the cap fails with 422 execution (never a silently cut list),
// unless the request's own `limit` is within the cap, in which case the
// limit applies and the answer is truncated with Prometheus's warning.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/matcher.h"
#include "common/model/tenant.h"
#include "common/net/http.h"
#include "common/rpc/storage_api.h"
#include "select/api/query_api.h"

namespace strata::select {

struct LabelsApiOptions {
  // Storage nodes holding each series (-replicationFactor). >= 1.
  int replication_factor = 1;
  // Deadline of the storage calls of one request (-query.timeout).
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  // Most series /api/v1/series may answer (-search.maxSeries; 0: no cap).
  uint64_t max_series = 0;
  // -search.denyPartialResponse.
  bool deny_partial = false;
};

// The parameters shared by the three endpoints.
struct MetadataParams {
  std::vector<std::vector<Matcher>> selectors;  // empty: every series
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  uint64_t limit = 0;  // 0: none
};

// Parses them in Prometheus's order (match[] presence when required, limit,
// start, end, match[]) with its messages; `match_errors_as_param` selects
// the /series spelling of a bad match[] (`invalid parameter "match[]": ...`).
absl::StatusOr<MetadataParams> ParseMetadataParams(const FormParams& params, bool match_required,
                                                   bool match_errors_as_param);

// Prometheus's model.UnescapeName(name, ValueEncodingEscaping): a name
// starting with `U__` has `__` for `_` and `_<hex>_` for the code point
// <hex>; anything malformed leaves the name as it was.
std::string UnescapeLabelName(std::string_view name);

// Thread-safe; the storage nodes must outlive it.
class LabelsApi {
 public:
  LabelsApi(std::vector<StorageApi*> nodes, LabelsApiOptions options);

  // The path for metrics of `endpoint` (what follows /api/v1/):
  // "/api/v1/series", "/api/v1/labels" or "/api/v1/label/values" (not per
  // label, to bound the metric's cardinality); "" when it is none of these.
  static std::string_view MetricsPath(std::string_view endpoint);
  // Serves `endpoint`. REQUIRES: !MetricsPath(endpoint).empty().
  ApiOutcome Handle(const HttpRequest& request, std::string_view endpoint, const TenantId& tenant) const;

  ApiOutcome Series(const HttpRequest& request, const TenantId& tenant) const;
  ApiOutcome LabelNames(const HttpRequest& request, const TenantId& tenant) const;
  // `name` as it appears in the (percent-decoded) path.
  ApiOutcome LabelValues(const HttpRequest& request, std::string_view name, const TenantId& tenant) const;

 private:
  std::vector<StorageApi*> nodes_;
  LabelsApiOptions options_;
};

}  // namespace strata::select
