#include "common/formats/remote_write_v2.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "testing/prw2_builder.h"

namespace strata::formats {
namespace {

using strata::testing::Prw2RequestBuilder;
using V2Metadata = io::prometheus::write::v2::Metadata;

std::vector<std::string> Texts(const std::vector<LabelView>& labels) {
  std::vector<std::string> out;
  for (const LabelView& l : labels) out.push_back(std::string(l.name) + "=" + std::string(l.value));
  return out;
}

TEST_CASE("remote_write 2.0 series resolve labels, samples, exemplars and metadata through the symbol table",
          "[formats][remote_write_v2]") {
  Prw2RequestBuilder b;
  auto* ts = b.AddSeries({{"__name__", "http_requests_total"}, {"code", "200"}}, {{1000, 1.5}, {2000, 2.5}});
  b.AddExemplar(ts, {{"trace_id", "abc"}}, 2.5, 1999);
  b.SetMetadata(ts, V2Metadata::METRIC_TYPE_COUNTER, "Requests served.", "");
  // The second series shares every symbol it can with the first.
  b.AddSeries({{"__name__", "http_requests_total"}, {"code", "500"}}, {{1000, 7}});

  RemoteWriteV2Reader reader;
  REQUIRE(reader.Parse(b.Serialize()).ok());
  REQUIRE(reader.series_count() == 2);
  RemoteWriteV2Series s;
  reader.Series(0, &s);
  CHECK(Texts(s.labels) == std::vector<std::string>{"__name__=http_requests_total", "code=200"});
  REQUIRE(s.samples.size() == 2);
  CHECK(s.samples[1].timestamp_ms == 2000);
  CHECK(s.samples[1].value == 2.5);
  REQUIRE(s.exemplars.size() == 1);
  CHECK(Texts(std::vector<LabelView>(s.exemplars[0].labels_in(s.exemplar_labels).begin(),
                                     s.exemplars[0].labels_in(s.exemplar_labels).end())) ==
        std::vector<std::string>{"trace_id=abc"});
  CHECK(s.exemplars[0].timestamp_ms == 1999);
  CHECK(s.metadata_type == 1);
  CHECK(s.help == "Requests served.");
  CHECK(s.unit.empty());
  CHECK(s.has_metadata());

  reader.Series(1, &s);  // reused: nothing of series 0 remains
  CHECK(Texts(s.labels) == std::vector<std::string>{"__name__=http_requests_total", "code=500"});
  CHECK(s.samples.size() == 1);
  CHECK(s.exemplars.empty());
  CHECK_FALSE(s.has_metadata());
}

TEST_CASE("remote_write 2.0 native histograms are counted, not decoded as samples", "[formats][remote_write_v2]") {
  Prw2RequestBuilder b;
  auto* ts = b.AddSeries({{"__name__", "latency"}});
  ts->add_histograms()->set_timestamp(5);
  ts->add_histograms()->set_timestamp(6);
  RemoteWriteV2Reader reader;
  REQUIRE(reader.Parse(b.Serialize()).ok());
  RemoteWriteV2Series s;
  reader.Series(0, &s);
  CHECK(s.histogram_count == 2);
  CHECK(s.samples.empty());
}

TEST_CASE("remote_write 2.0 requests with bad symbol refs are rejected whole with a message naming the ref",
          "[formats][remote_write_v2]") {
  RemoteWriteV2Reader reader;
  SECTION("a series label ref past the table") {
    Prw2RequestBuilder b;
    b.AddSeries({{"__name__", "ok"}}, {{1, 1}});
    auto* bad = b.AddSeries({{"__name__", "x"}}, {{1, 1}});
    bad->set_labels_refs(1, 99);
    absl::Status s = reader.Parse(b.Serialize());
    CHECK(absl::IsInvalidArgument(s));
    CHECK(std::string(s.message()) ==
          "cannot parse remote_write 2.0 request: timeseries[1]: series labels_refs holds symbol ref 99, but the "
          "symbols table has 4 entries");
  }
  SECTION("an odd number of label refs") {
    Prw2RequestBuilder b;
    b.AddSeries({{"__name__", "x"}}, {{1, 1}})->add_labels_refs(0);
    absl::Status s = reader.Parse(b.Serialize());
    CHECK(std::string(s.message()).find("odd length 3") != std::string::npos);
  }
  SECTION("an exemplar label ref past the table") {
    Prw2RequestBuilder b;
    auto* ts = b.AddSeries({{"__name__", "x"}}, {{1, 1}});
    b.AddExemplar(ts, {{"trace_id", "t"}}, 1, 1);
    ts->mutable_exemplars(0)->set_labels_refs(1, 4000000000u);
    absl::Status s = reader.Parse(b.Serialize());
    CHECK(std::string(s.message()).find("exemplars[0] labels_refs holds symbol ref 4000000000") != std::string::npos);
  }
  SECTION("a metadata help ref past the table") {
    Prw2RequestBuilder b;
    auto* ts = b.AddSeries({{"__name__", "x"}}, {{1, 1}});
    b.SetMetadata(ts, V2Metadata::METRIC_TYPE_GAUGE, "", "");
    ts->mutable_metadata()->set_help_ref(7);
    absl::Status s = reader.Parse(b.Serialize());
    CHECK(std::string(s.message()).find("metadata help_ref is 7") != std::string::npos);
  }
  CHECK(reader.series_count() == 0);
}

TEST_CASE("remote_write 2.0 garbage, truncated bodies and 1.0 bodies are rejected, never crash",
          "[formats][remote_write_v2]") {
  Prw2RequestBuilder b;
  b.AddSeries({{"__name__", "up"}, {"job", "a"}}, {{1, 1}});
  const std::string good = b.Serialize();
  RemoteWriteV2Reader reader;
  // Every truncation of a valid body either fails or yields well-formed series.
  for (size_t n = 0; n < good.size(); ++n) {
    absl::Status s = reader.Parse(std::string_view(good).substr(0, n));
    RemoteWriteV2Series series;
    for (size_t i = 0; i < reader.series_count(); ++i) reader.Series(i, &series);
    if (!s.ok()) CHECK(std::string(s.message()).rfind("cannot parse remote_write 2.0 request: ", 0) == 0);
  }
  CHECK_FALSE(reader.Parse("\xff\xff\xff\xff garbage").ok());
  // A 1.0 WriteRequest (field 1 = TimeSeries) decodes as nothing: said so.
  const std::string v1_body = std::string("\x0a\x04\x0a\x02\x0a\x00", 6);
  absl::Status s = reader.Parse(v1_body);
  CHECK(std::string(s.message()).find("is it a remote_write 1.0 prometheus.WriteRequest") != std::string::npos);
  // An empty body is an empty request.
  CHECK(reader.Parse("").ok());
  CHECK(reader.series_count() == 0);
}

TEST_CASE("remote_write 2.0 bodies with flipped bytes are rejected or resolve in range, never crash",
          "[formats][remote_write_v2]") {
  Prw2RequestBuilder b;
  auto* ts = b.AddSeries({{"__name__", "http_requests_total"}, {"code", "200"}}, {{1000, 1.5}});
  b.AddExemplar(ts, {{"trace_id", "abc"}}, 2.5, 1999);
  b.SetMetadata(ts, V2Metadata::METRIC_TYPE_COUNTER, "Requests.", "");
  const std::string good = b.Serialize();
  RemoteWriteV2Reader reader;
  RemoteWriteV2Series series;
  size_t rejected = 0;
  uint32_t state = 12345;  // a fixed LCG: the same mutations every run
  for (int round = 0; round < 4000; ++round) {
    std::string body = good;
    for (int flips = 0; flips < 3; ++flips) {
      state = state * 1103515245u + 12345u;
      body[(state >> 8) % body.size()] = static_cast<char>(state >> 24);
    }
    if (!reader.Parse(body).ok()) {
      ++rejected;
      continue;
    }
    for (size_t i = 0; i < reader.series_count(); ++i) {
      reader.Series(i, &series);
      for (const ExemplarView& e : series.exemplars) CHECK(e.label_end <= series.exemplar_labels.size());
    }
  }
  CHECK(rejected > 0);
}

TEST_CASE("metric family names drop the suffixes the type adds", "[formats][remote_write_v2]") {
  CHECK(MetricFamilyName("rpc_latency_bucket", 3) == "rpc_latency");
  CHECK(MetricFamilyName("rpc_latency_sum", 3) == "rpc_latency");
  CHECK(MetricFamilyName("rpc_latency_count", 5) == "rpc_latency");
  CHECK(MetricFamilyName("queue_gsum", 4) == "queue");
  CHECK(MetricFamilyName("http_requests_total", 1) == "http_requests_total");
  CHECK(MetricFamilyName("temperature_count", 2) == "temperature_count");  // a gauge keeps its name
  CHECK(MetricFamilyName("_bucket", 3) == "_bucket");                      // never to nothing
}

}  // namespace
}  // namespace strata::formats
