// File: tests/unit/insert/handler_harness.h
//
// Runs one ingest handler (remote_write, OTLP, ...) over a Router and a
// FakeCluster, waits for its one response, and reads back what the fake
// storage nodes stored.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <prometheus/registry.h>

#include "common/net/http.h"
#include "insert/router/router.h"
#include "unit/insert/fake_storage.h"

namespace strata::insert::testing {

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

}  // namespace strata::insert::testing
