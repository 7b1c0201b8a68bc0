// File: select/api/delete_api.h
//
// The handler of delete_series, Prometheus's
// `/api/v1/admin/tsdb/delete_series` and VictoriaMetrics cluster's
// `/delete/<accountID>/prometheus/api/v1/admin/tsdb/delete_series`, as a
// plain function from HttpRequest to HttpResponse (no sockets, no threads).
// Parameters (query string or form-encoded POST body):
//   match[]  one or more series selectors (required), each parsed by the
//            PromQL parser and required to be a plain vector selector; the
//            series matching any of them are deleted;
//   start, end  Strata deletes whole series, so these are accepted only when
//            they span all time: start at or before the Unix epoch, end at
//            or after 9999-12-31T23:59:59Z (or client_golang's MinTime /
//            MaxTime spellings); anything else is 400 bad_data.
// Success is 204 No Content (as Prometheus and VictoriaMetrics answer);
// errors are the Prometheus error envelope (status_to_http.h).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/matcher.h"
#include "common/model/tenant.h"
#include "common/net/http.h"
#include "select/api/query_api.h"

namespace strata::select {

// Deletes the series of `tenant` matching any selector (each a conjunction
// of matchers) everywhere and returns how many series copies went; blocks.
// In production: DeleteSeriesOnAllNodes (fanout/fanout_delete.h).
using SeriesDeleter =
    std::function<absl::StatusOr<uint64_t>(const TenantId& tenant, const std::vector<std::vector<Matcher>>& selectors)>;

// The selectors of the match[] parameters, after the checks above.
// InvalidArgument (`no match[] parameter provided`, `invalid parameter
// "match[]": ...`, `invalid parameter "start": ...`, or the message for a
// time range that is not all time).
absl::StatusOr<std::vector<std::vector<Matcher>>> ParseDeleteSeriesParams(const FormParams& params);

// GET or POST delete_series for `tenant`. Thread-safe if `deleter` is.
ApiOutcome DeleteSeries(const HttpRequest& request, const TenantId& tenant, const SeriesDeleter& deleter);

}  // namespace strata::select
