// Fuzzes the whole path of a remote_write request body on the insert node:
// snappy decode, the hand-walked protobuf WriteRequest, label validation and
// sorting, the SeriesBatch encoding and the Router's per-node WriteBatch, up
// to the reply. A checking in-memory storage node decodes every batch it is
// sent and checks that each series is valid and sorted, and that the reply
// counts exactly the samples stored.
//
// Input: the first byte chooses what the rest is. Bit 0 set: an uncompressed
// request, snappy-compressed here (so that the fuzzer explores the protobuf
// decoders); clear: the snappy body as sent. Bit 1 set: the request is
// remote_write 2.0 (io.prometheus.write.v2.Request, by Content-Type);
// clear: 1.0 (prometheus.WriteRequest).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "absl/status/status.h"
#include "common/model/write_batch.h"
#include "common/prompb/remote_write_decoder.h"
#include "common/prompb/remote_write_encoder.h"
#include "common/rpc/storage_api.h"
#include "fuzz/fuzz_check.h"
#include "insert/ingest/remote_write_handler.h"
#include "insert/router/router.h"

namespace strata::fuzz {
namespace {

// A storage node that checks every batch and counts what it stores.
// Thread-compatible: the Router calls it inline here.
class CheckingStorage : public StorageApi {
 public:
  void Write(const RequestContext&, std::shared_ptr<const std::string> batch, WriteCallback done) override {
    absl::StatusOr<WriteBatchReader> reader = WriteBatchReader::Open(*batch);
    FUZZ_CHECK(reader.ok(), reader.status().ToString());
    SeriesView series;
    while (reader->Next(&series)) {
      FUZZ_CHECK(!series.labels.empty(), "a stored series has no labels");
      FUZZ_CHECK(SortedUnique(series.labels), "stored labels are not sorted and unique");
      std::vector<LabelView> copy = series.labels;
      FUZZ_CHECK(ValidateAndSortLabels(&copy).ok(), "a stored series has invalid labels");
      FUZZ_CHECK(!series.samples.empty() || !series.exemplars.empty(), "a stored series is empty");
      samples_ += series.samples.size();
    }
    FUZZ_CHECK(reader->status().ok(), reader->status().ToString());
    done(absl::OkStatus());
  }
  void Search(const RequestContext&, SearchRequest, SearchCallback done) override {
    done(absl::UnimplementedError("not in the fuzzer"));
  }
  void WriteMetadata(const RequestContext&, TenantId, std::vector<MetricMetadata> metadata,
                     WriteCallback done) override {
    metadata_ += metadata.size();
    done(absl::OkStatus());
  }
  std::string Name() const override { return "fuzz"; }

  void Reset() { samples_ = metadata_ = 0; }
  size_t samples() const { return samples_; }
  size_t metadata() const { return metadata_; }

 private:
  size_t samples_ = 0;
  size_t metadata_ = 0;
};

std::string_view HeaderOf(const HttpResponse& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return {};
}

// Decoded series re-encoded with the encoder decode back to the same labels
// and samples.
void CheckReencodes(std::string_view body) {
  RemoteWriteDecoder decoder(1 << 20);
  absl::StatusOr<WriteRequestReader> reader = decoder.Decompress(body);
  if (!reader.ok()) return;
  WriteRequestSeries series;
  std::string proto;
  std::vector<std::vector<Label>> labels;
  std::vector<std::vector<Sample>> samples;
  while (reader->Next(&series)) {
    AppendWriteRequestSeries(series.labels, series.samples, &proto);
    labels.push_back(Own(series.labels));
    samples.push_back(series.samples);
  }
  if (!reader->status().ok()) return;
  WriteRequestReader again(proto);
  size_t i = 0;
  while (again.Next(&series)) {
    FUZZ_CHECK(i < labels.size(), "re-encoding added a series");
    FUZZ_CHECK(Own(series.labels) == labels[i], "labels changed in a re-encode");
    FUZZ_CHECK(SameSamples(series.samples, samples[i]), "samples changed in a re-encode");
    ++i;
  }
  FUZZ_CHECK(again.status().ok(), again.status().ToString());
  FUZZ_CHECK(i == labels.size(), "re-encoding lost a series");
}

}  // namespace
}  // namespace strata::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  if (size == 0) return 0;
  std::string body;
  if (data[0] & 1) {
    SnappyCompress(fuzz::AsView(data + 1, size - 1), &body);
  } else {
    body.assign(fuzz::AsView(data + 1, size - 1));
  }
  const bool v2 = data[0] & 2;
  if (!v2) fuzz::CheckReencodes(body);

  // Built once: the ring's virtual nodes would otherwise dominate each run.
  static fuzz::CheckingStorage storage;
  static insert::Router router({&storage}, insert::RouterOptions{});
  static insert::RemoteWriteHandler handler(&router, [] {
    insert::RemoteWriteHandlerOptions options;
    options.max_request_bytes = 1 << 20;  // keep the fuzzer's memory small
    return options;
  }());
  storage.Reset();
  HttpRequest request;
  request.method = "POST";
  request.path = "/insert/1:2/prometheus/api/v1/write";
  request.headers.emplace_back("content-encoding", "snappy");
  request.headers.emplace_back("content-type", v2 ? "application/x-protobuf;proto=io.prometheus.write.v2.Request"
                                                  : "application/x-protobuf");
  request.body = std::move(body);
  std::optional<HttpResponse> reply;
  handler.Handle(std::move(request), [&](HttpResponse r) {
    FUZZ_CHECK(!reply.has_value(), "the handler answered twice");
    reply = std::move(r);
  });
  FUZZ_CHECK(reply.has_value(), "the handler did not answer");
  FUZZ_CHECK(reply->status == 204 || reply->status == 400, fmt::format("status {}: {}", reply->status, reply->body));
  FUZZ_CHECK(fuzz::HeaderOf(*reply, "X-Prometheus-Remote-Write-Samples-Written") == std::to_string(storage.samples()),
             "the reply does not count the samples stored");
  if (reply->status == 400) FUZZ_CHECK(!reply->body.empty(), "a 400 without a reason");
  return 0;
}
