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

}  // namespace

ApiOutcome ErrorOutcome(const absl::Status& status) {
  const HttpError e = StatusToHttp(status);
  std::string& buf = ScratchBuffer();
  WriteErrorResponse(e.error_type, ToStd(status.message()), &buf);
  return ApiOutcome{HttpResponse::Json(e.http_status, buf), e.error_type};
}

QueryApi::QueryApi(const promql::Engine* engine, QuerierFactory factory, std::function<int64_t()> now_ms)
    : engine_(engine), factory_(std::move(factory)), now_ms_(std::move(now_ms)) {}

ApiOutcome QueryApi::Execute(const absl::StatusOr<promql::PreparedQuery>& query, const TenantId& tenant) const {
  if (!query.ok()) {
    // Prometheus reports every error of query preparation as a bad parameter.
    if (query.status().code() == absl::StatusCode::kInvalidArgument) {
      return ErrorOutcome(absl::InvalidArgumentError(
          fmt::format("invalid parameter \"query\": {}", ToStd(query.status().message()))));
    }
    return ErrorOutcome(query.status());
  }
  std::unique_ptr<promql::Querier> querier = factory_(tenant, query->deadline);
  absl::StatusOr<promql::QueryResult> result = engine_->Exec(*query, *querier);
  if (!result.ok()) return ErrorOutcome(result.status());
  std::string& buf = ScratchBuffer();
  WriteQueryResponse(*result, &buf);
  return ApiOutcome{HttpResponse::Json(200, buf), "success"};
}

ApiOutcome QueryApi::Query(const HttpRequest& request, const TenantId& tenant) const {
  auto form = FormParams::Parse(request);
  if (!form.ok()) return ErrorOutcome(absl::InvalidArgumentError(std::string(ToStd(form.status().message()))));
  auto params = ParseInstantQueryParams(*form, now_ms_());
  if (!params.ok()) return ErrorOutcome(params.status());
  return Execute(engine_->NewInstantQuery(params->query, params->time_ms, params->options), tenant);
}

ApiOutcome QueryApi::QueryRange(const HttpRequest& request, const TenantId& tenant) const {
  auto form = FormParams::Parse(request);
  if (!form.ok()) return ErrorOutcome(absl::InvalidArgumentError(std::string(ToStd(form.status().message()))));
  auto params = ParseRangeQueryParams(*form, engine_->options().max_points_per_series);
  if (!params.ok()) return ErrorOutcome(params.status());
  return Execute(
      engine_->NewRangeQuery(params->query, params->start_ms, params->end_ms, params->step_ms, params->options),
      tenant);
}

}  // namespace strata::select
