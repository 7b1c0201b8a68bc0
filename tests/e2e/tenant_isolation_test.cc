// End to end: tenant isolation. Three tenants (0, 1:0 and 2:5) write
// distinct series, exemplars and metadata through
// /insert/<tenant>/prometheus/api/v1/write; every read endpoint of the select
// node must then show each tenant its own data and nothing of the others',
// and delete_series of one tenant must leave the others' series alone.
#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/base/clock.h"
#include "common/prompb/remote_write_encoder.h"
#include "e2e/cluster.h"
#include "e2e/prom_json.h"

namespace strata::testing {
namespace {

struct Tenant {
  std::string path;  // as in /insert/<path>/...
  std::string mark;  // appears in every metric name, label and help text of this tenant
};

const std::vector<Tenant> kTenants = {
    {"0", "markzero"}, {"1:0", "markone"}, {"2:5", "marktwofive"}};

// Minimal protobuf writing for the parts of a WriteRequest the encoder in
// common/prompb does not produce: exemplars and metadata.
void PbVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void PbBytes(int field, std::string_view data, std::string* out) {
  PbVarint(static_cast<uint64_t>(field) << 3 | 2, out);
  PbVarint(data.size(), out);
  out->append(data);
}
void PbDouble(int field, double v, std::string* out) {
  PbVarint(static_cast<uint64_t>(field) << 3 | 1, out);
  char b[8];
  std::memcpy(b, &v, 8);
  out->append(b, 8);
}
void PbInt(int field, int64_t v, std::string* out) {
  PbVarint(static_cast<uint64_t>(field) << 3, out);
  PbVarint(static_cast<uint64_t>(v), out);
}
std::string Label(std::string_view name, std::string_view value) {
  std::string l;
  PbBytes(1, name, &l);
  PbBytes(2, value, &l);
  return l;
}

// One tenant's write: iso_<mark>_total{job="iso", tenant_tag="<mark>",
// only_<mark>="1"} with 5 samples (the last carrying an exemplar whose
// trace_id is the mark) and a metadata entry for the family.
std::string TenantWrite(const Tenant& t, int64_t end_ms, double base) {
  std::string ts;
  for (auto [n, v] : std::vector<std::pair<std::string, std::string>>{
           {"__name__", fmt::format("iso_{}_total", t.mark)}, {"job", "iso"}, {"only_" + t.mark, "1"},
           {"tenant_tag", t.mark}}) {
    PbBytes(1, Label(n, v), &ts);
  }
  for (int i = 0; i < 5; ++i) {
    std::string s;
    PbDouble(1, base + i, &s);
    PbInt(2, end_ms - (4 - i) * 15'000, &s);
    PbBytes(2, s, &ts);
  }
  std::string ex;
  PbBytes(1, Label("trace_id", "trace_" + t.mark), &ex);
  PbDouble(2, base + 0.5, &ex);
  PbInt(3, end_ms, &ex);
  PbBytes(3, ex, &ts);
  std::string request;
  PbBytes(1, ts, &request);
  std::string md;
  PbInt(1, 1, &md);  // COUNTER
  PbBytes(2, fmt::format("iso_{}_total", t.mark), &md);
  PbBytes(4, "help of " + t.mark, &md);
  PbBytes(3, md, &request);
  std::string body;
  SnappyCompress(request, &body);
  return body;
}

// The body of `target` on the select node once it answers 200 and shows
// `want` (writes reach the select side through replicas a moment later).
std::string SelectShowing(StrataCluster& cluster, const std::string& target, std::string_view want) {
  std::string body;
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto r = cluster.Select(target);
    REQUIRE(r.ok());
    body = fmt::format("HTTP {}\n{}", r->status, r->body);
    if (r->status == 200 && r->body.find(want) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return body;
}

TEST_CASE("each tenant sees only its own series, labels, values, exemplars and metadata on every read endpoint",
          "[e2e][tenant][.slow]") {
  StrataCluster cluster;  // 3 storage nodes, replicationFactor 2
  cluster.Start();
  const int64_t end_ms = NowUnixMillis() - 30'000;
  for (size_t k = 0; k < kTenants.size(); ++k) {
    auto r = cluster.RemoteWrite(TenantWrite(kTenants[k], end_ms, 1000.0 * static_cast<double>(k + 1)),
                                 fmt::format("/insert/{}/prometheus/api/v1/write", kTenants[k].path));
    REQUIRE(r.ok());
    INFO(r->body);
    REQUIRE(r->status == 204);
  }
  const int64_t start_s = end_ms / 1000 - 3600;
  const int64_t end_s = end_ms / 1000 + 60;
  const std::string sel = UrlEncode("{job=\"iso\"}");
  const std::string range = fmt::format("start={}&end={}", start_s, end_s);
  char today[16];
  std::time_t now = std::time(nullptr);
  std::strftime(today, sizeof(today), "%Y-%m-%d", std::gmtime(&now));
  // (endpoint after /select/<tenant>/prometheus, what proves the tenant's own data is there)
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {fmt::format("/api/v1/query?query={}&time={}", sel, end_s), "tenant_tag"},
      {fmt::format("/api/v1/query_range?query={}&{}&step=15", sel, range), "tenant_tag"},
      {fmt::format("/api/v1/query?query={}&time={}", UrlEncode("sum by (tenant_tag) ({job=\"iso\"})"), end_s),
       "tenant_tag"},
      {fmt::format("/api/v1/series?match[]={}&{}", sel, range), "tenant_tag"},
      {fmt::format("/api/v1/labels?{}", range), "only_"},
      {fmt::format("/api/v1/labels?match[]={}&{}", sel, range), "only_"},
      {fmt::format("/api/v1/label/tenant_tag/values?{}", range), "mark"},
      {fmt::format("/api/v1/label/__name__/values?{}", range), "iso_"},
      {fmt::format("/api/v1/export?match[]={}&{}", sel, range), "tenant_tag"},
      {fmt::format("/api/v1/export/csv?format=__name__,tenant_tag,__value__&match[]={}&{}", sel, range), "iso_"},
      {fmt::format("/federate?match[]={}", sel), "tenant_tag"},
      {fmt::format("/api/v1/status/tsdb?date={}", today), "iso_"},
      {fmt::format("/api/v1/query_exemplars?query={}&{}", sel, range), "trace_"},
      {"/api/v1/metadata", "help of"},
      {"/api/v1/metadata?metric=iso_markone_total", ""},
  };
  for (size_t k = 0; k < kTenants.size(); ++k) {
    for (const auto& [endpoint, own] : endpoints) {
      const std::string target = fmt::format("/select/{}/prometheus{}", kTenants[k].path, endpoint);
      // An endpoint asked about another tenant's name only must show nothing.
      const bool names_other = endpoint.find("metric=iso_markone") != std::string::npos && kTenants[k].mark != "markone";
      std::string body = SelectShowing(cluster, target, names_other ? std::string_view("\"data\"") : kTenants[k].mark);
      INFO(target << "\n" << body);
      REQUIRE(body.starts_with("HTTP 200"));
      if (!names_other) {
        CHECK(body.find(kTenants[k].mark) != std::string::npos);
        if (!own.empty()) CHECK(body.find(own) != std::string::npos);
      }
      for (size_t other = 0; other < kTenants.size(); ++other) {
        if (other != k) CHECK(body.find(kTenants[other].mark) == std::string::npos);
      }
    }
  }

  // accountID 2 alone is tenant 2:0, not 2:5.
  auto two = cluster.Select(fmt::format("/select/2/prometheus/api/v1/series?match[]={}&{}", sel, range));
  REQUIRE(two.ok());
  CHECK(two->body == R"({"status":"success","data":[]})");

  // Tenant 0 deletes {job="iso"}: its own series go, 1:0's and 2:5's stay.
  auto deleted = cluster.SelectRequest("POST", "/delete/0/prometheus/api/v1/admin/tsdb/delete_series",
                                       "match[]=" + sel, {{"Content-Type", "application/x-www-form-urlencoded"}});
  REQUIRE(deleted.ok());
  INFO(deleted->body);
  REQUIRE(deleted->status == 204);
  auto gone = cluster.Select(fmt::format("/select/0/prometheus/api/v1/series?match[]={}&{}", sel, range));
  REQUIRE(gone.ok());
  CHECK(gone->body == R"({"status":"success","data":[]})");
  for (size_t k = 1; k < kTenants.size(); ++k) {
    auto r = cluster.Select(fmt::format("/select/{}/prometheus/api/v1/query?query={}&time={}", kTenants[k].path, sel,
                                        end_s));
    REQUIRE(r.ok());
    auto parsed = ParseQueryResponse(r->body);
    REQUIRE(parsed.ok());
    REQUIRE(parsed->series.size() == 1);
    CHECK(parsed->series[0].labels.at("tenant_tag") == kTenants[k].mark);
    CHECK(parsed->series[0].points.at(0).second == fmt::format("{}", 1000 * (k + 1) + 4));
  }
}

}  // namespace
}  // namespace strata::testing
