// File: select/api/tsdb_status_api.h
//
// GET|POST /api/v1/status/tsdb: the cardinality explorer's data, in
// Prometheus's shape (web/api/v1/api.go TSDBStatus) plus VictoriaMetrics'
// fields and parameters (app/vmselect/prometheus tsdb_status_response.qtpl):
//   {"status":"success","data":{
//     "headStats":{"numSeries":..,"numLabelPairs":..,"chunkCount":..,"minTime":..,"maxTime":..},
//     "seriesCountByMetricName":[{"name":"up","value":3},..],
//     "labelValueCountByLabelName":[..], "memoryInBytesByLabelName":[..],
//     "seriesCountByLabelValuePair":[..],
//     "totalSeries":..,"totalLabelValuePairs":..,
//     "seriesCountByLabelName":[..], "seriesCountByFocusLabelValue":[..]}}
// Parameters:
//   limit (Prometheus) or topN (VictoriaMetrics): list length, 1..10000,
//     default 10; else 400 "limit must be a positive number" /
//     "limit must not exceed 10000";
//   date=YYYY-MM-DD: the series with data that UTC day (the storage nodes'
//     per-day postings); without it start/end (default all time);
//   match[]: at most one series selector (a union could not be counted
//     from the nodes' per-selector counts without double counting);
//   focusLabel: fills seriesCountByFocusLabelValue.
// headStats.numSeries and numLabelPairs cover the selected series (the
// index as well as memory); chunkCount, minTime and maxTime the storage
// nodes' in-memory chunks (Prometheus's head). Merging across nodes and
// replicas: fanout/fanout_tsdb_status.h.
#pragma once

#include <chrono>
#include <vector>

#include "common/model/tenant.h"
#include "common/net/http.h"
#include "common/rpc/storage_api.h"
#include "select/api/query_api.h"

namespace strata::select {

// Parses `date` (YYYY-MM-DD, a valid calendar day) into the day's first
// and last millisecond; InvalidArgument otherwise.
absl::StatusOr<std::pair<int64_t, int64_t>> ParseDayRange(std::string_view date);

// The JSON success envelope of `status`.
std::string WriteTsdbStatusResponse(const TsdbStatusResult& status, bool partial,
                                    const std::vector<std::string>& warnings);

// Thread-safe; the storage nodes must outlive it.
class TsdbStatusApi {
 public:
  TsdbStatusApi(std::vector<StorageApi*> nodes, int replication_factor, std::chrono::milliseconds timeout);

  ApiOutcome Handle(const HttpRequest& request, const TenantId& tenant) const;

 private:
  std::vector<StorageApi*> nodes_;
  int replication_factor_;
  std::chrono::milliseconds timeout_;
};

}  // namespace strata::select
