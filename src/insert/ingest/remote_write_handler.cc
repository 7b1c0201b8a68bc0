#include "insert/ingest/remote_write_handler.h"

#include <string>
#include <utility>

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "common/base/status.h"
#include "common/model/labels.h"
#include "insert/ingest/ingest_common.h"
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

HttpResponse Reply(int status, std::string body, size_t samples_written) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  if (!r.body.empty() && r.body.back() != '\n') r.body.push_back('\n');
  r.headers.emplace_back(std::string(kSamplesWritten), std::to_string(samples_written));
  r.headers.emplace_back(std::string(kHistogramsWritten), "0");
  r.headers.emplace_back(std::string(kExemplarsWritten), "0");
  return r;
}

int HttpStatusOf(const absl::Status& status) { return IngestHttpStatus(status, 204); }

}  // namespace

RemoteWriteHandler::RemoteWriteHandler(Router* router, RemoteWriteHandlerOptions options,
                                       prometheus::Registry* registry)
    : router_(router), options_(options), metrics_(registry, "promremotewrite", 204) {
  if (registry == nullptr) return;
  auto& rejected = prometheus::BuildCounter()
                       .Name("strata_insert_series_rejected_total")
                       .Help("Series rejected by validation, by reason")
                       .Register(*registry);
  rejected_missing_name_ = &rejected.Add({{"reason", "missing_metric_name"}});
  rejected_empty_name_ = &rejected.Add({{"reason", "empty_label_name"}});
  rejected_duplicate_ = &rejected.Add({{"reason", "duplicate_label_name"}});
  rejected_utf8_ = &rejected.Add({{"reason", "invalid_utf8"}});
  rejected_other_ = &rejected.Add({{"reason", "other"}});
}

void RemoteWriteHandler::CountRejected(const absl::Status& status) {
  if (rejected_other_ == nullptr) return;
  // ValidateAndSortLabels' messages are the only classification it offers.
  std::string_view m = ToStd(status.message());
  if (m.find("missing metric name") != std::string_view::npos) {
    rejected_missing_name_->Increment();
  } else if (m.find("empty name") != std::string_view::npos) {
    rejected_empty_name_->Increment();
  } else if (m.find("duplicate label name") != std::string_view::npos) {
    rejected_duplicate_->Increment();
  } else if (m.find("UTF-8") != std::string_view::npos) {
    rejected_utf8_->Increment();
  } else {
    rejected_other_->Increment();
  }
}

absl::StatusOr<TenantId> RemoteWriteHandler::TenantFromPath(std::string_view path) {
  if (path == "/api/v1/write") return TenantId{};
  std::string_view tenant, suffix;
  if (!SplitInsertPath(path, &tenant, &suffix)) {
    return absl::NotFoundError(fmt::format("unsupported path \"{}\"", path));
  }
  if (suffix != "/prometheus" && suffix != "/prometheus/" && suffix != "/prometheus/api/v1/write" &&
      suffix != "/prometheus/api/v1/push") {
    return absl::NotFoundError(fmt::format(
        "unsupported path \"{}\": remote_write goes to /insert/<accountID>[:<projectID>]/prometheus/api/v1/write",
        path));
  }
  return TenantId::Parse(tenant);
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

  SeriesBatch batch(tenant);
  size_t total_series = 0, rejected = 0, histograms = 0;
  absl::Status first_problem;
  while (reader->Next(&series)) {
    ++total_series;
    histograms += series.histogram_count;
    if (series.samples.empty()) continue;  // nothing to store (e.g. histogram-only series)
    absl::Status valid = ValidateAndSortLabels(&series.labels);
    if (!valid.ok()) {
      ++rejected;
      CountRejected(valid);
      if (first_problem.ok()) first_problem = std::move(valid);
      continue;
    }
    batch.AddSeries(series.labels, series.samples);
  }
  // A malformed request is rejected whole: nothing has been sent yet.
  if (!reader->status().ok()) return fail(400, std::string(ToStd(reader->status().message())));

  std::string problems;
  if (rejected > 0) {
    problems = fmt::format("rejected {} of {} series; the first: {}", rejected, total_series,
                           ToStd(first_problem.message()));
  }
  if (histograms > 0) {
    if (!problems.empty()) problems.append("; ");
    problems.append(fmt::format("{} native histogram samples were not stored: native histograms are not supported",
                                histograms));
  }
  size_t samples = batch.sample_count();
  router_->Write(std::move(batch), [this, samples, problems = std::move(problems),
                                    respond = std::move(respond)](absl::Status status) mutable {
    int code = HttpStatusOf(status);
    HttpResponse r;
    if (status.ok()) {
      metrics_.CountSamples(samples);
      r = problems.empty() ? Reply(204, "", samples) : Reply(400, std::move(problems), samples);
      code = r.status;
    } else {
      r = Reply(code, std::string(ToStd(status.message())), 0);
      if (code == 429) r.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_seconds));
    }
    metrics_.CountRequest(code);
    respond(std::move(r));
  });
}

}  // namespace strata::insert
