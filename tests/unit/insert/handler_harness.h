// File: tests/unit/insert/handler_harness.h
//
// Runs ingest requests against fake storage nodes, waits for the one
// response, and reads back what the nodes stored: HandlerHarness drives one
// handler over a Router; ServiceHarness drives a whole InsertService through
// its routes, as the HTTP server does (path -> tenant and endpoint).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <prometheus/registry.h>

#include "common/model/write_batch.h"
#include "common/net/http.h"
#include "insert/router/router.h"
#include "insert/server/insert_service.h"
#include "unit/insert/fake_storage.h"

namespace strata::insert::testing {

// The value of counter or gauge `name` in the first series carrying `labels`
// (other labels may be present); -1 when there is none.
inline double MetricValue(prometheus::Registry& registry, const std::string& name,
                          const std::map<std::string, std::string>& labels) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const auto& l : metric.label) found |= l.name == k && l.value == v;
        match &= found;
      }
      if (match) return family.type == prometheus::MetricType::Gauge ? metric.gauge.value : metric.counter.value;
    }
  }
  return -1;
}

// `Handler` is constructed as Handler(Router*, options, prometheus::Registry*).
// Thread-compatible.
template <typename Handler>
class HandlerHarness {
 public:
  template <typename Options>
  HandlerHarness(size_t nodes, RouterOptions router_options, Options handler_options)
      : cluster(nodes), router(cluster.apis(), router_options), handler(&router, handler_options, &registry) {}

  HttpResponse Call(HttpRequest request) {
    std::optional<HttpResponse> response;
    int calls = 0;
    handler.Handle(std::move(request), [&](HttpResponse r) {
      ++calls;
      response = std::move(r);
    });
    router.Drain();
    REQUIRE(calls == 1);
    return *response;
  }

  // Every series stored on any node: canonical labels -> samples.
  std::map<std::string, std::vector<Sample>> Stored() {
    std::map<std::string, std::vector<Sample>> out;
    for (auto& n : cluster.nodes) {
      for (auto& [k, v] : n->Contents().series) out[k] = v;
    }
    return out;
  }

  prometheus::Registry registry;
  FakeCluster cluster;
  Router router;
  Handler handler;
};

// An InsertService on `nodes` synchronous fake storage nodes, served through
// its own mux. Thread-compatible.
class ServiceHarness {
 public:
  explicit ServiceHarness(size_t nodes = 3, InsertServiceOptions options = {})
      : cluster(nodes), service(std::move(options), cluster.apis(), &registry) {
    service.RegisterRoutes(mux);
  }

  HttpResponse Call(HttpRequest request) {
    const HttpHandler* handler = mux.Find(request.path);
    REQUIRE(handler != nullptr);
    std::optional<HttpResponse> response;
    int calls = 0;
    (*handler)(std::move(request), [&](HttpResponse r) {
      ++calls;
      response = std::move(r);
    });
    service.router().Drain();
    REQUIRE(calls == 1);
    return *response;
  }
  // `target` is a path with an optional query string.
  HttpResponse Call(std::string method, std::string target, std::string body) {
    HttpRequest request;
    request.method = std::move(method);
    size_t q = target.find('?');
    request.path = target.substr(0, q);
    if (q != std::string::npos) request.query = target.substr(q + 1);
    request.body = std::move(body);
    return Call(std::move(request));
  }
  HttpResponse Post(std::string target, std::string body) { return Call("POST", std::move(target), std::move(body)); }

  // Every series `tenant` has on any node: canonical labels -> samples.
  std::map<std::string, std::vector<Sample>> Stored(TenantId tenant = {}) {
    std::map<std::string, std::vector<Sample>> out;
    for (auto& n : cluster.nodes) {
      for (const std::string& b : n->batches()) {
        auto reader = WriteBatchReader::Open(b);
        REQUIRE(reader.ok());
        if (!(reader->tenant() == tenant)) continue;
        SeriesView s;
        while (reader->Next(&s)) {
          std::string key;
          AppendCanonical(s.labels, &key);
          auto& v = out[key];
          v.insert(v.end(), s.samples.begin(), s.samples.end());
        }
      }
    }
    return out;
  }

  double Counter(const std::string& name, const std::map<std::string, std::string>& labels) {
    return MetricValue(registry, name, labels);
  }

  FakeCluster cluster;
  prometheus::Registry registry;
  InsertService service;
  HttpMux mux;
};

}  // namespace strata::insert::testing
