// End-to-end test of the text import formats: each format (JSON lines
// gzipped, Prometheus text, CSV, Influx line protocol) is POSTed to a real
// insert node and read back through the select node's query_range, with
// exact timestamps and values.
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/net/gzip.h"
#include "e2e/cluster.h"
#include "e2e/prom_json.h"

namespace strata::testing {
namespace {

using Points = std::vector<std::pair<int64_t, std::string>>;

// query_range of `selector` (URL-encoded) over [t0, t1] with a 15 s step,
// for `tenant`: labels text -> points.
std::map<std::string, Points> QueryRange(StrataCluster& cluster, std::string_view tenant, std::string_view selector,
                                         int64_t t0_ms, int64_t t1_ms) {
  auto resp = cluster.Select(fmt::format("/select/{}/prometheus/api/v1/query_range?query={}&start={}&end={}&step=15",
                                         tenant, selector, t0_ms / 1000, t1_ms / 1000));
  REQUIRE(resp.ok());
  INFO(resp->body);
  REQUIRE(resp->status == 200);
  auto parsed = ParseQueryResponse(resp->body);
  REQUIRE(parsed.ok());
  std::map<std::string, Points> out;
  for (const QuerySeries& s : parsed->series) out[s.LabelsText()] = s.points;
  return out;
}

TEST_CASE("every import format stores exact samples that select reads back", "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  // A 15 s grid a few minutes back, so query_range steps land on the samples.
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  const int64_t t0 = (now.count() - 10 * 60 * 1000) / 15000 * 15000;
  const int64_t t1 = t0 + 15000;
  auto post = [&](const std::string& target, std::string body, HttpHeaders headers = {}) {
    auto r = HttpClient::Post("127.0.0.1", cluster.insert_port(), target, std::move(body), "text/plain", headers);
    REQUIRE(r.ok());
    INFO(target << ": " << r->body << cluster.Logs());
    CHECK(r->status == 204);
  };

  // JSON lines, gzipped, for tenant 3.
  post("/insert/3/prometheus/api/v1/import",
       GzipCompress(fmt::format(
           "{{\"metric\":{{\"__name__\":\"e2e_json\",\"src\":\"json\"}},\"values\":[1.5,-2],\"timestamps\":[{},{}]}}\n",
           t0, t1)),
       {{"Content-Encoding", "gzip"}});
  // Prometheus text with an extra label; the second sample takes `timestamp`.
  post(fmt::format("/api/v1/import/prometheus?extra_label=src=prom&timestamp={}", t1),
       fmt::format("# TYPE e2e_prom gauge\ne2e_prom{{a=\"1\"}} 42 {}\ne2e_prom{{a=\"1\"}} 43\n", t0));
  // CSV: two metric columns per row.
  post("/api/v1/import/csv?format=1:label:ticker,2:metric:e2e_csv_ask,3:metric:e2e_csv_bid,4:time:unix_ms",
       fmt::format("GOOG,1.25,1.5,{}\nGOOG,1.75,2,{}\n", t0, t1));
  // Influx line protocol, ms precision, gzipped.
  post("/influx/write?db=e2e&precision=ms",
       GzipCompress(fmt::format("e2e_influx,host=h1 load=0.75,count=3i {}\ne2e_influx,host=h1 load=1 {}\n", t0, t1)),
       {{"Content-Encoding", "gzip"}});

  auto json = QueryRange(cluster, "3", "e2e_json", t0, t1);
  CHECK(json == std::map<std::string, Points>{{"{__name__=\"e2e_json\", src=\"json\"}", {{t0, "1.5"}, {t1, "-2"}}}});
  CHECK(QueryRange(cluster, "0", "e2e_json", t0, t1).empty());  // another tenant's data

  auto got = QueryRange(cluster, "0", "%7B__name__%3D~%22e2e_.%2A%22%7D", t0, t1);
  std::map<std::string, Points> want = {
      {"{__name__=\"e2e_prom\", a=\"1\", src=\"prom\"}", {{t0, "42"}, {t1, "43"}}},
      {"{__name__=\"e2e_csv_ask\", ticker=\"GOOG\"}", {{t0, "1.25"}, {t1, "1.75"}}},
      {"{__name__=\"e2e_csv_bid\", ticker=\"GOOG\"}", {{t0, "1.5"}, {t1, "2"}}},
      {"{__name__=\"e2e_influx_load\", db=\"e2e\", host=\"h1\"}", {{t0, "0.75"}, {t1, "1"}}},
      {"{__name__=\"e2e_influx_count\", db=\"e2e\", host=\"h1\"}", {{t0, "3"}, {t1, "3"}}},
  };
  INFO(cluster.Logs());
  CHECK(got == want);
}

}  // namespace
}  // namespace strata::testing
