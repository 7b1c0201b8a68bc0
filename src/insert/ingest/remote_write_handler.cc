#include "insert/ingest/remote_write_handler.h"

#include <string>
#include <utility>

#include <fmt/format.h>

#include "common/base/status.h"
#include "common/model/labels.h"
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

}  // namespace

RemoteWriteHandler::RemoteWriteHandler(Router* router, RemoteWriteHandlerOptions options,
                                       prometheus::Registry* registry)
    : router_(router), options_(options), metrics_(registry, "promremotewrite") {}

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
  auto fail = [&](int code, std::string message) {
    metrics_.CountRequest(code);
    HttpResponse r = Reply(code, std::move(message), 0);
    if (code == 405) r.headers.emplace_back("Allow", "POST");
    respond(std::move(r));
  };
  if (request.method != "POST") {
    return fail(405, fmt::format("remote_write needs POST, not {}", request.method));
  }
  std::string_view content_type = FindHeader(request, "content-type");
  if (content_type.find("io.prometheus.write.v2.Request") != std::string_view::npos) {
    return fail(415, "remote_write 2.0 (io.prometheus.write.v2.Request) is not supported; send prometheus.WriteRequest");
  }
  std::string_view encoding = FindHeader(request, "content-encoding");
  if (!encoding.empty() && encoding != "snappy") {
    return fail(400, fmt::format("unsupported Content-Encoding \"{}\": remote_write bodies are snappy", encoding));
  }

  // Per-thread reused buffers: the decompressed body, and one series' label
  // views and samples (DESIGN.md "Hot paths").
  thread_local RemoteWriteDecoder decoder;
  thread_local WriteRequestSeries series;
  decoder.set_max_uncompressed_bytes(options_.max_request_bytes);
  absl::StatusOr<WriteRequestReader> reader = decoder.Decompress(request.body);
  if (!reader.ok()) return fail(400, std::string(ToStd(reader.status().message())));

  SeriesCollector collector(tenant, {}, &metrics_, options_.limiter);
  size_t histograms = 0;
  while (reader->Next(&series)) {
    histograms += series.histogram_count;
    collector.Add(&series.labels, series.samples, 0, series.exemplars, series.exemplar_labels);
  }
  // A malformed request is rejected whole: nothing has been sent yet.
  if (!reader->status().ok()) return fail(400, std::string(ToStd(reader->status().message())));

  std::string problems = collector.Problems("series");
  if (histograms > 0) {
    if (!problems.empty()) problems.append("; ");
    problems.append(fmt::format("{} native histogram samples were not stored: native histograms are not supported",
                                histograms));
  }
  const size_t exemplars = collector.batch().exemplar_count();
  // Metadata (Prometheus sends it in requests of its own) is owned here:
  // the decoder's views die with this thread's next request.
  std::vector<MetricMetadata> metadata;
  metadata.reserve(reader->metadata().size());
  for (const MetricMetadataView& m : reader->metadata()) {
    metadata.push_back(
        MetricMetadata{std::string(m.metric_family_name), m.type, std::string(m.help), std::string(m.unit)});
  }
  // Samples first, then metadata; the reply waits for both.
  FollowUpWrite write_metadata;
  if (!metadata.empty()) {
    write_metadata = [this, tenant, metadata = std::move(metadata)](Router::DoneCallback then) mutable {
      router_->WriteMetadata(tenant, std::move(metadata), std::move(then));
    };
  }
  // Exemplars are written with their series' samples: counted when those are.
  auto reply = [exemplars](int status, std::string body, size_t samples_written) {
    const bool stored = status == 204 || (status == 400 && samples_written > 0);
    return Reply(status, std::move(body), samples_written, stored ? exemplars : 0);
  };
  WriteAndReply(*router_, std::move(collector.batch()), std::move(problems), metrics_, options_.retry_after_seconds,
                std::move(reply), std::move(respond), std::move(write_metadata));
}

}  // namespace strata::insert
