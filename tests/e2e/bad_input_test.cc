// Bad input on the query endpoints, sent both to the real Prometheus 2.42
// and to the select node: the HTTP status, errorType and error text must be
// the same (clients show the text, Grafana shows "<errorType>: <error>").
// Successful answers are compared whole; every time range lies in 1970,
// where neither holds data. (Metadata answers over such a range are checked
// on their own below: Strata's head index does not yet bound series by
// their first sample.)
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "e2e/cluster.h"
#include "e2e/prom_json.h"
#include "e2e/real_prometheus.h"
#include "e2e/test_data.h"

namespace strata::testing {
namespace {

struct BadInputCase {
  std::string method;  // GET: `target` carries the parameters; POST: `body` does
  std::string target;  // below /api/v1
  std::string body;
  // Where Strata follows Prometheus 3 (the version it reports) and 3 differs
  // from 2.42: Strata's exact answer instead of 2.42's.
  std::string prometheus3_body = {};
};

const std::vector<BadInputCase>& Cases() {
  static const std::vector<BadInputCase> cases = {
      // Times.
      {"GET", "/query?query=up&time=abc", ""},
      {"GET", "/query?query=up&time=1e400", ""},
      {"GET", "/query?query=up&time=0x10", ""},
      {"GET", "/query?query=up&time=0x1p4", ""},
      {"GET", "/query?query=up&time=1_000", ""},
      {"GET", "/query?query=up&time=2015-07-01T20:10:51", ""},
      {"GET", "/query?query=up&time=2015-07-01T20:10:51.781Z", ""},
      {"GET", "/query?query=up&time=%2B10.5", ""},
      {"GET", "/query_range?query=up&start=abc&end=10&step=1", ""},
      {"GET", "/query_range?query=up&start=10&end=abc&step=1", ""},
      {"GET", "/query_range?query=up&end=10&step=1", ""},
      {"GET", "/query_range?query=up&start=10&step=1", ""},
      // Steps.
      {"GET", "/query_range?query=up&start=10&end=20&step=abc", ""},
      {"GET", "/query_range?query=up&start=10&end=20&step=", ""},
      {"GET", "/query_range?query=up&start=10&end=20&step=0", ""},
      {"GET", "/query_range?query=up&start=10&end=20&step=-5", ""},
      {"GET", "/query_range?query=up&start=10&end=20&step=-5s", ""},
      {"GET", "/query_range?query=up&start=10&end=20&step=1h30x", ""},
      {"GET", "/query_range?query=up&start=10&end=20&step=5s", ""},
      {"GET", "/query_range?query=up&start=10&end=20&step=0.0001", ""},
      {"GET", "/query_range?query=up&start=0&end=11001&step=1", ""},
      {"GET", "/query_range?query=up&start=0&end=11000&step=1", ""},
      {"GET", "/query_range?query=up&start=0&end=3600&step=0.3", ""},
      // end < start.
      {"GET", "/query_range?query=up&start=20&end=10&step=1", ""},
      // Timeouts and lookback.
      {"GET", "/query?query=up&time=10&timeout=abc", ""},
      {"GET", "/query?query=up&time=10&timeout=5x", ""},
      {"GET", "/query_range?query=up&start=10&end=20&step=1&timeout=1y2", ""},
      // lookback_delta arrived after 2.42, which ignores it.
      {"GET", "/query?query=up&time=10&lookback_delta=abc", "",
       R"({"status":"error","errorType":"bad_data","error":"error parsing lookback delta duration: cannot parse \"abc\" to a valid duration"})"},
      // Malformed PromQL.
      {"GET", "/query?query=&time=10", ""},
      {"GET", "/query?time=10", ""},
      {"GET", "/query?query=sum(&time=10", ""},
      {"GET", "/query?query=rate(up%5B5m%5D&time=10", ""},
      {"GET", "/query?query=up%7Bjob%3D%7D&time=10", ""},
      {"GET", "/query?query=rate(up)&time=10", ""},
      {"GET", "/query?query=up%5B5m%5D%5B1m%5D&time=10", ""},
      {"GET", "/query?query=foo%20bar&time=10", ""},
      // Prometheus 3 names the parameter in these, 2.42 does not.
      {"GET", "/query_range?query=up%5B5m%5D&start=10&end=20&step=1", "",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": invalid expression type \"range vector\" for range query, must be Scalar or instant Vector"})"},
      {"GET", "/query_range?query=%22text%22&start=10&end=20&step=1", "",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": invalid expression type \"string\" for range query, must be Scalar or instant Vector"})"},
      {"GET", "/query_range?query=sum(&start=10&end=20&step=1", "",
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"})"},
      // Unusual parameter forms.
      {"GET", "/query?query=up&time=10&foo=bar", ""},
      {"GET", "/query?query=up&query=down&time=10", ""},
      {"GET", "/query?query=%zz&time=10", ""},
      {"GET", "/query?query=up&time=10&time=abc", ""},
      {"POST", "/query", "query=sum(&time=10"},
      {"POST", "/query", "query=up&time=abc"},
      {"POST", "/query_range", "query=up&start=20&end=10&step=1"},
      {"POST", "/query?time=abc", "query=up&time=10"},
      // match[] on the metadata endpoints.
      {"GET", "/series", ""},
      {"GET", "/series?match[]=up%7B", ""},
      {"GET", "/series?match[]=sum(up)", ""},
      {"GET", "/series?match[]=%7Bjob%3D~%22.*%22%7D", ""},
      {"GET", "/series?match[]=up&start=abc", ""},
      {"GET", "/labels?match[]=%7B&start=10&end=20", ""},
      {"GET", "/label/job/values?match[]=up%5B5m%5D&start=10&end=20", ""},
      // Prometheus 3 accepts any UTF-8 label name; 2.42 only [a-zA-Z_][a-zA-Z0-9_]*.
      {"GET", "/label/foo-bar/values", "", R"({"status":"success","data":[]})"},
      {"GET", "/label/1abc/values?start=10&end=20", "", R"({"status":"success","data":[]})"},
      {"POST", "/series", "match%5B%5D=up%7B"},
      {"GET", "/series?match[]=rate(up%5B5m%5D)", ""},
      {"GET", "/series?match[]=up%20offset%205m", ""},
      {"GET", "/labels?match[]=up%5B1m%5D", ""},
      {"GET", "/query?query=up&time=1__0", ""},
      {"GET", "/query?query=up&time=_10", ""},
      {"GET", "/query?query=up&time=0x_1p4", ""},
      {"GET", "/query_range?query=up&start=0&end=100&step=1_0", ""},
  };
  return cases;
}

absl::StatusOr<HttpClientResponse> Send(uint16_t port, const std::string& prefix, const BadInputCase& c) {
  HttpConnection connection;
  if (auto s = connection.Connect("127.0.0.1", port); !s.ok()) return s;
  HttpHeaders headers;
  if (c.method == "POST") headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  return connection.Request(c.method, prefix + "/api/v1" + c.target, c.body, headers);
}

TEST_CASE("bad query parameters get Prometheus's status, error type and message", "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  RealPrometheus prometheus(cluster.dir().path(), cluster.insert_port());
  std::string error;
  const bool started = prometheus.Start(&error);
  INFO(error);
  REQUIRE(started);

  for (const BadInputCase& c : Cases()) {
    auto want = Send(prometheus.port(), "", c);
    auto got = Send(cluster.select_port(), "/select/0/prometheus", c);
    REQUIRE(want.ok());
    REQUIRE(got.ok());
    INFO(c.method << " " << c.target << " " << c.body << "\n  prometheus " << want->status << " " << want->body
                  << "\n  strata     " << got->status << " " << got->body);
    if (!c.prometheus3_body.empty()) {
      CHECK(got->body == c.prometheus3_body);
      continue;
    }
    CHECK(got->status == want->status);
    if (want->status == 200 || want->status == 204) {
      CHECK(got->body == want->body);
      continue;
    }
    auto w = ParseQueryResponse(want->body);
    auto g = ParseQueryResponse(got->body);
    REQUIRE(w.ok());
    REQUIRE(g.ok());
    CHECK(g->status == w->status);
    CHECK(g->error_type == w->error_type);
    CHECK(g->error == w->error);
  }
  prometheus.Stop();
}

// Prometheus leaves out of the series and labels answers the series without
// samples in [start, end]; the storage head once kept every series whose
// newest sample was at or after `start`, whatever `end` was.
TEST_CASE("metadata endpoints leave out series without samples in the asked time range", "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  WriteAll(cluster, EncodeRequests(GenerateSeries(3, 5, 7), 3));
  const std::vector<std::string> targets = {
      "/series?match[]=%7Bjob%3D%22e2e%22%7D&start=10&end=20",
      "/series?match[]=%7Bjob%3D%22e2e%22%7D&start=20&end=10",
      "/labels?start=10&end=20",
      "/label/job/values?start=10&end=20",
  };
  for (const std::string& t : targets) {
    auto r = cluster.Select("/select/0/prometheus/api/v1" + t);
    REQUIRE(r.ok());
    INFO(t << "\n" << r->body);
    CHECK(r->body == R"({"status":"success","data":[]})");
  }
}

}  // namespace
}  // namespace strata::testing
