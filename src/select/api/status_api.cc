#include "select/api/status_api.h"

#include <unistd.h>

#include <charconv>
#include <ctime>
#include <fstream>
#include <limits>
#include <thread>

#include <fmt/format.h>

#include "common/base/status.h"
#include "common/base/version.h"
#include "common/encoding/json_string.h"
#include "common/net/http_fetch.h"
#include "common/model/metric_type.h"
#include "select/api/json_writer.h"
#include "select/api/params.h"
#include "select/fanout/fanout_exemplars.h"

// Set by select/CMakeLists.txt from `git rev-parse HEAD` at configure time.
#ifndef STRATA_GIT_REVISION
#define STRATA_GIT_REVISION "unknown"
#endif

namespace strata::select {
namespace {

ApiOutcome BadData(std::string message) { return ErrorOutcome(absl::InvalidArgumentError(std::move(message))); }

// Go strconv.Atoi: an optional sign and decimal digits that fit int64.
bool GoAtoi(std::string_view s, int64_t* out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string Hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "";
  return buf;
}

std::string WorkingDirectory() {
  char buf[4096];
  return getcwd(buf, sizeof(buf)) != nullptr ? std::string(buf) : std::string();
}

// The process's threads, Strata's nearest thing to Go's goroutine count.
int64_t ThreadCount() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("Threads:")) {
      int64_t n = 0;
      std::string_view v = std::string_view(line).substr(8);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      std::from_chars(v.data(), v.data() + v.size(), n);
      return n;
    }
  }
  return 0;
}

// Appends the matchers of every vector and matrix selector of `e`.
void CollectSelectors(const promql::Expr& e, std::vector<std::vector<Matcher>>* out) {
  std::visit(
      [out](const auto& n) {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, promql::VectorSelector>) {
          out->push_back(n.matchers);
        } else if constexpr (std::is_same_v<T, promql::MatrixSelector>) {
          out->push_back(n.selector.matchers);
        } else if constexpr (std::is_same_v<T, promql::SubqueryExpr> || std::is_same_v<T, promql::ParenExpr> ||
                             std::is_same_v<T, promql::UnaryExpr>) {
          CollectSelectors(*n.expr, out);
        } else if constexpr (std::is_same_v<T, promql::BinaryExpr>) {
          CollectSelectors(*n.lhs, out);
          CollectSelectors(*n.rhs, out);
        } else if constexpr (std::is_same_v<T, promql::AggregateExpr>) {
          CollectSelectors(*n.expr, out);
          if (n.param != nullptr) CollectSelectors(*n.param, out);
        } else if constexpr (std::is_same_v<T, promql::Call>) {
          for (const auto& a : n.args) CollectSelectors(*a, out);
        }
      },
      e.node);
}

// Grafana's exemplar probe sends start/end in milliseconds, which Prometheus
// would read as seconds tens of thousands of years away. Times beyond the
// year 5000 in seconds (> 1e11 s) are taken as milliseconds.
int64_t SecondsOrMillis(int64_t ms) {
  constexpr int64_t kMillisThreshold = int64_t{100'000'000'000} * 1000;
  if (ms > kMillisThreshold || ms < -kMillisThreshold) return ms / 1000;
  return ms;
}

// Prometheus's parseTimeParam: empty means the default, else parseTime with
// "Invalid time value for '<name>': ..." wrapped as a bad parameter.
absl::StatusOr<int64_t> TimeParam(const FormParams& form, std::string_view name, int64_t default_ms) {
  std::string_view v = form.Get(name);
  if (v.empty()) return default_ms;
  auto t = ParseTimeMs(v);
  if (!t.ok()) {
    return absl::InvalidArgumentError(fmt::format("invalid parameter \"{}\": Invalid time value for '{}': {}", name,
                                                  name, ToStd(t.status().message())));
  }
  return *t;
}

}  // namespace

std::string FormatRfc3339Nano(std::chrono::system_clock::time_point t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  int64_t secs = ns / 1'000'000'000;
  int64_t frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (frac != 0) {
    std::string digits = fmt::format("{:09}", frac);
    while (digits.back() == '0') digits.pop_back();
    out += '.';
    out += digits;
  }
  out += 'Z';
  return out;
}

StatusApi::StatusApi(StatusApiOptions options) : options_(std::move(options)) {
  while (options_.vmalert_proxy_url.ends_with('/')) options_.vmalert_proxy_url.pop_back();
  if (!options_.fetch) {
    options_.fetch = [](const std::string& url) { return HttpGet(url); };
  }
}

ApiOutcome StatusApi::ProxyToVmalert(std::string_view path, const HttpRequest& request) const {
  std::string url = options_.vmalert_proxy_url + std::string(path);
  // Parameters of a GET and of a form POST alike (both are already
  // URL-encoded).
  std::string params = request.query;
  if (request.method == "POST" && request.Header("content-type").starts_with("application/x-www-form-urlencoded") &&
      !request.body.empty()) {
    if (!params.empty()) params.push_back('&');
    params.append(request.body);
  }
  if (!params.empty()) url += "?" + params;
  absl::StatusOr<HttpResponse> r = options_.fetch(url);
  if (!r.ok()) {
    return ErrorOutcome(absl::UnavailableError(fmt::format("cannot proxy {} to vmalert at {}: {}", path,
                                                           options_.vmalert_proxy_url, ToStd(r.status().message()))));
  }
  HttpResponse out;
  out.status = r->status;
  out.content_type = r->content_type.empty() ? "application/json" : r->content_type;
  out.body = std::move(r->body);
  // vmalert (Go) writes a nil slice as null when there are no alerts or
  // groups; Prometheus always writes an array, and clients index into it.
  // The quoted key cannot occur inside a JSON string, where quotes are
  // escaped.
  for (std::string_view key : {std::string_view("\"alerts\":null"), std::string_view("\"groups\":null")}) {
    for (size_t at = out.body.find(key); at != std::string::npos; at = out.body.find(key, at)) {
      out.body.replace(at + key.size() - 4, 4, "[]");
    }
  }
  return ApiOutcome{std::move(out), r->status < 400 ? "success" : "vmalert_error"};
}

ApiOutcome StatusApi::BuildInfo() const {
  // Prometheus's PrometheusVersion fields, in its order. `version` is what
  // clients compare against Prometheus releases; Strata's own identity goes
  // into the build fields.
  std::string data = "{\"version\":";
  AppendJsonString(kPrometheusCompatibleVersion, &data);
  data.append(",\"revision\":");
  AppendJsonString(STRATA_GIT_REVISION, &data);
  data.append(",\"branch\":");
  AppendJsonString(fmt::format("strata-{}", kStrataVersion), &data);
  data.append(",\"buildUser\":\"strata\",\"buildDate\":\"\",\"goVersion\":");
#if defined(__clang__)
  AppendJsonString(fmt::format("clang {}", __clang_version__), &data);
#elif defined(__GNUC__)
  AppendJsonString(fmt::format("gcc {}", __VERSION__), &data);
#else
  AppendJsonString("c++", &data);
#endif
  data.push_back('}');
  return SuccessOutcome(data);
}

ApiOutcome StatusApi::RuntimeInfo() const {
  const std::string start = FormatRfc3339Nano(options_.start_time);
  std::string data = "{\"startTime\":";
  AppendJsonString(start, &data);
  data.append(",\"CWD\":");
  AppendJsonString(WorkingDirectory(), &data);
  data.append(",\"hostname\":");
  AppendJsonString(Hostname(), &data);
  data.append(",\"serverTime\":");
  AppendJsonString(FormatRfc3339Nano(std::chrono::system_clock::now()), &data);
  data.append(",\"reloadConfigSuccess\":true,\"lastConfigTime\":");
  AppendJsonString(start, &data);
  data.append(fmt::format(",\"corruptionCount\":0,\"goroutineCount\":{},\"GOMAXPROCS\":{},\"GOMEMLIMIT\":{}",
                          ThreadCount(), std::max(1u, std::thread::hardware_concurrency()),
                          std::numeric_limits<int64_t>::max()));
  data.append(",\"GOGC\":\"\",\"GODEBUG\":\"\",\"storageRetention\":");
  AppendJsonString(options_.storage_retention, &data);
  data.push_back('}');
  return SuccessOutcome(data);
}

ApiOutcome StatusApi::Flags() const {
  // A Go map[string]string: keys sorted, which std::map already is.
  std::string data = "{";
  for (const auto& [name, value] : options_.flags) {
    if (data.size() > 1) data.push_back(',');
    AppendJsonString(name, &data);
    data.push_back(':');
    AppendJsonString(value, &data);
  }
  data.push_back('}');
  return SuccessOutcome(data);
}

ApiOutcome StatusApi::Config() const {
  // What Prometheus shows for an empty configuration file: the global
  // defaults. A select node scrapes nothing and evaluates no rules.
  static constexpr std::string_view kYaml =
      "global:\n"
      "  scrape_interval: 1m\n"
      "  scrape_timeout: 10s\n"
      "  evaluation_interval: 1m\n";
  std::string data = "{\"yaml\":";
  AppendJsonString(kYaml, &data);
  data.push_back('}');
  return SuccessOutcome(data);
}

ApiOutcome StatusApi::Rules(const HttpRequest& request) const {
  if (!options_.vmalert_proxy_url.empty()) return ProxyToVmalert("/api/v1/rules", request);
  auto form = FormParams::Parse(request);
  if (!form.ok()) return BadData(std::string(ToStd(form.status().message())));
  std::string type(form->Get("type"));
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!type.empty() && type != "alert" && type != "record") {
    return BadData(fmt::format("invalid parameter \"type\": not supported value {}", JsonString(type)));
  }
  return SuccessOutcome("{\"groups\":[]}");
}

ApiOutcome StatusApi::Alerts(const HttpRequest& request) const {
  if (!options_.vmalert_proxy_url.empty()) return ProxyToVmalert("/api/v1/alerts", request);
  return SuccessOutcome("{\"alerts\":[]}");
}

ApiOutcome StatusApi::Metadata(const HttpRequest& request, TenantId tenant) const {
  auto form = FormParams::Parse(request);
  if (!form.ok()) return BadData(std::string(ToStd(form.status().message())));
  int64_t limit = -1, per_metric = -1;
  if (std::string_view s = form->Get("limit"); !s.empty() && !GoAtoi(s, &limit)) return BadData("limit must be a number");
  if (std::string_view s = form->Get("limit_per_metric"); !s.empty() && !GoAtoi(s, &per_metric)) {
    return BadData("limit_per_metric must be a number");
  }
  MetadataRequest req;
  req.tenant = tenant;
  req.metric = std::string(form->Get("metric"));
  // Every node may hold other families, so each is asked for `limit`; the
  // merge cuts again.
  if (limit > 0) req.limit = static_cast<uint64_t>(limit);
  auto answer =
      MetadataOnAllNodes(options_.storage_nodes, req, std::chrono::steady_clock::now() + options_.timeout);
  if (!answer.ok()) return ErrorOutcome(answer.status());
  // A Go map[string][]metadata: keys sorted, as `families` is.
  std::string data = "{";
  int64_t families = 0;
  for (const auto& [name, entries] : answer->result.families) {
    if (limit > 0 && families == limit) break;
    ++families;
    if (data.size() > 1) data.push_back(',');
    AppendJsonString(name, &data);
    data.append(":[");
    int64_t n = 0;
    for (const MetricMetadata& m : entries) {
      if (per_metric > 0 && n == per_metric) break;
      if (n++ > 0) data.push_back(',');
      data.append("{\"type\":");
      AppendJsonString(MetricTypeName(m.type), &data);
      data.append(",\"help\":");
      AppendJsonString(m.help, &data);
      data.append(",\"unit\":");
      AppendJsonString(m.unit, &data);
      data.push_back('}');
    }
    data.push_back(']');
  }
  data.push_back('}');
  return SuccessOutcome(data);
}

ApiOutcome StatusApi::QueryExemplars(const HttpRequest& request, TenantId tenant) const {
  auto form = FormParams::Parse(request);
  if (!form.ok()) return BadData(std::string(ToStd(form.status().message())));
  // Prometheus's defaults are its MinTime and MaxTime.
  auto start = TimeParam(*form, "start", std::numeric_limits<int64_t>::min());
  if (!start.ok()) return ErrorOutcome(start.status());
  auto end = TimeParam(*form, "end", std::numeric_limits<int64_t>::max());
  if (!end.ok()) return ErrorOutcome(end.status());
  if (!form->Get("start").empty()) *start = SecondsOrMillis(*start);
  if (!form->Get("end").empty()) *end = SecondsOrMillis(*end);
  if (*end < *start) return BadData("end timestamp must not be before start timestamp");
  auto expr = promql::ParseExpr(form->Get("query"), options_.parse_options);
  if (!expr.ok()) return BadData(std::string(ToStd(expr.status().message())));
  ExemplarsRequest req;
  req.tenant = tenant;
  req.min_time_ms = *start;
  req.max_time_ms = *end;
  CollectSelectors(**expr, &req.selectors);
  // Prometheus answers a query without selectors with no data at all.
  if (req.selectors.empty()) {
    HttpResponse no_content;
    no_content.status = 204;
    no_content.content_type.clear();
    return ApiOutcome{std::move(no_content), "success"};
  }
  auto answer =
      ExemplarsOnAllNodes(options_.storage_nodes, req, std::chrono::steady_clock::now() + options_.timeout);
  if (!answer.ok()) return ErrorOutcome(answer.status());
  std::string data = "[";
  for (const SeriesExemplars& s : answer->result.series) {
    if (data.size() > 1) data.push_back(',');
    data.append("{\"seriesLabels\":");
    AppendLabelsJson(s.series, &data);
    data.append(",\"exemplars\":[");
    for (size_t i = 0; i < s.exemplars.size(); ++i) {
      const Exemplar& e = s.exemplars[i];
      if (i > 0) data.push_back(',');
      data.append("{\"labels\":");
      AppendLabelsJson(e.labels, &data);
      data.append(",\"value\":\"");
      AppendPromFloat(e.value, &data);
      data.append("\",\"timestamp\":");
      AppendPromTimestamp(e.timestamp_ms, &data);
      data.push_back('}');
    }
    data.append("]}");
  }
  data.push_back(']');
  return SuccessOutcome(data);
}

}  // namespace strata::select
