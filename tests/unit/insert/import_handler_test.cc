#include "insert/ingest/import_handler.h"

#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/base/clock.h"
#include "unit/insert/handler_harness.h"

namespace strata::insert {
namespace {

// Canonical series key from `name`, then label pairs in sorted order.
std::string Key(std::vector<LabelView> labels) {
  std::string key;
  REQUIRE(ValidateAndSortLabels(&labels).ok());
  AppendCanonical(labels, &key);
  return key;
}

using Harness = testing::ServiceHarness;

bool SameSamples(const std::vector<Sample>& got, const std::vector<Sample>& want) {
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!SameBits(got[i], want[i])) return false;
  }
  return true;
}

TEST_CASE("JSON line import stores exact samples for tenant 0 and for /insert/<tenant>, with extra labels", "[insert][unit]") {
  Harness h;
  std::string body =
      "{\"metric\":{\"__name__\":\"up\",\"job\":\"x\"},\"values\":[1,0.5],\"timestamps\":[1000,2000]}\n"
      "{\"metric\":{\"__name__\":\"up\",\"job\":\"y\",\"env\":\"old\"},\"values\":[3],\"timestamps\":[3000]}\n";
  HttpResponse r = h.Post("/api/v1/import?extra_label=env=prod", body);
  CHECK(r.status == 204);
  auto stored = h.Stored();
  REQUIRE(stored.size() == 2);
  CHECK(SameSamples(stored[Key({{"__name__", "up"}, {"job", "x"}, {"env", "prod"}})], {{1000, 1}, {2000, 0.5}}));
  // extra_label replaces a label of the same name.
  CHECK(SameSamples(stored[Key({{"__name__", "up"}, {"job", "y"}, {"env", "prod"}})], {{3000, 3}}));

  CHECK(h.Post("/insert/7:1/prometheus/api/v1/import", body).status == 204);
  auto tenant = h.Stored(TenantId{7, 1});
  CHECK(tenant.size() == 2);
  CHECK(h.Counter("strata_insert_requests_total", {{"protocol", "vmimport"}, {"result", "ok"}}) == 2);
  CHECK(h.Counter("strata_insert_samples_total", {}) == 6);
}

TEST_CASE("a partially bad import stores the good lines and answers 400 naming the first bad line", "[insert][unit]") {
  Harness h;
  HttpResponse r = h.Post("/api/v1/import/prometheus",
                          "good 1 1700000000000\n"
                          "bad{x=\"y\" 2\n"
                          "{job=\"no-name\"} 3 1700000000000\n"
                          "good2 4 1700000000000\n");
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains("rejected 2 of 4 lines; the first: line 2: missing `,` or `}`"));
  auto stored = h.Stored();
  CHECK(stored.size() == 2);
  CHECK(SameSamples(stored[Key({{"__name__", "good2"}})], {{1700000000000, 4}}));
  CHECK(h.Counter("strata_insert_series_rejected_total", {{"reason", "parse_error"}}) == 2);
  CHECK(h.Counter("strata_insert_requests_total", {{"protocol", "prometheus"}, {"result", "bad_request"}}) == 1);
}

TEST_CASE("Prometheus text import stamps lines without a timestamp with the timestamp argument", "[insert][unit]") {
  Harness h;
  CHECK(h.Post("/insert/0/prometheus/api/v1/import/prometheus?timestamp=1700000000123&extra_label=src=push",
               "# TYPE temp gauge\ntemp{room=\"a\"} 21.5\ntemp{room=\"b\"} 19 1700000000999\n")
            .status == 204);
  auto stored = h.Stored();
  CHECK(SameSamples(stored[Key({{"__name__", "temp"}, {"room", "a"}, {"src", "push"}})], {{1700000000123, 21.5}}));
  CHECK(SameSamples(stored[Key({{"__name__", "temp"}, {"room", "b"}, {"src", "push"}})], {{1700000000999, 19}}));
  CHECK(h.Post("/api/v1/import/prometheus?timestamp=soon", "x 1\n").status == 400);
  CHECK(h.Post("/api/v1/import/prometheus?extra_label=novalue", "x 1\n").status == 400);
  CHECK(h.Stored().size() == 2);  // nothing more stored by the two bad requests
}

TEST_CASE("CSV import needs a valid format argument and stores a series per metric column", "[insert][unit]") {
  Harness h;
  HttpResponse missing = h.Post("/api/v1/import/csv", "GOOG,1.23\n");
  CHECK(missing.status == 400);
  CHECK_THAT(missing.body, Catch::Contains("missing `format`"));
  CHECK(h.Post("/api/v1/import/csv?format=1:metric:ask,1:label:x", "1\n").status == 400);
  CHECK(h.Stored().empty());

  CHECK(h.Post("/insert/5/prometheus/api/v1/import/csv?format=2:metric:ask,3:metric:bid,1:label:ticker,4:time:unix_s",
               "GOOG,1.23,4.56,1700000000\nMSFT,3.21,1.5,1700000001\n")
            .status == 204);
  auto stored = h.Stored(TenantId{5, 0});
  REQUIRE(stored.size() == 4);
  CHECK(SameSamples(stored[Key({{"__name__", "bid"}, {"ticker", "MSFT"}})], {{1700000001000, 1.5}}));
}

TEST_CASE("Influx writes map measurement_field, db and precision on every Influx path", "[insert][unit]") {
  Harness h;
  CHECK(h.Post("/write?db=tele&precision=s", "cpu,host=a user=1.5,sys=2i 1700000000\n").status == 204);
  CHECK(h.Post("/influx/api/v2/write?bucket=b2&precision=ms", "mem free=7 1700000000001\n").status == 204);
  CHECK(h.Post("/insert/0/influx/write", "disk used=0.25 1700000000002000000\n").status == 204);
  auto stored = h.Stored();
  CHECK(SameSamples(stored[Key({{"__name__", "cpu_user"}, {"host", "a"}, {"db", "tele"}})], {{1700000000000, 1.5}}));
  CHECK(SameSamples(stored[Key({{"__name__", "cpu_sys"}, {"host", "a"}, {"db", "tele"}})], {{1700000000000, 2}}));
  CHECK(SameSamples(stored[Key({{"__name__", "mem_free"}, {"db", "b2"}})], {{1700000000001, 7}}));
  CHECK(SameSamples(stored[Key({{"__name__", "disk_used"}})], {{1700000000002, 0.25}}));

  HttpResponse bad = h.Post("/influx/write", "cpu user=oops\n");
  CHECK(bad.status == 400);
  CHECK(bad.content_type.find("json") != std::string::npos);
  CHECK_THAT(bad.body, Catch::Contains("{\"error\":\"rejected 1 of 1 series; the first: line 1: cannot parse value"));
  CHECK(h.Post("/write?precision=weeks", "cpu user=1\n").status == 400);

  CHECK(h.Call("GET", "/ping", "").status == 204);
  CHECK(h.Call("GET", "/influx/ping", "").status == 204);
  HttpResponse query = h.Call("POST", "/influx/query?q=CREATE+DATABASE+telegraf", "");
  CHECK(query.status == 200);
  CHECK_THAT(query.body, Catch::Contains("\"results\""));
}

TEST_CASE("import endpoints reject other methods and unknown /insert/ paths", "[insert][unit]") {
  Harness h;
  HttpResponse get = h.Call("GET", "/api/v1/import", "");
  CHECK(get.status == 405);
  CHECK(h.Call("GET", "/insert/0/prometheus/api/v1/import/native", "").status == 404);
  CHECK(h.Call("POST", "/insert/x/prometheus/api/v1/import", "").status == 400);
  // remote_write still answers on its paths.
  CHECK(h.Call("GET", "/insert/0/prometheus/api/v1/write", "").status == 405);
}

}  // namespace
}  // namespace strata::insert

namespace strata::insert {
namespace {

TEST_CASE("Prometheus text import stores TYPE, HELP and UNIT lines as metric metadata on every node",
          "[insert][unit]") {
  testing::ServiceHarness h(3);
  HttpResponse r = h.Post("/insert/5/prometheus/api/v1/import/prometheus",
                          "# HELP rpc_seconds RPC latency \\\\ with \\n escapes.\n"
                          "# TYPE rpc_seconds histogram\n"
                          "# UNIT rpc_seconds seconds\n"
                          "rpc_seconds_count 3 1700000000000\n"
                          "# TYPE up gauge\n"
                          "up 1 1700000000000\n");
  INFO(r.body);
  CHECK(r.status == 204);
  const std::vector<std::pair<TenantId, MetricMetadata>> want = {
      {TenantId{5, 0}, {"rpc_seconds", 3, "RPC latency \\ with \n escapes.", "seconds"}},
      {TenantId{5, 0}, {"up", 2, "", ""}},
  };
  for (auto& node : h.cluster.nodes) CHECK(node->metadata() == want);

  // Formats without metadata lines send none.
  CHECK(h.Post("/api/v1/import", "{\"metric\":{\"__name__\":\"x\"},\"values\":[1],\"timestamps\":[1]}").status == 204);
  CHECK(h.cluster.nodes[0]->metadata().size() == 2);
}

}  // namespace
}  // namespace strata::insert

namespace strata::insert {
namespace {

TEST_CASE("samples more than two days in the future are refused with 400 and counted, the rest stored",
          "[insert][unit]") {
  testing::ServiceHarness h(1);
  const int64_t now = NowUnixMillis();
  HttpResponse r = h.Post("/api/v1/import/prometheus",
                          fmt::format("ok 1 {}\nlate 2 {}\nfar 3 {}\n", now, now + 3600'000,
                                      std::numeric_limits<int64_t>::max()));
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains(fmt::format("rejected 1 of 3 lines; the first: line 3: sample timestamp {} ms "
                                                 "is more than 2 days in the future",
                                                 std::numeric_limits<int64_t>::max())));
  CHECK(h.Stored().size() == 2);
  CHECK(h.Counter("strata_insert_series_rejected_total", {{"reason", "future_timestamp"}}) == 1);
}

}  // namespace
}  // namespace strata::insert
