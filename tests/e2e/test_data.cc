#include "e2e/test_data.h"

#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/base/clock.h"
#include "common/prompb/remote_write_encoder.h"
#include "e2e/prom_json.h"

namespace strata::testing {
namespace {

constexpr int64_t kStepMs = 15'000;

double InterestingValue(std::mt19937_64& rng, int i) {
  switch (rng() % 8) {
    case 0: return std::bit_cast<double>(rng());  // any bits, NaN payloads included
    case 1: return static_cast<double>(rng() % 1'000'000);
    case 2: return static_cast<double>(i) * 0.1;
    case 3: return std::ldexp(static_cast<double>(rng() % 1000 + 1), -1060);  // subnormal
    case 4: return std::ldexp(1.0 + static_cast<double>(rng() % 1000) / 1000.0, 1000);
    case 5: return (rng() % 2) ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    case 6: return -0.0;
    default: return static_cast<double>(rng() % 100000) / 1000.0 - 50;
  }
}

bool SameValue(double want, const std::string& got_text) {
  double got = std::strtod(got_text.c_str(), nullptr);
  if (got_text == "NaN") return std::isnan(want);
  if (got_text == "+Inf") return want == std::numeric_limits<double>::infinity();
  if (got_text == "-Inf") return want == -std::numeric_limits<double>::infinity();
  return std::bit_cast<uint64_t>(got) == std::bit_cast<uint64_t>(want);
}

}  // namespace

std::vector<GeneratedSeries> GenerateSeries(int count, int samples, uint32_t seed) {
  std::mt19937_64 rng(seed);
  int64_t end = (NowUnixMillis() / kStepMs) * kStepMs - 60'000;
  int64_t start = end - static_cast<int64_t>(samples - 1) * kStepMs;
  std::vector<GeneratedSeries> out;
  for (int i = 0; i < count; ++i) {
    GeneratedSeries s;
    s.labels = Labels::FromUnsorted({{"__name__", fmt::format("e2e_roundtrip_{}", i)},
                                     {"instance", fmt::format("host-{}", i % 7)},
                                     {"job", "e2e"}});
    for (int k = 0; k < samples; ++k) {
      double v = InterestingValue(rng, k);
      if (std::bit_cast<uint64_t>(v) == kStaleNaNBits) v = 1;
      s.samples.push_back(Sample{start + k * kStepMs, v});
    }
    if (i == 0) s.samples.back().value = StaleNaN();
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> EncodeRequests(const std::vector<GeneratedSeries>& series, size_t per_request) {
  std::vector<std::string> out;
  RemoteWriteEncoder encoder;
  for (const auto& s : series) {
    encoder.AddSeries(s.labels, s.samples);
    if (encoder.series_count() == per_request) out.push_back(encoder.FinishSnappy());
  }
  if (encoder.series_count() > 0) out.push_back(encoder.FinishSnappy());
  return out;
}

std::string CompareWithSelect(StrataCluster& cluster, const std::vector<GeneratedSeries>& series) {
  int64_t start = series.front().samples.front().timestamp_ms;
  int64_t end = series.front().samples.back().timestamp_ms;
  auto resp = cluster.Select(fmt::format("/select/0/prometheus/api/v1/query_range?query=%7Bjob%3D%22e2e%22%7D"
                                         "&start={}&end={}&step=15",
                                         start / 1000, end / 1000));
  if (!resp.ok()) return "select request failed: " + std::string(resp.status().message());
  if (resp->status != 200) return fmt::format("select answered {}: {}", resp->status, resp->body);
  auto parsed = ParseQueryResponse(resp->body);
  if (!parsed.ok()) return std::string(parsed.status().message());
  if (parsed->is_partial) return "response is partial: " + resp->body.substr(0, 300);
  std::map<std::string, const QuerySeries*> by_name;
  for (const auto& s : parsed->series) by_name[s.labels.count("__name__") ? s.labels.at("__name__") : ""] = &s;
  std::string problems;
  int reported = 0;
  auto report = [&](std::string msg) {
    if (reported++ < 5) problems += msg + "\n";
  };
  if (parsed->series.size() != series.size()) {
    report(fmt::format("got {} series, want {}", parsed->series.size(), series.size()));
  }
  for (const auto& want : series) {
    auto it = by_name.find(std::string(want.labels.MetricName()));
    if (it == by_name.end()) {
      report(fmt::format("series {} missing", want.labels.ToString()));
      continue;
    }
    const auto& points = it->second->points;
    size_t p = 0;
    for (const Sample& s : want.samples) {
      if (IsStaleNaN(s.value)) continue;  // a stale marker ends the series: no point
      if (p >= points.size() || points[p].first != s.timestamp_ms || !SameValue(s.value, points[p].second)) {
        report(fmt::format("{} at {}: want {:016x}, got {}", want.labels.ToString(), s.timestamp_ms,
                           std::bit_cast<uint64_t>(s.value),
                           p < points.size() ? fmt::format("{} at {}", points[p].second, points[p].first) : "nothing"));
        break;
      }
      ++p;
    }
    if (p != points.size()) report(fmt::format("{}: {} extra points", want.labels.ToString(), points.size() - p));
  }
  if (reported > 5) problems += fmt::format("... and {} more\n", reported - 5);
  return problems;
}

void WriteAll(StrataCluster& cluster, const std::vector<std::string>& requests) {
  for (const auto& body : requests) {
    auto r = cluster.RemoteWrite(body);
    REQUIRE(r.ok());
    INFO(cluster.Logs());
    REQUIRE(r->status == 204);
  }
}

std::string EventuallyComplete(StrataCluster& cluster, const std::vector<GeneratedSeries>& series) {
  std::string diff;
  for (int attempt = 0; attempt < 100; ++attempt) {
    diff = CompareWithSelect(cluster, series);
    if (diff.empty()) return diff;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return diff;
}

}  // namespace strata::testing
