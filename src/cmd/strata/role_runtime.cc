#include "cmd/strata/role_runtime.h"

#include <prometheus/registry.h>

#include "common/base/logging.h"
#include "common/base/status.h"
#include "common/config/flags.h"
#include "common/metrics/metrics_routes.h"
#include "common/net/http_server.h"
#include "common/net/io_pool.h"

namespace strata {

int ParseRoleFlags(FlagSet& flags, ProcessOptions* process, std::span<char* const> args) {
  RegisterProcessFlags(flags, process);
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (absl::Status st = ApplyProcessOptions(*process); !st.ok()) {
    STRATA_LOG(Error, "{}", ToStd(st.message()));
    return 2;
  }
  // Before any thread starts, so that every thread inherits the mask.
  BlockTerminationSignals();
  return -1;
}

RoleRuntime::RoleRuntime(const ProcessOptions& options)
    : registry_(std::make_shared<prometheus::Registry>()),
      io_(std::make_unique<IoPool>(static_cast<int>(options.io_threads))),
      work_(std::make_unique<WorkPool>(static_cast<int>(options.work_threads))),
      process_(options) {}

RoleRuntime::~RoleRuntime() {
  StopHttp();
  StopIo();
}

bool RoleRuntime::StartHttp(const std::string& address, size_t max_body_bytes) {
  std::function<void()> before_scrape;
  if (!before_scrape_.empty()) {
    before_scrape = [fns = before_scrape_] {
      for (const auto& fn : fns) fn();
    };
  }
  RegisterStandardRoutes(mux_, registry_, [] { return true; }, std::move(before_scrape));
  HttpServerOptions options;
  options.listen_address = address;
  options.metrics = registry_.get();
  options.max_body_bytes = max_body_bytes;
  auto auth = std::make_shared<HttpAuthenticator>(process_.http_auth);
  if (auth->enabled()) options.auth = std::move(auth);
  if (process_.http_tls.enabled) {
    if (process_.http_tls.cert_file.empty() || process_.http_tls.key_file.empty()) {
      STRATA_LOG(Error, "-tls needs -tlsCertFile and -tlsKeyFile");
      return false;
    }
    options.tls_cert_file = process_.http_tls.cert_file;
    options.tls_key_file = process_.http_tls.key_file;
    options.tls_min_version = process_.http_tls.min_version;
  }
  http_ = std::make_unique<HttpServer>(*io_, *work_, options, mux_);
  if (absl::Status st = http_->Start(); !st.ok()) {
    STRATA_LOG(Error, "cannot start HTTP server on {}: {}", address, ToStd(st.message()));
    return false;
  }
  return true;
}

uint16_t RoleRuntime::http_port() const { return http_ ? http_->port() : 0; }

void RoleRuntime::StopHttp() {
  if (http_) http_->Stop();
}

void RoleRuntime::StopIo() { io_->Stop(); }

}  // namespace strata
