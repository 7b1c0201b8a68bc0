// File: cmd/strata/role_runtime.h
//
// What every role process has besides its services: the metrics registry,
// the IoPool and WorkPool, the HTTP router and server with /metrics,
// /health and /ready. A role declares its RoleRuntime first, so that it is
// destroyed last: the pools then outlive every server and client built on
// them (see common/net/io_pool.h).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cmd/strata/roles.h"
#include "common/net/http.h"

namespace prometheus {
class Registry;
}

namespace strata {

class FlagSet;
class HttpServer;
class IoPool;
class WorkPool;

// Parses the role's flags (the process flags are registered here) and applies
// the process options. Returns -1 to go on, else the exit code to return.
int ParseRoleFlags(FlagSet& flags, ProcessOptions* process, std::span<char* const> args);

// Owned by the role's Run function; not thread-safe (used from main only).
class RoleRuntime {
 public:
  explicit RoleRuntime(const ProcessOptions& options);
  ~RoleRuntime();  // stops HTTP, then the pools

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  IoPool& io() { return *io_; }
  WorkPool& work() { return *work_; }
  HttpMux& mux() { return mux_; }

  // Runs `fn` before each /metrics scrape (sampled gauges). REQUIRES:
  // called before StartHttp; what `fn` uses outlives StopHttp().
  void BeforeMetricsScrape(std::function<void()> fn) { before_scrape_.push_back(std::move(fn)); }
  // Adds /metrics, /health, /ready and serves mux() on `address`. Logs the
  // reason and returns false when the server cannot start.
  bool StartHttp(const std::string& address, size_t max_body_bytes = size_t{64} << 20);
  uint16_t http_port() const;
  // Stops accepting and answers the requests in flight. Idempotent.
  void StopHttp();
  // Stops the network threads (after every client and server is closed).
  void StopIo();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<IoPool> io_;
  std::unique_ptr<WorkPool> work_;
  HttpMux mux_;
  std::vector<std::function<void()>> before_scrape_;
  std::unique_ptr<HttpServer> http_;
  ProcessOptions process_;
};

}  // namespace strata
