#include "insert/ingest/otlp_handler.h"

#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "common/encoding/json_string.h"
#include "common/formats/otlp_metrics.h"
#include "insert/ingest/series_collector.h"
#include "insert/router/router.h"

namespace strata::insert {
namespace {

constexpr std::string_view kProtobuf = "application/x-protobuf";
constexpr std::string_view kJson = "application/json";

// The media type of a Content-Type value, lowercased, without parameters.
std::string MediaType(std::string_view content_type) {
  std::string out(content_type.substr(0, content_type.find(';')));
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  while (!out.empty() && (out.front() == ' ' || out.front() == '\t')) out.erase(0, 1);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The google.rpc.Status code the OTLP spec pairs with an HTTP error.
int RpcCode(int http_status) {
  switch (http_status) {
    case 400: return 3;   // INVALID_ARGUMENT
    case 404: return 5;   // NOT_FOUND
    case 405:
    case 415: return 12;  // UNIMPLEMENTED
    case 429: return 8;   // RESOURCE_EXHAUSTED
    case 503: return 14;  // UNAVAILABLE
    default: return 13;   // INTERNAL
  }
}

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// An OTLP/HTTP error reply: a google.rpc.Status {code = 1, message = 2},
// in protobuf, or in JSON when the client sent JSON.
HttpResponse ErrorReply(int http_status, std::string_view message, bool json) {
  HttpResponse r;
  r.status = http_status;
  int code = RpcCode(http_status);
  if (json) {
    r.content_type = std::string(kJson);
    r.body = fmt::format("{{\"code\":{},\"message\":{}}}", code, JsonString(message));
    return r;
  }
  r.content_type = std::string(kProtobuf);
  r.body.push_back(0x08);
  AppendVarint(static_cast<uint64_t>(code), &r.body);
  r.body.push_back(0x12);
  AppendVarint(message.size(), &r.body);
  r.body.append(message);
  return r;
}

}  // namespace

OtlpHandler::OtlpHandler(Router* router, OtlpHandlerOptions options, prometheus::Registry* registry)
    : router_(router), options_(options), metrics_(registry, "opentelemetry") {}

void OtlpHandler::Handle(TenantId tenant, HttpRequest&& request, HttpResponder respond) {
  std::string media_type = MediaType(request.Header("content-type"));
  bool json = media_type == kJson;
  auto fail = [&](int code, std::string_view message) {
    metrics_.CountRequest(code);
    HttpResponse r = ErrorReply(code, message, json);
    if (code == 405) r.headers.emplace_back("Allow", "POST");
    respond(std::move(r));
  };
  if (request.method != "POST") return fail(405, fmt::format("OTLP export needs POST, not {}", request.method));
  if (json) {
    return fail(415, "OTLP/JSON is not supported: export OTLP/HTTP with protobuf (Content-Type: application/x-protobuf)");
  }
  if (!media_type.empty() && media_type != kProtobuf) {
    return fail(415, fmt::format("unsupported Content-Type \"{}\": OTLP/HTTP metrics are application/x-protobuf",
                                 request.Header("content-type")));
  }
  // The server has already inflated gzip; anything else it left alone.
  std::string_view encoding = request.Header("content-encoding");
  if (!encoding.empty() && encoding != "gzip" && encoding != "identity") {
    return fail(415, fmt::format("unsupported Content-Encoding \"{}\": send gzip or no encoding", encoding));
  }

  absl::StatusOr<OtlpConversion> conversion =
      ConvertOtlpMetrics(request.body, OtlpConvertOptions{.now_ms = NowUnixMillis()});
  if (!conversion.ok()) return fail(400, ToStd(conversion.status().message()));
  for (size_t i = 0; i < kOtlpRejectReasonCount; ++i) {
    metrics_.CountRejected(OtlpRejectReasonName(static_cast<OtlpRejectReason>(i)),
                           static_cast<size_t>(conversion->rejected_by_reason[i]));
  }

  SeriesCollector collector(tenant, {}, &metrics_, options_.limiter);
  std::vector<LabelView> views;
  for (const OtlpSeries& s : conversion->series) {
    views.clear();
    for (const Label& l : s.labels) views.push_back(LabelView{l.name, l.value});
    collector.Add(&views, s.samples, 0);
  }
  // OTLP answers a partial write with 200 and partial_success, not 400: the
  // problems go into the response body and WriteAndReply gets none, so its
  // 204 ("all stored") becomes that 200. The converter validates labels, so
  // the collector rejects a series for an ingest limit (or, a converter bug,
  // bad labels): its points count as rejected and its reasons are named.
  int64_t rejected = conversion->points_rejected + static_cast<int64_t>(collector.rejected_samples());
  std::string problem = std::move(conversion->first_problem);
  if (collector.rejected() > 0) {
    problem = problem.empty() ? collector.Problems("series") : problem + "; " + collector.Problems("series");
  }
  ReplyBuilder build = [success = EncodeOtlpMetricsResponse(rejected, problem)](int status, std::string message,
                                                                                 size_t) mutable {
    if (status != 204) return ErrorReply(status, message, /*json=*/false);
    HttpResponse r;
    r.status = 200;
    r.content_type = std::string(kProtobuf);
    r.body = std::move(success);
    return r;
  };
  WriteAndReply(*router_, std::move(collector.batch()), /*problems=*/"", metrics_, options_.retry_after_seconds,
                std::move(build), std::move(respond));
}

}  // namespace strata::insert
