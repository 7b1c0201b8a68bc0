#include "insert/ingest/import_handler.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/base/status.h"
#include "common/encoding/json_string.h"
#include "common/formats/csv.h"
#include "common/formats/influx_line.h"
#include "common/formats/json_lines.h"
#include "common/formats/parse_util.h"
#include "common/formats/prometheus_text.h"
#include "insert/ingest/series_collector.h"
#include "insert/router/router.h"

namespace strata::insert {
namespace {

HttpResponse TextReply(int status, std::string body, size_t) {
  if (status == 204) body.clear();
  if (!body.empty() && body.back() != '\n') body.push_back('\n');
  return HttpResponse::Text(status, std::move(body));
}

// InfluxDB's error shape: {"error":"..."}.
HttpResponse InfluxReply(int status, std::string body, size_t) {
  if (status == 204) return HttpResponse::Text(204, "");
  std::string json = "{\"error\":";
  AppendJsonString(body, &json);
  json.append("}\n");
  HttpResponse r = HttpResponse::Json(status, std::move(json));
  r.headers.emplace_back("X-Influxdb-Error", std::move(body));
  return r;
}

// `extra_label=name=value` arguments, as VictoriaMetrics' GetExtraLabels.
absl::StatusOr<std::vector<Label>> ExtraLabels(const FormParams& params) {
  std::vector<Label> out;
  for (std::string_view arg : params.GetAll("extra_label")) {
    size_t eq = arg.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(
          fmt::format("`extra_label` query arg must have the format `name=value`; got \"{}\"", arg));
    }
    out.push_back({std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1))});
  }
  return out;
}

}  // namespace

ImportHandler::ImportHandler(Router* router, ImportHandlerOptions options, prometheus::Registry* registry)
    : router_(router),
      options_(std::move(options)),
      json_metrics_(registry, "vmimport"),
      prometheus_metrics_(registry, "prometheus"),
      csv_metrics_(registry, "csvimport"),
      influx_metrics_(registry, "influx") {}

int64_t ImportHandler::NowMs() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void ImportHandler::Handle(TenantId tenant, IngestEndpoint endpoint, HttpRequest&& request, HttpResponder respond) {
  const bool influx = endpoint == IngestEndpoint::kInfluxWrite || endpoint == IngestEndpoint::kInfluxQuery ||
                      endpoint == IngestEndpoint::kInfluxPing;
  IngestMetrics& metrics = endpoint == IngestEndpoint::kImportJsonLines    ? json_metrics_
                           : endpoint == IngestEndpoint::kImportPrometheus ? prometheus_metrics_
                           : endpoint == IngestEndpoint::kImportCsv        ? csv_metrics_
                                                                           : influx_metrics_;
  ReplyBuilder build = influx ? ReplyBuilder(InfluxReply) : ReplyBuilder(TextReply);
  auto fail = [&](int code, std::string message) {
    metrics.CountRequest(code);
    HttpResponse r = build(code, std::move(message), 0);
    if (code == 405) r.headers.emplace_back("Allow", "POST, PUT");
    respond(std::move(r));
  };

  if (endpoint == IngestEndpoint::kInfluxPing) {
    HttpResponse r = HttpResponse::Text(204, "");
    r.headers.emplace_back("X-Influxdb-Version", "1.8.10");
    return respond(std::move(r));
  }
  if (endpoint == IngestEndpoint::kInfluxQuery) {
    // Telegraf sends CREATE DATABASE before writing; data needs no database here.
    return respond(HttpResponse::Json(200, "{\"results\":[{\"statement_id\":0}]}\n"));
  }
  if (request.method != "POST" && request.method != "PUT") {
    return fail(405, fmt::format("{} needs POST, not {}", request.path, request.method));
  }
  // Only the query string: the body is data even when a client labels it
  // application/x-www-form-urlencoded (curl -d).
  absl::StatusOr<FormParams> params = FormParams::ParseQueryString(request.query);
  if (!params.ok()) return fail(400, std::string(ToStd(params.status().message())));
  absl::StatusOr<std::vector<Label>> extra = ExtraLabels(*params);
  if (!extra.ok()) return fail(400, std::string(ToStd(extra.status().message())));

  int64_t default_ts = NowMs();
  if (std::string_view ts = params->Get("timestamp"); !ts.empty()) {
    std::optional<int64_t> parsed = formats::ParseInt64(ts);
    if (!parsed.has_value()) {
      return fail(400, fmt::format("cannot parse `timestamp={}` query arg: want Unix milliseconds", ts));
    }
    default_ts = *parsed;
  }

  SeriesCollector collector(tenant, *extra, &metrics, options_.limiter);
  std::string_view unit = "lines";
  switch (endpoint) {
    case IngestEndpoint::kImportJsonLines: {
      thread_local formats::JsonLinesParser parser;
      parser.Parse(request.body, collector);
      break;
    }
    case IngestEndpoint::kImportPrometheus: {
      thread_local formats::PrometheusTextParser parser;
      parser.Parse(request.body, {.default_timestamp_ms = default_ts}, collector);
      break;
    }
    case IngestEndpoint::kImportCsv: {
      std::string_view spec = params->Get("format");
      if (spec.empty()) {
        return fail(400, "missing `format` query arg, e.g. format=1:metric:price,2:label:ticker,3:time:unix_s");
      }
      absl::StatusOr<formats::CsvFormat> format = formats::CsvFormat::Parse(spec);
      if (!format.ok()) return fail(400, fmt::format("bad `format` query arg: {}", ToStd(format.status().message())));
      thread_local formats::CsvParser parser;
      parser.Parse(request.body, *format, {.default_timestamp_ms = default_ts}, collector);
      unit = "series";  // one row can hold several series
      break;
    }
    case IngestEndpoint::kInfluxWrite: {
      std::optional<formats::InfluxPrecision> precision = formats::ParseInfluxPrecision(params->Get("precision"));
      if (!precision.has_value()) {
        return fail(400, fmt::format("unsupported precision \"{}\"; use ns, u, ms, s, m or h", params->Get("precision")));
      }
      formats::InfluxOptions options;
      options.precision = *precision;
      options.default_timestamp_ms = default_ts;
      options.db = params->Has("db") ? params->Get("db") : params->Get("bucket");
      thread_local formats::InfluxLineParser parser;
      parser.Parse(request.body, options, collector);
      unit = "series";  // one line holds a series per field
      break;
    }
    default:
      return fail(404, "not an import endpoint");
  }
  // `# TYPE`/`# HELP`/`# UNIT` lines (Prometheus text) are stored as
  // remote_write's metadata, so that /api/v1/metadata has them.
  WriteAndReply(*router_, std::move(collector.batch()), collector.Problems(unit), metrics, options_.retry_after_seconds,
                std::move(build), std::move(respond), WriteMetadataAfter(*router_, tenant, collector.TakeMetadata()));
}

}  // namespace strata::insert
