#include "insert/ingest/remote_write_handler.h"

#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/base/ascii.h"
#include "common/base/status.h"
#include "common/formats/parse_util.h"
#include "common/formats/remote_write_v2.h"
#include "common/model/labels.h"
#include "common/model/series_batch.h"
#include "insert/ingest/series_collector.h"
#include "insert/router/router.h"

namespace strata::insert {
namespace {

constexpr std::string_view kSamplesWritten = "X-Prometheus-Remote-Write-Samples-Written";
constexpr std::string_view kHistogramsWritten = "X-Prometheus-Remote-Write-Histograms-Written";
constexpr std::string_view kExemplarsWritten = "X-Prometheus-Remote-Write-Exemplars-Written";

// Looks a header up without HttpRequest::Header's linkage (names are
// lowercased by the server).
std::string_view FindHeader(const HttpRequest& request, std::string_view lowercase_name) {
  for (const auto& [name, value] : request.headers) {
    if (name == lowercase_name) return value;
  }
  return {};
}

HttpResponse Reply(int status, std::string body, size_t samples_written, size_t exemplars_written = 0) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  if (!r.body.empty() && r.body.back() != '\n') r.body.push_back('\n');
  r.headers.emplace_back(std::string(kSamplesWritten), std::to_string(samples_written));
  r.headers.emplace_back(std::string(kHistogramsWritten), "0");
  r.headers.emplace_back(std::string(kExemplarsWritten), std::to_string(exemplars_written));
  return r;
}

// Feeds a 1.0 request's series, exemplars and metadata to `collector`;
// adds the native histogram samples to `*histograms`. InvalidArgument for a
// malformed request.
absl::Status DecodeV1(WriteRequestReader& reader, SeriesCollector& collector, size_t* histograms) {
  thread_local WriteRequestSeries series;
  while (reader.Next(&series)) {
    *histograms += series.histogram_count;
    collector.Add(&series.labels, series.samples, 0, series.exemplars, series.exemplar_labels);
  }
  STRATA_RETURN_IF_ERROR(reader.status());
  // Prometheus sends metadata in requests of their own; the collector owns
  // copies (the decoder's views die with this thread's next request).
  for (const MetricMetadataView& m : reader.metadata()) {
    collector.SetMetadata(m.metric_family_name, m.type, m.help, m.unit);
  }
  return absl::OkStatus();
}

// The same for an uncompressed 2.0 request; InvalidArgument for bad
// protobuf or a symbol ref out of range (checked before any series is fed).
absl::Status DecodeV2(std::string_view request, SeriesCollector& collector, size_t* histograms) {
  thread_local formats::RemoteWriteV2Reader reader;
  thread_local formats::RemoteWriteV2Series series;
  STRATA_RETURN_IF_ERROR(reader.Parse(request));
  for (size_t i = 0; i < reader.series_count(); ++i) {
    reader.Series(i, &series);
    *histograms += series.histogram_count;
    if (series.has_metadata()) {
      std::string_view name;
      for (const LabelView& l : series.labels) {
        if (l.name == kMetricNameLabel) name = l.value;
      }
      // 2.0 repeats metadata on every series of a family: one entry per
      // family, the last one winning.
      if (!name.empty()) {
        collector.SetMetadata(formats::MetricFamilyName(name, series.metadata_type), series.metadata_type,
                              series.help, series.unit);
      }
    }
    collector.Add(&series.labels, series.samples, 0, series.exemplars, series.exemplar_labels);
  }
  return absl::OkStatus();
}

}  // namespace

void RemoteWriteHandler::ReserveForV1(size_t decompressed_bytes, SeriesBatch& batch) {
  // Packed labels are smaller than their protobuf form, so the request
  // bounds them. A series from Prometheus (a dozen labels, one sample) is
  // about 100 bytes on the wire, which sizes the rest; a request of smaller
  // series grows its vectors once or twice.
  constexpr size_t kTypicalSeriesBytes = 100;
  const size_t series = decompressed_bytes / kTypicalSeriesBytes;
  batch.Reserve(decompressed_bytes, series, series);
}

absl::StatusOr<RemoteWriteProto> RemoteWriteHandler::ProtoOf(std::string_view content_type) {
  content_type = formats::TrimSpace(content_type);
  // Senders from before 2.0 may send no Content-Type at all.
  if (content_type.empty()) return RemoteWriteProto::kV1;
  size_t semicolon = content_type.find(';');
  std::string_view media = formats::TrimSpace(content_type.substr(0, semicolon));
  if (!EqualsIgnoreCase(media, "application/x-protobuf")) {
    return absl::InvalidArgumentError(fmt::format(
        "expected application/x-protobuf as the first (media) part, got \"{}\" content-type", content_type));
  }
  std::string_view params =
      semicolon == std::string_view::npos ? std::string_view() : content_type.substr(semicolon + 1);
  while (!params.empty()) {
    size_t next = params.find(';');
    std::string_view param = formats::TrimSpace(params.substr(0, next));
    params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
    if (param.empty()) continue;
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) {
      return absl::InvalidArgumentError(
          fmt::format("expected key=value parameters, got \"{}\" in \"{}\" content-type", param, content_type));
    }
    if (!EqualsIgnoreCase(formats::TrimSpace(param.substr(0, eq)), "proto")) continue;
    std::string_view message = formats::TrimSpace(param.substr(eq + 1));
    if (message.size() >= 2 && message.front() == '"' && message.back() == '"') {
      message = message.substr(1, message.size() - 2);
    }
    if (message == "prometheus.WriteRequest") return RemoteWriteProto::kV1;
    if (message == formats::kRemoteWriteV2Message) return RemoteWriteProto::kV2;
    return absl::InvalidArgumentError(fmt::format(
        "unknown remote-write protobuf message \"{}\" in \"{}\" content-type; this server accepts "
        "prometheus.WriteRequest and io.prometheus.write.v2.Request",
        message, content_type));
  }
  // No proto= parameter: 1.0 (the spec's default).
  return RemoteWriteProto::kV1;
}

RemoteWriteHandler::RemoteWriteHandler(Router* router, RemoteWriteHandlerOptions options,
                                       prometheus::Registry* registry)
    : router_(router),
      options_(options),
      metrics_(registry, "promremotewrite"),
      v2_metrics_(registry, "promremotewrite2") {}

absl::StatusOr<TenantId> RemoteWriteHandler::TenantFromPath(std::string_view path) {
  if (path == "/api/v1/write") return TenantId{};
  constexpr std::string_view kInsert = "/insert/";
  if (path.substr(0, kInsert.size()) != kInsert) {
    return absl::NotFoundError(fmt::format("unsupported path \"{}\"", path));
  }
  std::string_view rest = path.substr(kInsert.size());
  size_t slash = rest.find('/');
  std::string_view suffix = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (suffix != "/prometheus" && suffix != "/prometheus/" && suffix != "/prometheus/api/v1/write" &&
      suffix != "/prometheus/api/v1/push") {
    return absl::NotFoundError(fmt::format(
        "unsupported path \"{}\": remote_write goes to /insert/<accountID>[:<projectID>]/prometheus/api/v1/write",
        path));
  }
  return TenantId::Parse(rest.substr(0, slash));
}

void RemoteWriteHandler::Handle(HttpRequest&& request, HttpResponder respond) {
  absl::StatusOr<TenantId> tenant = TenantFromPath(request.path);
  if (!tenant.ok()) {
    int code = HttpStatusOf(tenant.status());
    metrics_.CountRequest(code);
    respond(Reply(code, std::string(ToStd(tenant.status().message())), 0));
    return;
  }
  HandleWrite(*tenant, std::move(request), std::move(respond));
}

void RemoteWriteHandler::HandleWrite(TenantId tenant, HttpRequest&& request, HttpResponder respond) {
  absl::StatusOr<RemoteWriteProto> proto = ProtoOf(FindHeader(request, "content-type"));
  IngestMetrics& metrics = proto.ok() && *proto == RemoteWriteProto::kV2 ? v2_metrics_ : metrics_;
  auto fail = [&](int code, std::string message) {
    metrics.CountRequest(code);
    HttpResponse r = Reply(code, std::move(message), 0);
    if (code == 405) r.headers.emplace_back("Allow", "POST");
    respond(std::move(r));
  };
  if (request.method != "POST") {
    return fail(405, fmt::format("remote_write needs POST, not {}", request.method));
  }
  // The spec: a content type (or message) the receiver does not take is 415,
  // so that a 2.0 sender can fall back to 1.0.
  if (!proto.ok()) return fail(415, std::string(ToStd(proto.status().message())));
  std::string_view encoding = FindHeader(request, "content-encoding");
  if (!encoding.empty() && !EqualsIgnoreCase(encoding, "snappy")) {
    // 1.0 senders expect 400 here (ECOSYSTEM.md §3.3); the 2.0 spec says 415.
    return fail(*proto == RemoteWriteProto::kV2 ? 415 : 400,
                fmt::format("unsupported Content-Encoding \"{}\": remote_write bodies are snappy", encoding));
  }

  // Per-thread reused buffers: the decompressed body, and one series' label
  // views and samples (DESIGN.md "Hot paths").
  thread_local RemoteWriteDecoder decoder;
  decoder.set_max_uncompressed_bytes(options_.max_request_bytes);
  absl::StatusOr<WriteRequestReader> reader = decoder.Decompress(request.body);
  if (!reader.ok()) return fail(400, std::string(ToStd(reader.status().message())));

  SeriesCollector collector(tenant, {}, &metrics, options_.limiter);
  if (*proto == RemoteWriteProto::kV1) ReserveForV1(decoder.buffer().size(), collector.batch());
  size_t histograms = 0;
  // A malformed request is rejected whole: nothing has been sent yet.
  absl::Status decoded = *proto == RemoteWriteProto::kV2 ? DecodeV2(decoder.buffer(), collector, &histograms)
                                                         : DecodeV1(*reader, collector, &histograms);
  if (!decoded.ok()) return fail(400, std::string(ToStd(decoded.message())));
  Finish(tenant, collector, histograms, metrics, std::move(respond));
}

void RemoteWriteHandler::Finish(TenantId tenant, SeriesCollector& collector, size_t histograms,
                                IngestMetrics& metrics, HttpResponder respond) {
  std::string problems = collector.Problems("series");
  if (histograms > 0) {
    metrics.CountRejected("native_histogram", histograms);
    if (!problems.empty()) problems.append("; ");
    problems.append(fmt::format("{} native histogram samples were not stored: native histograms are not supported",
                                histograms));
  }
  const size_t exemplars = collector.batch().exemplar_count();
  // Exemplars are written with their series' samples: counted when those are.
  auto reply = [exemplars](int status, std::string body, size_t samples_written) {
    const bool stored = status == 204 || (status == 400 && samples_written > 0);
    return Reply(status, std::move(body), samples_written, stored ? exemplars : 0);
  };
  WriteAndReply(*router_, std::move(collector.batch()), std::move(problems), metrics, options_.retry_after_seconds,
                std::move(reply), std::move(respond), WriteMetadataAfter(*router_, tenant, collector.TakeMetadata()));
}

}  // namespace strata::insert
