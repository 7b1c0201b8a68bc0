#include "insert/ingest/otlp_handler.h"

#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "common/encoding/json_string.h"
#include "insert/ingest/ingest_common.h"
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
    : router_(router), options_(options), metrics_(registry, "opentelemetry", 200) {
  if (registry == nullptr) return;
  auto& rejected = prometheus::BuildCounter()
                       .Name("strata_insert_otlp_points_rejected_total")
                       .Help("OpenTelemetry data points not stored, by reason")
                       .Register(*registry);
  for (size_t i = 0; i < kOtlpRejectReasonCount; ++i) {
    rejected_[i] = &rejected.Add({{"reason", std::string(OtlpRejectReasonName(static_cast<OtlpRejectReason>(i)))}});
  }
}

void OtlpHandler::CountRejected(const OtlpConversion& conversion) {
  if (rejected_[0] == nullptr) return;
  for (size_t i = 0; i < kOtlpRejectReasonCount; ++i) {
    if (conversion.rejected_by_reason[i] > 0) rejected_[i]->Increment(static_cast<double>(conversion.rejected_by_reason[i]));
  }
}

bool OtlpHandler::IsOtlpPath(std::string_view path) {
  if (path == "/opentelemetry/v1/metrics" || path == "/otlp/v1/metrics") return true;
  std::string_view tenant, suffix;
  return SplitInsertPath(path, &tenant, &suffix) &&
         (suffix == "/opentelemetry/v1/metrics" || suffix == "/opentelemetry/api/v1/push");
}

absl::StatusOr<TenantId> OtlpHandler::TenantFromPath(std::string_view path) {
  if (!IsOtlpPath(path)) {
    return absl::NotFoundError(fmt::format(
        "unsupported path \"{}\": OTLP metrics go to /insert/<accountID>[:<projectID>]/opentelemetry/v1/metrics",
        path));
  }
  std::string_view tenant, suffix;
  if (!SplitInsertPath(path, &tenant, &suffix)) return TenantId{};
  return TenantId::Parse(tenant);
}

void OtlpHandler::Handle(HttpRequest&& request, HttpResponder respond) {
  std::string media_type = MediaType(request.Header("content-type"));
  bool json = media_type == kJson;
  auto fail = [&](int code, std::string_view message) {
    metrics_.CountRequest(code);
    HttpResponse r = ErrorReply(code, message, json);
    if (code == 405) r.headers.emplace_back("Allow", "POST");
    respond(std::move(r));
  };
  absl::StatusOr<TenantId> tenant = TenantFromPath(request.path);
  if (!tenant.ok()) return fail(IngestHttpStatus(tenant.status(), 200), ToStd(tenant.status().message()));
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
  CountRejected(*conversion);

  SeriesBatch batch(*tenant);
  std::vector<LabelView> views;
  for (const OtlpSeries& s : conversion->series) {
    views.clear();
    for (const Label& l : s.labels) views.push_back(LabelView{l.name, l.value});
    batch.AddSeries(views, s.samples);
  }
  size_t samples = batch.sample_count();
  std::string body = EncodeOtlpMetricsResponse(conversion->points_rejected, conversion->first_problem);
  router_->Write(std::move(batch), [this, samples, body = std::move(body),
                                    respond = std::move(respond)](absl::Status status) mutable {
    int code = IngestHttpStatus(status, 200);
    metrics_.CountRequest(code);
    if (!status.ok()) {
      HttpResponse r = ErrorReply(code, ToStd(status.message()), /*json=*/false);
      if (code == 429) r.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_seconds));
      respond(std::move(r));
      return;
    }
    metrics_.CountSamples(samples);
    HttpResponse r;
    r.status = 200;
    r.content_type = std::string(kProtobuf);
    r.body = std::move(body);
    respond(std::move(r));
  });
}

}  // namespace strata::insert
