#include "select/api/tsdb_status_api.h"

#include <fmt/format.h>

#include "common/base/civil_date.h"
#include "common/base/status.h"
#include "common/encoding/json_string.h"
#include "select/api/labels_api.h"
#include "select/fanout/fanout_tsdb_status.h"
#include "select/promql/go_format.h"

namespace strata::select {
namespace {

// Prometheus's maxTSDBLimit.
constexpr int64_t kMaxLimit = 10'000;
constexpr int64_t kDefaultLimit = 10;

absl::StatusOr<uint64_t> ParseLimit(const FormParams& form) {
  std::string_view s = form.Get("limit");
  if (s.empty()) s = form.Get("topN");
  if (s.empty()) return kDefaultLimit;
  int64_t v = 0;
  bool ok = !s.empty() && s.size() <= 18;
  for (char c : s) {
    if (c < '0' || c > '9') ok = false;
    if (ok) v = v * 10 + (c - '0');
  }
  if (!ok || v < 1) return absl::InvalidArgumentError("limit must be a positive number");
  if (v > kMaxLimit) return absl::InvalidArgumentError(fmt::format("limit must not exceed {}", kMaxLimit));
  return static_cast<uint64_t>(v);
}

void AppendEntries(const std::vector<TsdbStatEntry>& entries, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append("{\"name\":");
    AppendJsonString(entries[i].name, out);
    fmt::format_to(std::back_inserter(*out), ",\"value\":{}}}", entries[i].value);
  }
  out->push_back(']');
}

}  // namespace

absl::StatusOr<std::pair<int64_t, int64_t>> ParseDayRange(std::string_view date) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        fmt::format("cannot parse date {}: want YYYY-MM-DD", promql::GoQuote(date)));
  };
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return bad();
  auto num = [&](size_t pos, size_t len, int64_t* v) {
    *v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (date[i] < '0' || date[i] > '9') return false;
      *v = *v * 10 + (date[i] - '0');
    }
    return true;
  };
  int64_t y = 0, m = 0, d = 0;
  if (!num(0, 4, &y) || !num(5, 2, &m) || !num(8, 2, &d) || m < 1 || m > 12 || d < 1) return bad();
  if (d > DaysInMonth(y, static_cast<int>(m))) return bad();
  const int64_t day = DaysFromCivil(y, static_cast<int>(m), static_cast<int>(d));
  constexpr int64_t kMsPerDay = 86'400'000;
  return std::make_pair(day * kMsPerDay, (day + 1) * kMsPerDay - 1);
}

std::string WriteTsdbStatusResponse(const TsdbStatusResult& s, bool partial,
                                    const std::vector<std::string>& warnings) {
  std::string out = "{\"status\":\"success\",";
  if (partial) out.append("\"isPartial\":true,");
  fmt::format_to(std::back_inserter(out),
                 "\"data\":{{\"headStats\":{{\"numSeries\":{},\"numLabelPairs\":{},\"chunkCount\":{},"
                 "\"minTime\":{},\"maxTime\":{}}},",
                 s.total_series, s.distinct_label_pairs, s.head_chunks, s.head_min_time_ms, s.head_max_time_ms);
  const std::pair<const char*, const std::vector<TsdbStatEntry>*> lists[] = {
      {"seriesCountByMetricName", &s.series_count_by_metric_name},
      {"labelValueCountByLabelName", &s.label_value_count_by_label_name},
      {"memoryInBytesByLabelName", &s.memory_in_bytes_by_label_name},
      {"seriesCountByLabelValuePair", &s.series_count_by_label_value_pair},
      {"seriesCountByLabelName", &s.series_count_by_label_name},
      {"seriesCountByFocusLabelValue", &s.series_count_by_focus_label_value},
  };
  for (const auto& [name, entries] : lists) {
    fmt::format_to(std::back_inserter(out), "\"{}\":", name);
    AppendEntries(*entries, &out);
    out.push_back(',');
  }
  fmt::format_to(std::back_inserter(out), "\"totalSeries\":{},\"totalLabelValuePairs\":{}}}", s.total_series,
                 s.total_label_value_pairs);
  if (!warnings.empty()) {
    out.append(",\"warnings\":[");
    for (size_t i = 0; i < warnings.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendJsonString(warnings[i], &out);
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

TsdbStatusApi::TsdbStatusApi(std::vector<StorageApi*> nodes, int replication_factor,
                             std::chrono::milliseconds timeout)
    : nodes_(std::move(nodes)), replication_factor_(replication_factor), timeout_(timeout) {}

ApiOutcome TsdbStatusApi::Handle(const HttpRequest& request, const TenantId& tenant) const {
  auto form = FormParams::Parse(request);
  if (!form.ok()) return ErrorOutcome(absl::InvalidArgumentError(std::string(ToStd(form.status().message()))));
  auto limit = ParseLimit(*form);
  if (!limit.ok()) return ErrorOutcome(limit.status());
  // The shared parser reads start, end and match[] (and accepts any limit
  // that passed Prometheus's stricter rule above).
  auto params = ParseMetadataParams(*form, /*match_required=*/false, /*match_errors_as_param=*/true);
  if (!params.ok()) return ErrorOutcome(params.status());
  if (params->selectors.size() > 1) {
    return ErrorOutcome(absl::InvalidArgumentError(
        "invalid parameter \"match[]\": at most one series selector is supported by /api/v1/status/tsdb"));
  }
  TsdbStatusRequest req;
  req.tenant = tenant;
  if (!params->selectors.empty()) req.matchers = std::move(params->selectors[0]);
  req.min_time_ms = params->start_ms;
  req.max_time_ms = params->end_ms;
  if (std::string_view date = form->Get("date"); !date.empty()) {
    auto range = ParseDayRange(date);
    if (!range.ok()) return ErrorOutcome(range.status());
    req.min_time_ms = range->first;
    req.max_time_ms = range->second;
  }
  req.top_n = *limit;
  req.focus_label = std::string(form->Get("focusLabel"));
  auto answer =
      TsdbStatusOnAllNodes(nodes_, req, replication_factor_, std::chrono::steady_clock::now() + timeout_);
  if (!answer.ok()) {
    if (answer.status().code() == absl::StatusCode::kInvalidArgument) {
      return ErrorOutcome(absl::InternalError(std::string(ToStd(answer.status().message()))));
    }
    return ErrorOutcome(answer.status());
  }
  return ApiOutcome{HttpResponse::Json(200, WriteTsdbStatusResponse(answer->status, answer->partial, answer->warnings)),
                    "success"};
}

}  // namespace strata::select
