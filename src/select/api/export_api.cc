#include "select/api/export_api.h"

#include <algorithm>

#include <fmt/format.h>

#include "absl/container/flat_hash_set.h"
#include "common/base/status.h"
#include "select/api/export_format.h"
#include "select/api/labels_api.h"
#include "select/promql/go_format.h"

namespace strata::select {
namespace {

absl::StatusOr<FormParams> ParseForm(const HttpRequest& request) {
  auto form = FormParams::Parse(request);
  if (!form.ok()) return absl::InvalidArgumentError(std::string(ToStd(form.status().message())));
  return form;
}

// The series any of `selectors` selects in [mint, maxt], each once, sorted
// by labels. Fails instead of answering partially.
absl::StatusOr<std::vector<promql::SeriesSamples>> SelectUnion(promql::Querier& querier,
                                                               const std::vector<std::vector<Matcher>>& selectors,
                                                               int64_t mint, int64_t maxt) {
  std::vector<promql::SelectRequest> requests;
  requests.reserve(selectors.size());
  for (const std::vector<Matcher>& s : selectors) requests.push_back({{mint, maxt}, s});
  STRATA_ASSIGN_OR_RETURN(std::vector<promql::SeriesSet> sets, querier.SelectMany(requests));
  std::vector<promql::SeriesSamples> out;
  for (promql::SeriesSet& set : sets) {
    if (set.partial) {
      std::string why = set.warnings.empty() ? std::string("storage nodes are unavailable") : set.warnings[0];
      return absl::UnavailableError(fmt::format("cannot export complete data: {}", why));
    }
    for (promql::SeriesSamples& s : set.series) out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const promql::SeriesSamples& a, const promql::SeriesSamples& b) { return a.labels < b.labels; });
  // A series two selectors both select was merged from the same answers:
  // the copies are equal, keep one.
  out.erase(std::unique(out.begin(), out.end(),
                        [](const promql::SeriesSamples& a, const promql::SeriesSamples& b) {
                          return a.labels == b.labels;
                        }),
            out.end());
  return out;
}

absl::StatusOr<size_t> ParseMaxRowsPerLine(const FormParams& form) {
  const std::string_view s = form.Get("max_rows_per_line");
  if (s.empty()) return 0;
  size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || v > (SIZE_MAX - 9) / 10) {
      return absl::InvalidArgumentError(
          fmt::format("invalid parameter \"max_rows_per_line\": cannot parse {} as a non-negative integer",
                      promql::GoQuote(s)));
    }
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  return v;
}

// Storage failures of raw reads answer 422 execution like queries do,
// except unavailability (503) and the request's own faults.
ApiOutcome ReadErrorOutcome(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    return ErrorOutcome(absl::InternalError(std::string(ToStd(status.message()))));
  }
  return ErrorOutcome(status);
}

}  // namespace

ExportApi::ExportApi(QuerierFactory factory, std::function<int64_t()> now_ms, ExportApiOptions options)
    : factory_(std::move(factory)), now_ms_(std::move(now_ms)), options_(options) {}

ApiOutcome ExportApi::Export(const HttpRequest& request, const TenantId& tenant) const {
  auto form = ParseForm(request);
  if (!form.ok()) return ErrorOutcome(form.status());
  auto params = ParseMetadataParams(*form, /*match_required=*/true, /*match_errors_as_param=*/true);
  if (!params.ok()) return ErrorOutcome(params.status());
  auto max_rows = ParseMaxRowsPerLine(*form);
  if (!max_rows.ok()) return ErrorOutcome(max_rows.status());
  auto querier = factory_(tenant, std::chrono::steady_clock::now() + options_.timeout);
  auto series = SelectUnion(*querier, params->selectors, params->start_ms, params->end_ms);
  if (!series.ok()) return ReadErrorOutcome(series.status());
  std::string body;
  for (const promql::SeriesSamples& s : *series) AppendExportJsonLines(s, *max_rows, &body);
  HttpResponse r = HttpResponse::Json(200, std::move(body));
  r.content_type = "application/stream+json";
  return ApiOutcome{std::move(r), "success"};
}

ApiOutcome ExportApi::ExportCsv(const HttpRequest& request, const TenantId& tenant) const {
  auto form = ParseForm(request);
  if (!form.ok()) return ErrorOutcome(form.status());
  auto columns = ParseCsvFormat(form->Get("format"));
  if (!columns.ok()) return ErrorOutcome(columns.status());
  auto params = ParseMetadataParams(*form, /*match_required=*/true, /*match_errors_as_param=*/true);
  if (!params.ok()) return ErrorOutcome(params.status());
  auto querier = factory_(tenant, std::chrono::steady_clock::now() + options_.timeout);
  auto series = SelectUnion(*querier, params->selectors, params->start_ms, params->end_ms);
  if (!series.ok()) return ReadErrorOutcome(series.status());
  std::string body;
  for (const promql::SeriesSamples& s : *series) AppendExportCsvRows(s, *columns, &body);
  return ApiOutcome{HttpResponse::Text(200, std::move(body)), "success"};
}

ApiOutcome ExportApi::Federate(const HttpRequest& request, const TenantId& tenant) const {
  auto text_error = [](int code, std::string_view error_type, std::string_view message) {
    return ApiOutcome{HttpResponse::Text(code, fmt::format("{}\n", message)), error_type};
  };
  auto form = ParseForm(request);
  if (!form.ok()) return text_error(400, "bad_data", ToStd(form.status().message()));
  const std::vector<std::string_view> matches = form->GetAll("match[]");
  if (matches.empty()) return text_error(400, "bad_data", "no match[] parameter provided");
  // Only the selectors matter here; ParseMetadataParams parses them as the
  // series API does.
  auto selectors = ParseMetadataParams(*form, /*match_required=*/true, /*match_errors_as_param=*/false);
  if (!selectors.ok()) return text_error(400, "bad_data", ToStd(selectors.status().message()));
  const int64_t now = now_ms_();
  auto querier = factory_(tenant, std::chrono::steady_clock::now() + options_.timeout);
  auto series = SelectUnion(*querier, selectors->selectors, now - options_.lookback.count(), now);
  if (!series.ok()) {
    const ApiOutcome e = ReadErrorOutcome(series.status());
    return text_error(e.response.status, e.result, ToStd(series.status().message()));
  }
  std::vector<FederatedSample> newest;
  newest.reserve(series->size());
  for (promql::SeriesSamples& s : *series) {
    if (s.samples.empty()) continue;
    const Sample& last = s.samples.back();
    // The exposition format has no stale markers: a series whose newest
    // sample is one has ended, and is left out (as Prometheus does).
    if (IsStaleNaN(last.value)) continue;
    newest.push_back(FederatedSample{std::move(s.labels), last});
  }
  HttpResponse r = HttpResponse::Text(200, WriteFederateText(std::move(newest)));
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return ApiOutcome{std::move(r), "success"};
}

}  // namespace strata::select
