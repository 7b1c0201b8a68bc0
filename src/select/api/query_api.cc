#include "select/api/query_api.h"

#include <fmt/format.h>

#include "common/base/status.h"
#include "select/api/json_writer.h"
#include "select/api/params.h"
#include "select/api/status_to_http.h"

namespace strata::select {
namespace {

// Responses are written into a per-thread buffer that keeps its capacity, so
// a large result does not regrow a fresh string every time; the body then
// takes one exact-size copy.
std::string& ScratchBuffer() {
  thread_local std::string buffer;
  buffer.clear();
  return buffer;
}

// A duration in seconds as Prometheus's JSON (jsoniter) writes a float64:
// shortest digits, 'e' form below 1e-6 with Go's two-digit exponent
// ("5.5e-07").
void AppendJsonSeconds(std::chrono::nanoseconds d, std::string* out) {
  AppendPromFloat(std::chrono::duration<double>(d).count(), out);
}

}  // namespace

ApiOutcome ErrorOutcome(const absl::Status& status) {
  const HttpError e = StatusToHttp(status);
  std::string& buf = ScratchBuffer();
  WriteErrorResponse(e.error_type, ToStd(status.message()), &buf);
  return ApiOutcome{HttpResponse::Json(e.http_status, buf), e.error_type};
}

ApiOutcome SuccessOutcome(std::string_view data_json) {
  std::string body;
  body.reserve(data_json.size() + 32);
  body.append("{\"status\":\"success\",\"data\":");
  body.append(data_json);
  body.push_back('}');
  return ApiOutcome{HttpResponse::Json(200, std::move(body)), "success"};
}

QueryApi::QueryApi(const promql::Engine* engine, QuerierFactory factory, std::function<int64_t()> now_ms)
    : engine_(engine), factory_(std::move(factory)), now_ms_(std::move(now_ms)) {}

// What the `stats` parameter asked for and the time spent before execution.
struct QueryApi::StatsRequest {
  bool enabled = false;  // any non-empty `stats` value, as in Prometheus
  std::chrono::nanoseconds queue_wait{0};
  std::chrono::nanoseconds prepare{0};
};

std::string QueryStatsJson(const promql::QueryResult& result, std::chrono::nanoseconds queue,
                           std::chrono::nanoseconds prepare, std::chrono::nanoseconds eval) {
  int64_t points = result.type == promql::ValueType::kScalar ? 1 : 0;
  for (const promql::SeriesResult& s : result.series) points += static_cast<int64_t>(s.samples.size());
  const auto eval_total = prepare + eval;
  std::string out = "{\"timings\":{\"evalTotalTime\":";
  AppendJsonSeconds(eval_total, &out);
  out.append(",\"resultSortTime\":0,\"queryPreparationTime\":");
  AppendJsonSeconds(prepare, &out);
  out.append(",\"innerEvalTime\":");
  AppendJsonSeconds(eval, &out);
  out.append(",\"execQueueTime\":");
  AppendJsonSeconds(queue, &out);
  out.append(",\"execTotalTime\":");
  AppendJsonSeconds(queue + eval_total, &out);
  out.append(fmt::format("}},\"samples\":{{\"totalQueryableSamples\":{},\"peakSamples\":{}}}}}",
                         result.total_samples, points));
  return out;
}

ApiOutcome QueryApi::Execute(const absl::StatusOr<promql::PreparedQuery>& query, const TenantId& tenant,
                             const StatsRequest& stats) const {
  if (!query.ok()) {
    // Prometheus reports every error of query preparation as a bad parameter.
    if (query.status().code() == absl::StatusCode::kInvalidArgument) {
      return ErrorOutcome(absl::InvalidArgumentError(
          fmt::format("invalid parameter \"query\": {}", ToStd(query.status().message()))));
    }
    return ErrorOutcome(query.status());
  }
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<promql::Querier> querier = factory_(tenant, query->deadline);
  absl::StatusOr<promql::QueryResult> result = engine_->Exec(*query, *querier);
  if (!result.ok()) return ErrorOutcome(result.status());
  std::string stats_json;
  if (stats.enabled) {
    stats_json = QueryStatsJson(*result, stats.queue_wait, stats.prepare, std::chrono::steady_clock::now() - started);
  }
  std::string& buf = ScratchBuffer();
  WriteQueryResponse(*result, stats_json, &buf);
  return ApiOutcome{HttpResponse::Json(200, buf), "success"};
}

ApiOutcome QueryApi::Query(const HttpRequest& request, const TenantId& tenant,
                           std::chrono::nanoseconds queue_wait) const {
  const FormParams form = ParseFormValues(request);
  auto params = ParseInstantQueryParams(form, now_ms_());
  if (!params.ok()) return ErrorOutcome(params.status());
  StatsRequest stats{!form.Get("stats").empty(), queue_wait, {}};
  const auto started = std::chrono::steady_clock::now();
  auto prepared = engine_->NewInstantQuery(params->query, params->time_ms, params->options);
  stats.prepare = std::chrono::steady_clock::now() - started;
  return Execute(prepared, tenant, stats);
}

ApiOutcome QueryApi::QueryRange(const HttpRequest& request, const TenantId& tenant,
                                std::chrono::nanoseconds queue_wait) const {
  const FormParams form = ParseFormValues(request);
  auto params = ParseRangeQueryParams(form, engine_->options().max_points_per_series);
  if (!params.ok()) return ErrorOutcome(params.status());
  StatsRequest stats{!form.Get("stats").empty(), queue_wait, {}};
  const auto started = std::chrono::steady_clock::now();
  auto prepared =
      engine_->NewRangeQuery(params->query, params->start_ms, params->end_ms, params->step_ms, params->options);
  stats.prepare = std::chrono::steady_clock::now() - started;
  return Execute(prepared, tenant, stats);
}

}  // namespace strata::select
