#include "select/api/export_api.h"

#include <catch2/catch.hpp>

#include "select/promql/memory_querier.h"

namespace strata::select {
namespace {

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

HttpRequest Get(std::string path, std::string query) {
  HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  return r;
}

// Hands out a view of one shared MemoryQuerier per request.
class ForwardingQuerier : public promql::Querier {
 public:
  explicit ForwardingQuerier(promql::MemoryQuerier* store) : store_(store) {}
  absl::StatusOr<promql::SeriesSet> Select(const promql::SelectHints& hints,
                                           std::span<const Matcher> matchers) override {
    return store_->Select(hints, matchers);
  }

 private:
  promql::MemoryQuerier* store_;
};

// Samples every 15 s; "now" is 1,000,000 ms.
struct Fixture {
  Fixture() {
    store.Add(L({{"__name__", "up"}, {"job", "a"}}), {{10'000, 1}, {25'000, 0}, {40'000, 1}});
    store.Add(L({{"__name__", "up"}, {"job", "b"}}), {{10'000, 1}, {999'000, 1}});
    store.Add(L({{"__name__", "temp"}, {"job", "a"}}), {{700'000, 20.5}, {990'000, 21.25}});
    // Ended: its newest sample is a stale marker.
    store.Add(L({{"__name__", "gone"}}), {{980'000, 3}, {995'000, StaleNaN()}});
  }
  ExportApi Api() {
    return ExportApi(
        [this](const TenantId&, std::chrono::steady_clock::time_point) {
          return std::make_unique<ForwardingQuerier>(&store);
        },
        [] { return int64_t{1'000'000}; }, ExportApiOptions{});
  }
  promql::MemoryQuerier store;
};

TEST_CASE("export answers every selected sample as JSON lines sorted by labels", "[select][api][export]") {
  Fixture f;
  ApiOutcome out = f.Api().Export(Get("/api/v1/export", "match[]=up&match[]=%7Bjob%3D%22a%22%7D&end=995"),
                                  TenantId{});
  CHECK(out.response.status == 200);
  CHECK(out.response.body ==
        "{\"metric\":{\"__name__\":\"temp\",\"job\":\"a\"},\"values\":[20.5,21.25],\"timestamps\":[700000,990000]}\n"
        "{\"metric\":{\"__name__\":\"up\",\"job\":\"a\"},\"values\":[1,0,1],\"timestamps\":[10000,25000,40000]}\n"
        "{\"metric\":{\"__name__\":\"up\",\"job\":\"b\"},\"values\":[1],\"timestamps\":[10000]}\n");
}

TEST_CASE("export honours start and max_rows_per_line", "[select][api][export]") {
  Fixture f;
  ApiOutcome out =
      f.Api().Export(Get("/api/v1/export", "match[]=up%7Bjob%3D%22a%22%7D&start=20&max_rows_per_line=1"), TenantId{});
  CHECK(out.response.body ==
        "{\"metric\":{\"__name__\":\"up\",\"job\":\"a\"},\"values\":[0],\"timestamps\":[25000]}\n"
        "{\"metric\":{\"__name__\":\"up\",\"job\":\"a\"},\"values\":[1],\"timestamps\":[40000]}\n");
}

TEST_CASE("export refuses a missing match[] and bad times with 400 bad_data", "[select][api][export]") {
  Fixture f;
  ApiOutcome out = f.Api().Export(Get("/api/v1/export", ""), TenantId{});
  CHECK(out.response.status == 400);
  CHECK(out.result == "bad_data");
  CHECK(out.response.body == R"({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})");
  out = f.Api().Export(Get("/api/v1/export", "match[]=up&start=yesterday"), TenantId{});
  CHECK(out.response.status == 400);
  CHECK(out.response.body.find("Invalid time value for 'start'") != std::string::npos);
  out = f.Api().Export(Get("/api/v1/export", "match[]=up&max_rows_per_line=-1"), TenantId{});
  CHECK(out.response.status == 400);
  out = f.Api().Export(Get("/api/v1/export", "match[]=up%7B"), TenantId{});
  CHECK(out.response.status == 400);
}

TEST_CASE("CSV export needs format and writes one row per sample", "[select][api][export]") {
  Fixture f;
  ApiOutcome out = f.Api().ExportCsv(
      Get("/api/v1/export/csv", "match[]=temp&format=__name__,job,__value__,__timestamp__:unix_ms"), TenantId{});
  CHECK(out.response.status == 200);
  CHECK(out.response.body == "temp,a,20.5,700000\ntemp,a,21.25,990000\n");
  out = f.Api().ExportCsv(Get("/api/v1/export/csv", "match[]=temp"), TenantId{});
  CHECK(out.response.status == 400);
}

TEST_CASE("federate answers each live series' newest sample within the lookback", "[select][api][federate]") {
  Fixture f;
  ApiOutcome out = f.Api().Federate(Get("/federate", "match[]=%7B__name__%3D~%22.%2B%22%7D"), TenantId{});
  CHECK(out.response.status == 200);
  CHECK(out.response.content_type == "text/plain; version=0.0.4; charset=utf-8");
  // up{job="a"} is older than 5 m before now; "gone" ended with a stale marker.
  CHECK(out.response.body ==
        "# TYPE temp untyped\n"
        "temp{job=\"a\",instance=\"\"} 21.25 990000\n"
        "# TYPE up untyped\n"
        "up{job=\"b\",instance=\"\"} 1 999000\n");
  out = f.Api().Federate(Get("/federate", ""), TenantId{});
  CHECK(out.response.status == 400);
  CHECK(out.response.body == "no match[] parameter provided\n");
}

}  // namespace
}  // namespace strata::select
