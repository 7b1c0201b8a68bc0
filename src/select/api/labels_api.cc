#include "select/api/labels_api.h"

#include <limits>

#include <fmt/format.h>

#include "common/base/status.h"
#include "common/encoding/json_string.h"
#include "select/api/json_writer.h"
#include "select/api/params.h"
#include "select/fanout/fanout_labels.h"
#include "select/promql/go_format.h"

namespace strata::select {
namespace {

// Prometheus's MinTime/MaxTime (web/api/v1/api.go): the defaults of start
// and end, i.e. all time.
constexpr int64_t kMinTimeMs = (std::numeric_limits<int64_t>::min() / 1000 + 62135596801) * 1000;
constexpr int64_t kMaxTimeMs = (std::numeric_limits<int64_t>::max() / 1000 - 62135596801) * 1000 + 999;

constexpr std::string_view kTruncatedWarning = "results truncated due to limit";

absl::Status InvalidParam(std::string_view message, std::string_view name) {
  return absl::InvalidArgumentError(fmt::format("invalid parameter \"{}\": {}", name, message));
}

// Go's strconv.Atoi, with its error texts.
absl::StatusOr<int64_t> GoAtoi(std::string_view s) {
  std::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) {
    return absl::InvalidArgumentError(fmt::format("strconv.Atoi: parsing {}: invalid syntax", promql::GoQuote(s)));
  }
  // Magnitudes up to 2^63 (the most negative int64).
  uint64_t v = 0;
  bool overflow = false;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError(fmt::format("strconv.Atoi: parsing {}: invalid syntax", promql::GoQuote(s)));
    }
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (uint64_t{1} << 63) / 10 || v * 10 > (uint64_t{1} << 63) - d) overflow = true;
    if (!overflow) v = v * 10 + d;
  }
  if (overflow || (!negative && v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
    return absl::InvalidArgumentError(fmt::format("strconv.Atoi: parsing {}: value out of range", promql::GoQuote(s)));
  }
  return negative ? static_cast<int64_t>(-v) : static_cast<int64_t>(v);
}

absl::StatusOr<int64_t> ParseTimeParam(const FormParams& params, std::string_view name, int64_t default_ms) {
  std::string_view s = params.Get(name);
  if (s.empty()) return default_ms;
  auto ms = ParseTimeMs(s);
  if (!ms.ok()) {
    return InvalidParam(fmt::format("Invalid time value for '{}': {}", name, ToStd(ms.status().message())), name);
  }
  return *ms;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void AppendItem(const std::string& s, std::string* out) { AppendJsonString(s, out); }
void AppendItem(const Labels& labels, std::string* out) { AppendLabelsJson(labels, out); }

// {"status":"success",["isPartial":true,]"data":[...][,"warnings":[...]]}
template <typename T>
ApiOutcome SuccessOutcome(MetadataAnswer<T>& answer) {
  std::string out;
  out.append("{\"status\":\"success\",");
  if (answer.partial) out.append("\"isPartial\":true,");
  out.append("\"data\":[");
  for (size_t i = 0; i < answer.items.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendItem(answer.items[i], &out);
  }
  out.push_back(']');
  if (answer.truncated) answer.warnings.emplace_back(kTruncatedWarning);
  if (!answer.warnings.empty()) {
    out.append(",\"warnings\":[");
    for (size_t i = 0; i < answer.warnings.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendJsonString(answer.warnings[i], &out);
    }
    out.push_back(']');
  }
  out.push_back('}');
  return ApiOutcome{HttpResponse::Json(200, std::move(out)), "success"};
}

// Prometheus answers storage failures of these endpoints as errorExec.
ApiOutcome ReadErrorOutcome(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    return ErrorOutcome(absl::InternalError(std::string(ToStd(status.message()))));
  }
  return ErrorOutcome(status);
}

}  // namespace

absl::StatusOr<MetadataParams> ParseMetadataParams(const FormParams& params, bool match_required,
                                                   bool match_errors_as_param) {
  const std::vector<std::string_view> matches = params.GetAll("match[]");
  if (match_required && matches.empty()) return absl::InvalidArgumentError("no match[] parameter provided");
  MetadataParams out;
  if (std::string_view l = params.Get("limit"); !l.empty()) {
    auto limit = GoAtoi(l);
    if (!limit.ok()) return InvalidParam(ToStd(limit.status().message()), "limit");
    if (*limit < 0) return InvalidParam("limit must be non-negative", "limit");
    out.limit = static_cast<uint64_t>(*limit);
  }
  STRATA_ASSIGN_OR_RETURN(out.start_ms, ParseTimeParam(params, "start", kMinTimeMs));
  STRATA_ASSIGN_OR_RETURN(out.end_ms, ParseTimeParam(params, "end", kMaxTimeMs));
  out.selectors.reserve(matches.size());
  for (std::string_view m : matches) {
    auto selector = ParseSeriesSelector(m);
    if (!selector.ok()) {
      if (match_errors_as_param) return InvalidParam(ToStd(selector.status().message()), "match[]");
      return selector.status();
    }
    out.selectors.push_back(*std::move(selector));
  }
  return out;
}

std::string UnescapeLabelName(std::string_view name) {
  constexpr std::string_view kPrefix = "U__";
  if (!name.starts_with(kPrefix)) return std::string(name);
  const std::string_view escaped = name.substr(kPrefix.size());
  std::string out;
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] != '_') {
      out.push_back(escaped[i]);
      continue;
    }
    ++i;
    if (i >= escaped.size()) return std::string(name);
    if (escaped[i] == '_') {
      out.push_back('_');
      continue;
    }
    // _<hex>_: a valid scalar value of at most 5 hex digits (Go's loop
    // gives up at the 6th character after the opening underscore).
    uint32_t cp = 0;
    size_t digits = 0;
    while (i < escaped.size() && escaped[i] != '_') {
      const int h = HexValue(escaped[i]);
      if (h < 0 || ++digits > 5) return std::string(name);
      cp = cp * 16 + static_cast<uint32_t>(h);
      ++i;
    }
    if (i >= escaped.size() || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::string(name);
    AppendUtf8(cp, &out);
  }
  return out;
}

LabelsApi::LabelsApi(std::vector<StorageApi*> nodes, LabelsApiOptions options)
    : nodes_(std::move(nodes)), options_(options) {}

namespace {

MetadataQuery MakeQuery(MetadataParams& params, const TenantId& tenant, const LabelsApiOptions& options) {
  MetadataQuery q;
  q.tenant = tenant;
  q.selectors = std::move(params.selectors);
  q.min_time_ms = params.start_ms;
  q.max_time_ms = params.end_ms;
  q.limit = params.limit;
  q.replication_factor = options.replication_factor;
  q.deny_partial = options.deny_partial;
  q.deadline = std::chrono::steady_clock::now() + options.timeout;
  return q;
}

absl::StatusOr<FormParams> ParseForm(const HttpRequest& request) {
  auto form = FormParams::Parse(request);
  if (!form.ok()) return absl::InvalidArgumentError(std::string(ToStd(form.status().message())));
  return form;
}

}  // namespace

namespace {

constexpr std::string_view kLabelPrefix = "label/";
constexpr std::string_view kValuesSuffix = "/values";

bool IsLabelValues(std::string_view endpoint) {
  return endpoint.size() > kLabelPrefix.size() + kValuesSuffix.size() && endpoint.starts_with(kLabelPrefix) &&
         endpoint.ends_with(kValuesSuffix);
}

}  // namespace

std::string_view LabelsApi::MetricsPath(std::string_view endpoint) {
  if (endpoint == "series") return "/api/v1/series";
  if (endpoint == "labels") return "/api/v1/labels";
  if (IsLabelValues(endpoint)) return "/api/v1/label/values";
  return {};
}

ApiOutcome LabelsApi::Handle(const HttpRequest& request, std::string_view endpoint, const TenantId& tenant) const {
  if (endpoint == "series") return Series(request, tenant);
  if (endpoint == "labels") return LabelNames(request, tenant);
  const std::string_view name =
      endpoint.substr(kLabelPrefix.size(), endpoint.size() - kLabelPrefix.size() - kValuesSuffix.size());
  return LabelValues(request, name, tenant);
}

ApiOutcome LabelsApi::Series(const HttpRequest& request, const TenantId& tenant) const {
  auto form = ParseForm(request);
  if (!form.ok()) return ErrorOutcome(form.status());
  auto params = ParseMetadataParams(*form, /*match_required=*/true, /*match_errors_as_param=*/true);
  if (!params.ok()) return ErrorOutcome(params.status());
  const uint64_t cap = options_.max_series;
  // -search.maxSeries applies unless the caller's own limit is lower.
  const bool capped = cap > 0 && (params->limit == 0 || params->limit > cap);
  MetadataQuery query = MakeQuery(*params, tenant, options_);
  if (capped) query.limit = cap;
  auto answer = SeriesOnAllNodes(nodes_, query);
  if (!answer.ok()) return ReadErrorOutcome(answer.status());
  if (capped && answer->truncated) {
    return ErrorOutcome(absl::ResourceExhaustedError(
        fmt::format("the match[] selectors match more than {} series; narrow them or the time range, pass a "
                    "smaller limit, or raise -search.maxSeries",
                    cap)));
  }
  return SuccessOutcome(*answer);
}

ApiOutcome LabelsApi::LabelNames(const HttpRequest& request, const TenantId& tenant) const {
  auto form = ParseForm(request);
  if (!form.ok()) return ErrorOutcome(form.status());
  auto params = ParseMetadataParams(*form, /*match_required=*/false, /*match_errors_as_param=*/false);
  if (!params.ok()) return ErrorOutcome(params.status());
  auto answer = LabelNamesOnAllNodes(nodes_, MakeQuery(*params, tenant, options_));
  if (!answer.ok()) return ReadErrorOutcome(answer.status());
  return SuccessOutcome(*answer);
}

ApiOutcome LabelsApi::LabelValues(const HttpRequest& request, std::string_view name, const TenantId& tenant) const {
  const std::string label = UnescapeLabelName(name);
  if (label.empty() || !IsValidUtf8(label)) {
    return ErrorOutcome(absl::InvalidArgumentError(fmt::format("invalid label name: {}", promql::GoQuote(label))));
  }
  auto form = ParseForm(request);
  if (!form.ok()) return ErrorOutcome(form.status());
  auto params = ParseMetadataParams(*form, /*match_required=*/false, /*match_errors_as_param=*/false);
  if (!params.ok()) return ErrorOutcome(params.status());
  auto answer = LabelValuesOnAllNodes(nodes_, label, MakeQuery(*params, tenant, options_));
  if (!answer.ok()) return ReadErrorOutcome(answer.status());
  return SuccessOutcome(*answer);
}

}  // namespace strata::select
